#!/usr/bin/env bash
# Build the Command Center image with podman on a machine with no Docker engine and no image
# registry (only Debian's mirror, PyPI and npm): the base image comes from debootstrap.
#   bash scripts/build_image.sh            → command-center:local (the tag docker/compose.yaml uses)
# Environment: IMAGE (tag), BASE_IMAGE (base tag), BASE_DIR (debootstrap folder),
# DEBIAN_MIRROR, CA_DIR (extra CA certificates for a TLS-inspecting proxy; passed to the build
# stage as the secret `ca`, never shipped), NO_CACHE=1 (rebuild every layer).
# As root with podman missing, it installs podman, runc and debootstrap from Debian and writes
# /etc/containers/containers.conf (runc, cgroupfs, lowered ulimits) when that file is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-command-center:local}"
BASE_IMAGE="${BASE_IMAGE:-localhost/cc-python:3.11-bookworm}"
BASE_DIR="${BASE_DIR:-/var/tmp/cc-base-rootfs}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CA_DIR="${CA_DIR:-/usr/local/share/ca-certificates}"

say() { printf 'build_image: %s\n' "$*" >&2; }

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  [ "$(id -u)" = 0 ] || { say "needs podman and debootstrap (apt-get install podman runc debootstrap)"; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
if [ "$(id -u)" = 0 ] && [ ! -s /etc/containers/containers.conf ]; then
  # This sandbox has no systemd and a low hard nofile limit: podman's defaults fail here.
  mkdir -p /etc/containers
  cat >/etc/containers/containers.conf <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
fi

if ! podman image exists "$BASE_IMAGE"; then
  # The equivalent of python:3.11-slim-bookworm: Debian's Python 3.11 with venv and CAs.
  say "base image $BASE_IMAGE missing: debootstrap bookworm into $BASE_DIR"
  rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
  nice -n 10 debootstrap --variant=minbase \
    --include=python3,python3-venv,python-is-python3,ca-certificates \
    bookworm "$BASE_DIR" "$DEBIAN_MIRROR" >"$BASE_DIR.log" 2>&1 \
    || { tail -20 "$BASE_DIR.log" >&2; exit 1; }
  rm -rf "$BASE_DIR"/var/cache/apt/archives/*.deb "$BASE_DIR"/var/lib/apt/lists/* \
    "$BASE_DIR"/usr/share/doc/* "$BASE_DIR"/usr/share/man/* "$BASE_DIR"/usr/share/info/*
  find "$BASE_DIR/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  tar --numeric-owner -C "$BASE_DIR" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$BASE_DIR"
fi

# docker format: the OCI format has no HEALTHCHECK (buildah drops it with a warning).
args=(--format docker -f docker/Dockerfile --build-arg "PYTHON_IMAGE=$BASE_IMAGE" -t "$IMAGE")
[ "${NO_CACHE:-0}" = 1 ] && args+=(--no-cache)
ca_bundle=""
if compgen -G "$CA_DIR/*.crt" >/dev/null; then
  ca_bundle="$(mktemp)"
  trap 'rm -f "$ca_bundle"' EXIT
  cat "$CA_DIR"/*.crt >"$ca_bundle"
  args+=(--secret "id=ca,src=$ca_bundle")
fi

start=$(date +%s)
nice -n 10 podman build "${args[@]}" .
took=$(($(date +%s) - start))
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE in ${took}s, $(awk -v b="$size" 'BEGIN { printf "%.0f MB", b / 1e6 }')"
