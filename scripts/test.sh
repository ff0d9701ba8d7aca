#!/usr/bin/env bash
# The one test command: lint, the core suite, then the Saleor suite when Saleor
# core is importable (SALEOR_DIR or SALEOR_PYTHON, see resolve_saleor in env.sh).
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
"$VENV/bin/pytest" -c pytest.ini "$@" tests/core || status=$?

resolve_saleor
if saleor_importable; then
    version="$(PYTHONPATH="$SALEOR_PATH" "$SALEOR_PYTHON" -c 'import saleor; print(saleor.__version__)')"
    say "Saleor suite against Saleor $version ($SALEOR_PYTHON)"
    # One database per Saleor version: --reuse-db must not mix their migrations.
    saleor_db="${DATABASE_URL}_saleor_$(echo "$version" | tr -c 'a-zA-Z0-9\n' _)"
    if [ "${STORECREDIT_SKIP_BROWSER:-0}" != 1 ] && ensure_chromium; then
        export STORECREDIT_ARTIFACTS="${STORECREDIT_ARTIFACTS:-$ROOT/.tmp/artifacts/dashboard}"
        say "Dashboard browser tests with $STORECREDIT_CHROMIUM; screenshots in $STORECREDIT_ARTIFACTS"
    else
        export STORECREDIT_SKIP_BROWSER=1
        cat >&2 <<'BANNER'

################################################################################
#  DASHBOARD BROWSER TESTS SKIPPED: no Chromium (or STORECREDIT_SKIP_BROWSER). #
#  Install Debian's `chromium` (run this as root to have it installed), or    #
#  set STORECREDIT_CHROMIUM to a Chromium/Chrome binary.                       #
################################################################################
BANNER
    fi
    DATABASE_URL="$saleor_db" PYTHONPATH="$SALEOR_PATH" \
        "$SALEOR_PYTHON" -m pytest -c tests/saleor/pytest.ini --reuse-db "$@" tests/saleor || status=$?
else
    cat >&2 <<'BANNER'

################################################################################
#  SALEOR SUITE SKIPPED: Saleor core is not importable.                        #
#  Only the core suite ran. To run the Saleor suite, set SALEOR_DIR to a       #
#  Saleor checkout synced with `uv sync --frozen --all-groups` (or set         #
#  SALEOR_PYTHON to a Python that can `import saleor` and its test tools).     #
################################################################################
BANNER
fi
exit "$status"
