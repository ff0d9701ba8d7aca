"""The Python examples of the docs run, and say what the test settings do."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def python_blocks():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        yield from re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)


def test_the_test_database_flush_example_is_what_the_test_settings_use():
    blocks = list(python_blocks())
    assert blocks, "docs/operations.md shows how a test database may be flushed"
    for block in blocks:
        namespace = {"DATABASES": {"default": {}}}
        exec(block, namespace)  # noqa: S102 - the documentation's own example
        assert (
            namespace["DATABASES"]["default"]["OPTIONS"]
            == settings.DATABASES["default"]["OPTIONS"]
        )
