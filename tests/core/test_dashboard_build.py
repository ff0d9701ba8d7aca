"""The Dashboard pages shipped in the package are built from this checkout's source."""

import tomllib
from pathlib import Path

from saleor_storecredit.dashboard import assets

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "dashboard"


def test_built_pages_match_the_source():
    stamp = assets.build_stamp()

    assert stamp.get("sourceHash") == assets.source_hash(SOURCE), (
        "The built Dashboard pages are stale: run `npm ci && npm run build` in "
        "dashboard/ and commit saleor_storecredit/dashboard/static/."
    )


def test_built_pages_are_complete_and_packaged():
    html = assets.index_html()
    assert html is not None and assets.API_URL_PLACEHOLDER in html
    names = assets.asset_names()
    for name in names:
        if name.endswith((".js", ".css")):
            assert f"./assets/{name}" in html
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["saleor_storecredit"]
    assert "dashboard/static/*" in package_data
    assert "dashboard/static/assets/*" in package_data


def test_pages_download_nothing_at_run_time():
    for name in assets.asset_names():
        if name.endswith((".js", ".css")):
            text = (assets.STATIC_DIR / "assets" / name).read_text()
            assert "fonts.googleapis" not in text
            assert "cdn.jsdelivr" not in text and "unpkg.com" not in text
