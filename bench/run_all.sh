#!/usr/bin/env bash
# Run every benchmark in one go; each prints its figures against a baseline measured in the
# same run and reports them through bench/results.py, which then writes the summary table into
# bench/RESULTS.md (never asserted in tests).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export AUTH_MODE="${AUTH_MODE:-open}"  # the benchmarks measure the app, not sign-in
records="$(mktemp)"
export CC_BENCH_RESULTS="$records"
status=0
for script in bench/bench_*.py; do
  echo "== $script"
  .venv/bin/python "$script" || status=1
  echo
done
.venv/bin/python bench/results.py write "$records" && echo "bench/RESULTS.md updated"
rm -f "$records"
exit "$status"
