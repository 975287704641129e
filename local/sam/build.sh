#!/usr/bin/env bash
# `make build`: the deploy build. `sam build` of template.yaml as it is (functions and the shared layer for
# arm64, per the template) into .aws-sam/build, then `sam deploy` (or `sam package`) takes it from there.
# Extra arguments go to `sam build` (e.g. `bash local/sam/build.sh --parallel`).
#
# `sam local` on an x86_64 machine cannot run this arm64 build: local/sam/e2e.sh builds its own x86_64 copy
# into .aws-sam/build-local.
set -euo pipefail
cd "$(dirname "$0")/../.."

SAM="${SAM:-.venv-sam/bin/sam}"
[[ -x "$SAM" ]] || { echo "error: $SAM not found: run 'make sam-venv' first" >&2; exit 1; }
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

# sam build's python3.13 workflow needs a python3.13 on PATH (the Lambda runtime's version).
PY313="$(bash local/find_python313.sh)"
PATH="$(dirname "$PY313"):$PATH"
export PATH

start=$SECONDS
"$SAM" build --template-file template.yaml --build-dir .aws-sam/build "$@"
# Lambda's /opt is read-only: without shipped bytecode every cold start compiles the layer from source.
.venv/bin/python -m local.layer_bytecode .aws-sam/build/SharedLayer/python

# Guard against the classic mistake (see the layer's Metadata in template.yaml): native wheels built for
# the wrong architecture make every function fail at import time in AWS, and nothing else would notice.
layer_arch="$(sed -n -E 's/^[[:space:]]*BuildArchitecture:[[:space:]]*([A-Za-z0-9_]+).*/\1/p' template.yaml | head -n 1)"
case "$layer_arch" in
  arm64) wrong="x86_64" ;;
  x86_64) wrong="aarch64" ;;
  *) wrong="" ;;
esac
if [[ -n "$wrong" ]]; then
  bad="$(find .aws-sam/build -name "*${wrong}*.so" | head -n 5)"
  if [[ -n "$bad" ]]; then
    echo "error: the build targets $layer_arch but holds $wrong native code:" >&2
    echo "$bad" >&2
    exit 1
  fi
fi
echo "build: .aws-sam/build ($layer_arch) in $((SECONDS - start)) s"
