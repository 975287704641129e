#!/usr/bin/env bash
# Ensures the Docker image `sam local` runs the functions in, without any image registry:
# a Lambda-like python3.13 image built from Debian trixie (debootstrap) + awslambdaric + boto3.
#
#   bash local/sam/image.sh            # prints the image name when ready
#
# Order of attempts: the image already in Docker (with the current key) -> the cached tarball
# .local-run/lambda-image.tar.gz (docker load, ~2 s) -> a fresh build (~1-2 min, needs root, debootstrap,
# a Debian mirror and PyPI). The key is a hash of this script and the boto3 pin, so editing either rebuilds.
#
# The image mimics public.ecr.aws/lambda/python:3.13 as far as `sam local` needs: SAM builds its own image on
# top (adds /var/rapid/aws-lambda-rie and the layers under /opt); the emulator runs /var/runtime/bootstrap,
# which starts awslambdaric with $_HANDLER. With registry access you do not need this image at all (see README).
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=messaging-lambda-python313:local
CACHE_DIR=.local-run
CACHE_TAR="$CACHE_DIR/lambda-image.tar.gz"
CACHE_KEY_FILE="$CACHE_DIR/lambda-image.key"
SUITE=trixie # Debian 13: its python3 is 3.13, the Lambda runtime's version.
AWSLAMBDARIC_PIN="awslambdaric==4.2.2"
# The Lambda runtime ships boto3 (the layer does not): use the version the tests use.
BOTO3_PIN="$(grep -E '^boto3==' requirements-dev.txt 2>/dev/null || echo 'boto3==1.44.8')"
KEY="$( (cat "$0"; echo "$BOTO3_PIN"; uname -m) | sha256sum | cut -c1-16)"

log() { echo "[image] $*" >&2; }

image_key() { docker image inspect -f '{{ index .Config.Labels "messaging.image-key" }}' "$IMAGE" 2>/dev/null || true; }

# The image a new one replaces (an older key) would linger untagged: remove it, by its id.
previous="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
drop_previous() {
  if [[ -n "$previous" && "$previous" != "$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)" ]]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
}

if [[ "$(image_key)" == "$KEY" ]]; then
  log "$IMAGE is current (key $KEY)"
  echo "$IMAGE"
  exit 0
fi

if [[ -f "$CACHE_TAR" && "$(cat "$CACHE_KEY_FILE" 2>/dev/null)" == "$KEY" ]]; then
  log "loading $IMAGE from $CACHE_TAR"
  if gzip -dc "$CACHE_TAR" | docker load >/dev/null && [[ "$(image_key)" == "$KEY" ]]; then
    drop_previous
    echo "$IMAGE"
    exit 0
  fi
  log "the cached tarball is unusable: rebuilding"
fi

# ------------------------------------------------------------------ fresh build
start=$SECONDS
if [[ $EUID -ne 0 ]]; then
  echo "error: building $IMAGE needs root (debootstrap). Run as root once, or see local/sam/README.md." >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null; }
fi

# The Debian mirror apt already uses here (DEBIAN_MIRROR overrides), else deb.debian.org.
mirror="${DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
  mirror="$(python3 - <<'PY'
import glob, re
uris = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path, encoding="utf-8", errors="replace").read().split("\n\n"):
        if re.search(r"^Enabled:\s*no", stanza, re.M | re.I):
            continue
        m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
        if m:
            uris.append(m.group(1))
for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line.strip())
        if m:
            uris.append(m.group(1))
# The main archive (not -security, -ports, third-party repos): its URL ends in /debian.
main = [u for u in uris if re.search(r"/debian/?$", u)]
print(main[0] if main else "http://deb.debian.org/debian")
PY
)"
fi

work="$(mktemp -d /tmp/lambda-image.XXXXXX)"
cleanup() {
  # debootstrap mounts /proc and /sys in the rootfs while it runs: if it was interrupted, unmount first.
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rootfs="$work/rootfs"

log "debootstrap $SUITE from $mirror (about a minute)"
if ! debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$rootfs" "$mirror" \
  >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  echo "error: debootstrap failed (log above)" >&2
  exit 1
fi

# awslambdaric and boto3 go where Lambda keeps its runtime, /var/runtime. They are installed by the host's
# pip (the host's index, proxy and CA settings apply), as binary wheels for this machine and Python 3.13.
log "installing $AWSLAMBDARIC_PIN $BOTO3_PIN"
PY313="$(bash local/find_python313.sh)"
"$PY313" -m pip install --quiet --disable-pip-version-check --no-compile --only-binary=:all: \
  --python-version 3.13 --implementation cp --target "$rootfs/var/runtime" \
  "$AWSLAMBDARIC_PIN" "$BOTO3_PIN" 2> >(grep -v -E "is ignored: it is neither|Running pip as the 'root' user" >&2)

cat >"$rootfs/var/runtime/bootstrap" <<'BOOT'
#!/bin/sh
# Lambda-like bootstrap started by the runtime interface emulator (aws-lambda-rie) that `sam local` adds.
export LAMBDA_TASK_ROOT="${LAMBDA_TASK_ROOT:-/var/task}"
export LAMBDA_RUNTIME_DIR="${LAMBDA_RUNTIME_DIR:-/var/runtime}"
# Lambda's order: function code, layers, then the runtime's own packages (boto3, awslambdaric).
export PYTHONPATH="/var/task:/opt/python/lib/python3.13/site-packages:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
cd "$LAMBDA_TASK_ROOT"
exec /usr/bin/python3 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
BOOT
chmod 0755 "$rootfs/var/runtime/bootstrap"
mkdir -p "$rootfs/var/task" "$rootfs/opt" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
# Slim it down: docs, man pages, locales, apt caches are not needed to run Python.
rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian} "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
[[ -x "$rootfs/usr/bin/python3" ]] || { echo "error: no python3 in the image rootfs" >&2; exit 1; }

log "importing $IMAGE"
tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV TZ=:/etc/localtime' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/opt/bin' \
  --change 'ENV LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  --change 'ENTRYPOINT ["/var/runtime/bootstrap"]' \
  --change "LABEL messaging.image-key=$KEY" \
  - "$IMAGE" >/dev/null
drop_previous

mkdir -p "$CACHE_DIR"
log "caching it as $CACHE_TAR"
docker save "$IMAGE" | gzip -1 >"$CACHE_TAR.tmp"
mv "$CACHE_TAR.tmp" "$CACHE_TAR"
echo "$KEY" >"$CACHE_KEY_FILE"
log "built $IMAGE in $((SECONDS - start)) s"
echo "$IMAGE"
