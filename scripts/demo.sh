#!/usr/bin/env bash
# The demo: a throwaway Saleor database with sample data and store credit enabled,
# the storefront flows played through /graphql/, then Saleor serving on localhost.
# Needs Saleor core: SALEOR_DIR or SALEOR_PYTHON (see resolve_saleor in env.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

resolve_saleor
if ! saleor_importable uvicorn; then
    cat >&2 <<MESSAGE
The demo needs Saleor core, which $SALEOR_PYTHON cannot import.

Install Saleor 3.23 (Python 3.12) next to this project, then run the demo with it:

    git clone --branch 3.23.28 https://github.com/saleor/saleor.git ../saleor
    (cd ../saleor && pip install uv && uv sync --frozen)
    SALEOR_DIR=../saleor make demo
MESSAGE
    exit 1
fi

ensure_venv # the project's own virtualenv checks and starts PostgreSQL
ensure_postgres
DEMO_DB="${STORECREDIT_DEMO_DB:-storecredit_demo}"
base="${DATABASE_URL%/*}"
say "creating a fresh database $DEMO_DB"
"$VENV/bin/python" - "$base/postgres" "$DEMO_DB" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
    # The demo command runs only on a database carrying this mark (see
    # saleor_storecredit/demo/guard.py): never on a shop's by accident.
    conn.execute(f'COMMENT ON DATABASE "{sys.argv[2]}" IS \'saleor-storecredit demo\'')
PY

export DATABASE_URL="$base/$DEMO_DB"
export DJANGO_SETTINGS_MODULE=saleor_storecredit.demo.settings
export PYTHONPATH="$SALEOR_PATH"
export SECRET_KEY="${SECRET_KEY:-storecredit-demo-secret}"
export DEBUG=True
"$SALEOR_PYTHON" -m django storecredit_demo "$@"
