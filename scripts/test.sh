#!/usr/bin/env bash
# Run the whole test suite; pytest's "no tests collected" (exit 5) is a failure, never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests — failing" >&2
  exit 1
fi
exit "$status"
