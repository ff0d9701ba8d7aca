"""The README's shell commands exist and do what it says, without Saleor."""

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_shell_lines():
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL):
        lines += [line.split("#")[0].strip() for line in block.splitlines()]
    return [line for line in lines if line]


def test_every_make_command_is_a_target():
    targets = [
        line.split("make ")[1] for line in readme_shell_lines() if "make " in line
    ]
    assert set(targets) == {"test", "bench", "demo", "dashboard"}
    for target in targets:
        subprocess.run(
            ["make", "-n", target], cwd=ROOT, check=True, capture_output=True
        )


def test_installed_package_registers_the_saleor_plugin():
    # Saleor's settings read exactly this entry point group to install plugins.
    (plugin,) = entry_points(group="saleor.plugins", name="saleor_storecredit")
    assert plugin.value == "saleor_storecredit.plugin:StoreCreditPlugin"
    assert "pip install saleor-storecredit" in readme_shell_lines()[0]


def test_every_manage_py_command_exists():
    commands = [
        line.split()[2]
        for line in readme_shell_lines()
        if line.startswith("python manage.py ")
    ]
    available = get_commands()
    assert "migrate" in commands
    for command in commands:
        assert command in available, command


def test_demo_without_saleor_stops_at_once_and_says_what_to_install():
    env = {**os.environ, "SALEOR_PYTHON": sys.executable}
    env.pop("SALEOR_DIR", None)
    result = subprocess.run(
        [str(ROOT / "scripts" / "demo.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "git clone --branch 3.23.28 https://github.com/saleor/saleor.git" in (
        result.stderr
    )
    assert "SALEOR_DIR=../saleor make demo" in result.stderr
