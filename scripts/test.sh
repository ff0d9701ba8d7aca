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
