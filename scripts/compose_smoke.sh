#!/usr/bin/env bash
# Smoke-run docker/compose.yaml with podman-compose where no image registry is reachable:
# postgres/redis/nginx are replaced by stand-ins built from Debian's packages on the debootstrap
# base of scripts/build_image.sh (PostgreSQL 15, Redis 7.0, nginx 1.22 — not the pinned images).
#   bash scripts/compose_smoke.sh          → up, wait for every healthcheck, probe the proxy, down
# Environment: PORT (proxy's host port, default 38080), KEEP=1 (leave the stack up),
# PODMAN_COMPOSE (a podman-compose command; default: a throwaway venv in /var/tmp).
# podman < 4.6 ignores `condition: service_healthy` and, with no systemd, never runs
# healthchecks by itself: this script starts the stores first and runs each healthcheck with
# `podman healthcheck run` until it passes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PORT="${PORT:-38080}"
export API_TOKEN="${API_TOKEN:-smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}"  # health details
BASE_IMAGE="${BASE_IMAGE:-localhost/cc-python:3.11-bookworm}"
PROJECT=ccsmoke
say() { printf 'compose_smoke: %s\n' "$*" >&2; }

podman image exists command-center:local || bash scripts/build_image.sh
if [ -z "${PODMAN_COMPOSE:-}" ]; then
  venv=/var/tmp/cc-podman-compose
  [ -x "$venv/bin/podman-compose" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q podman-compose; }
  PODMAN_COMPOSE="$venv/bin/podman-compose"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Each stand-in (scripts/podman-standins/) takes the environment, command and healthcheck the
# official image takes in compose.yaml.
for name in postgres redis nginx; do
  podman image exists "localhost/cc-standin-$name:local" && continue
  say "building stand-in $name"
  nice -n 10 podman build -q --format docker --build-arg "BASE=$BASE_IMAGE" \
    -t "localhost/cc-standin-$name:local" "scripts/podman-standins/$name" >/dev/null
done

# podman 4.3 turns depends_on into `--requires`: starting a replica re-runs the finished
# `migrate` and fails ("depends on container ... not found in input list"). The start order
# compose.yaml declares is kept here instead: stores healthy → migrate exits 0 → app → proxy.
cat >"$work/standins.yml" <<'EOF'
services:
  postgres: {image: "localhost/cc-standin-postgres:local"}
  redis: {image: "localhost/cc-standin-redis:local"}
  proxy: {image: "localhost/cc-standin-nginx:local", depends_on: !reset {}}
  migrate: {depends_on: !reset {}}
  app: {depends_on: !reset {}}
EOF
pc() { "$PODMAN_COMPOSE" -p "$PROJECT" -f docker/compose.yaml -f "$work/standins.yml" "$@"; }
containers() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'
}
healthy() {  # healthy SERVICE TIMEOUT: every container of SERVICE passes its healthcheck
  local deadline=$(($(date +%s) + $2)) c
  for c in $(containers "$1"); do
    until podman healthcheck run "$c" >/dev/null 2>&1; do
      [ "$(date +%s)" -lt "$deadline" ] || { say "$c not healthy after $2 s"; podman logs --tail 30 "$c" >&2; return 1; }
      sleep 2
    done
  done
}
down() { [ "${KEEP:-0}" = 1 ] || pc down -v >/dev/null 2>&1 || true; }
trap 'down; rm -rf "$work"' EXIT

if ss -Hltn "sport = :$PORT" | grep -q .; then say "port $PORT is taken: set PORT"; exit 1; fi
t0=$(date +%s)
log="$work/up.log"
up() { pc up -d --no-build "$@" >>"$log" 2>&1 || { grep -v systemd "$log" >&2; exit 1; }; }
up postgres redis
healthy postgres 120 && healthy redis 60
say "postgres and redis healthy after $(($(date +%s) - t0)) s"
up migrate
migrate=$(containers migrate)
[ "$(podman wait "$migrate")" = 0 ] || { podman logs "$migrate" >&2; say "migrate failed"; exit 1; }
say "migrate done after $(($(date +%s) - t0)) s"
up app
healthy app 300
say "$(containers app | wc -l) app replicas healthy after $(($(date +%s) - t0)) s"
up proxy
healthy proxy 60
curl -fsS "http://127.0.0.1:$PORT/ping" >/dev/null
# /v1/health: 200 within 30 s; every 503 before it is printed with its details. (Two runs at
# load average 19 saw "cache down" once just after the replicas became healthy.)
for try in $(seq 1 10); do
  code=$(curl -s -o "$work/health.json" -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" \
    "http://127.0.0.1:$PORT/v1/health")
  say "through the proxy: /v1/health $code $(head -c 900 "$work/health.json")"
  [ "$code" = 200 ] && break
  sleep 3
done
[ "$code" = 200 ]
# nginx resolved `app` to every replica; a WebSocket (Reflex's /_event) upgrades through it.
replicas=$(podman exec "$(containers proxy)" getent ahostsv4 app | awk '{print $1}' | sort -u | wc -l)
ws=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -H 'Connection: Upgrade' \
  -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: c21va2UtdGVzdC1rZXk9PQ==' \
  "http://127.0.0.1:$PORT/_event/?EIO=4&transport=websocket" || true)
say "proxy sees $replicas app addresses; WebSocket upgrade through it: $ws"
[ "$replicas" -ge 3 ] && [ "$ws" = 101 ]
# The page's scripts come from the replica that served the page (asset names differ per replica).
assets=$(curl -fsS "http://127.0.0.1:$PORT/" | grep -o '/assets/[A-Za-z0-9_.-]*\.js' | sort -u)
[ -n "$assets" ] || { say "no /assets/*.js in the page"; exit 1; }
missing=0
for round in 1 2 3; do
  for a in $assets; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$a")" = 200 ] || missing=$((missing + 1))
  done
done
say "page scripts: $(echo "$assets" | wc -l), fetched 3 times each, $missing not found"
[ "$missing" = 0 ]
# A redirect keeps the published port (nginx forwards Host with it).
location=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/login" | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
say "GET /login redirects to $location"
[ "$location" = "http://127.0.0.1:$PORT/login/" ]
say "ok in $(($(date +%s) - t0)) s"
