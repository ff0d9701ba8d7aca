#!/usr/bin/env bash
# The one test command: lint, the core suite, then the Saleor suite when Saleor
# core is importable (SALEOR_PYTHON, default: the project's virtualenv).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ensure_venv
ensure_postgres

say "ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

status=0
say "core suite (ledger, models, services, concurrency)"
"$VENV/bin/pytest" -c pytest.ini "$@" || status=$?

SALEOR_PYTHON="${SALEOR_PYTHON:-$VENV/bin/python}"
if "$SALEOR_PYTHON" -c 'import saleor' >/dev/null 2>&1; then
    version="$("$SALEOR_PYTHON" -c 'import saleor; print(saleor.__version__)')"
    say "Saleor suite against Saleor $version ($SALEOR_PYTHON)"
    saleor_db="${DATABASE_URL%/*}/storecredit_saleor"
    DATABASE_URL="$saleor_db" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
        "$SALEOR_PYTHON" -m pytest -c tests/saleor/pytest.ini --reuse-db "$@" || status=$?
else
    cat >&2 <<'BANNER'

################################################################################
#  SALEOR SUITE SKIPPED: Saleor core is not importable.                        #
#  Only the core suite ran. To run the Saleor suite, point SALEOR_PYTHON at a  #
#  Python that can `import saleor` (Saleor 3.21+ with its test dependencies).  #
################################################################################
BANNER
fi
exit "$status"
