#!/usr/bin/env bash
# The production command (Docker entrypoint, `make run`, and the end-to-end tests):
# validate config, migrate, seed, build the local warehouse, then serve one port.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-3000}"
PYTHON="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}"
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then  # workers share it; a new start starts at zero
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
"$PYTHON" -m command_center.bootstrap
export CC_STARTUP_DONE=1  # done once here: the server's workers skip it (command_center/devloop.py)
exec "$PYTHON" -m reflex run --env prod --frontend-port "$PORT" --backend-port "$PORT" \
  --backend-host "${HOST:-0.0.0.0}"
