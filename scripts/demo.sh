#!/usr/bin/env bash
# The demo: a throwaway Saleor database with sample data and store credit enabled,
# the storefront flows played through /graphql/, then Saleor serving on localhost.
# Needs Saleor core importable by SALEOR_PYTHON (default: the project's virtualenv).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

SALEOR_PYTHON="${SALEOR_PYTHON:-$VENV/bin/python}"
if ! "$SALEOR_PYTHON" -c 'import saleor, uvicorn' >/dev/null 2>&1; then
    cat >&2 <<EOF
The demo needs Saleor core, which $SALEOR_PYTHON cannot import.

Install Saleor 3.23 (Python 3.12) next to this project, then run the demo with it:

    git clone --branch 3.23.28 https://github.com/saleor/saleor.git ../saleor
    cd ../saleor && pip install uv && uv sync --frozen && cd -
    SALEOR_PYTHON=../saleor/.venv/bin/python make demo
