#!/usr/bin/env bash
# Run every benchmark in one go; each prints its figures against a baseline measured in the
# same run. Results are recorded by hand in bench/RESULTS.md (never asserted in tests).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export AUTH_MODE="${AUTH_MODE:-open}"  # the benchmarks measure the app, not sign-in
status=0
for script in bench_safety bench_warehouse_generate bench_widget_data bench_clarifier \
              bench_ingest bench_fanout bench_event_to_pixel bench_load; do
  [ -f "bench/$script.py" ] || continue
  echo "== $script"
  .venv/bin/python "bench/$script.py" || status=1
  echo
done
exit "$status"
