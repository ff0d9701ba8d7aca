#!/usr/bin/env bash
# The benchmark command: same set-up as the tests, its own database
# (storecredit_bench, dropped and recreated on every run).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ensure_venv
ensure_postgres

bench_db="${DATABASE_URL%/*}/storecredit_bench"
say "ledger benchmarks on $bench_db"
DATABASE_URL="$bench_db" "$VENV/bin/python" -m benchmarks.ledger_bench "$@"
