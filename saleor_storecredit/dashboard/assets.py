"""The built pages: files under static/, read once per process, served by name only."""

import hashlib
import json
import mimetypes
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STAMP_FILE = "build-stamp.json"
INDEX_FILE = "index.html"
API_URL_PLACEHOLDER = "__STORECREDIT_API_URL__"

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}


@cache
def asset_names() -> frozenset[str]:
    """Every servable asset, as a path relative to static/assets/.

    A request names one of these or gets a 404: no path from the URL ever reaches
    the file system.
    """
    root = STATIC_DIR / "assets"
    if not root.is_dir():
        return frozenset()
    return frozenset(
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()
    )


def read_asset(name: str) -> tuple[bytes, str] | None:
    if name not in asset_names():
        return None
    path = STATIC_DIR / "assets" / name
    content_type = _TYPES.get(path.suffix) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return path.read_bytes(), content_type


@cache
def index_html() -> str | None:
    path = STATIC_DIR / INDEX_FILE
    return path.read_text() if path.is_file() else None


def build_stamp() -> dict:
    path = STATIC_DIR / STAMP_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


# The front-end source whose build is shipped; scripts/stamp.mjs hashes the same.
SOURCE_FILES = ("index.html", "package.json", "package-lock.json", "vite.config.js")
SOURCE_DIRS = ("src", "scripts")


def source_hash(source_dir: Path) -> str:
    """sha256 over (relative path, NUL, bytes, NUL) of the source, sorted by path."""
    paths = [source_dir / name for name in SOURCE_FILES]
    for folder in SOURCE_DIRS:
        paths.extend(p for p in (source_dir / folder).rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(source_dir).as_posix()):
        digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
