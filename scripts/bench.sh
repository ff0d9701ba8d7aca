#!/usr/bin/env bash
# The benchmark command: same set-up as the tests, each benchmark on its own
# database, every figure a ratio against a baseline measured in the same run.
#   ledger:   debit throughput vs raw SQL; balance/history reads at 1k vs 1M entries
#   export:   peak memory exporting 1M vs 10k entries
#   bulk:     a bulk job crediting 100k customers vs one set-based INSERT of the same rows
#   checkout: store-credit checkout vs app-transaction checkout, and applying /
#             removing credit vs Saleor's gift card (checkoutAddPromoCode), time
#             and queries (needs Saleor, see SALEOR_DIR / SALEOR_PYTHON in env.sh)
#   scale:    100k-row import vs COPY; expiry of 1M lots across 100k accounts vs
#             set-based SQL
#   import:   memory of a 100k-row import vs a 1k-row one: only with STORECREDIT_BENCH_IMPORT=1
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ensure_venv
ensure_postgres
base="${DATABASE_URL%/*}"

say "ledger benchmarks"
DATABASE_URL="$base/storecredit_bench" "$VENV/bin/python" -m benchmarks.ledger_bench "$@"

say "scale benchmarks (import, expiry)"
DATABASE_URL="$base/storecredit_bench_scale" "$VENV/bin/python" -m benchmarks.scale_bench

say "bulk credit benchmark"
DATABASE_URL="$base/storecredit_bench_bulk" "$VENV/bin/python" -m benchmarks.bulk_bench

say "export memory benchmark"
DATABASE_URL="$base/storecredit" "$VENV/bin/python" benchmarks/export_bench.py

if [ "${STORECREDIT_BENCH_IMPORT:-0}" = 1 ]; then
    say "import benchmark"
    DATABASE_URL="$base/storecredit" "$VENV/bin/python" benchmarks/import_bench.py
fi

resolve_saleor
if saleor_importable; then
    say "checkout benchmark against Saleor"
    DATABASE_URL="$base/storecredit_bench_saleor" PYTHONPATH="$SALEOR_PATH" \
        "$SALEOR_PYTHON" benchmarks/checkout_bench.py
else
    say "checkout benchmark skipped: Saleor core is not importable (set SALEOR_DIR)"
fi
