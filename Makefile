# One entry point for people and CI. `make dev` runs the API locally; `make test` is the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
SAMVENV  := .venv-sam
PORT     ?= 3000
CLIENT   ?= local-client
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
# Dummy credentials: botocore signs requests even for DynamoDB Local and `sam build`.
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local

.PHONY: help venv sam-venv dynamodb-local browser dev token test lint typecheck template-lint unit integration e2e openapi build sam-e2e bench mutation clean

help:
	@echo "make dev                 serve the API on http://127.0.0.1:$(PORT) (DynamoDB Local, tables from template.yaml)"
	@echo "make token CLIENT=<id>   print a local bearer token for tenant <id>"
	@echo "make test                lint, typecheck, template lint, unit + integration + e2e tests"
	@echo "make build               sam build (.aws-sam/build)"
	@echo "make sam-e2e             the built app under 'sam local start-api' + 'sam local invoke' (needs Docker)"
	@echo "make bench               benchmark (bench/RESULTS.md)"
	@echo "make mutation            mutation testing of the shared layer (slow, not in make test; tests/MUTATION.md)"
	@echo "make openapi             regenerate openapi.json from the code (a test fails when it is stale)"

# Progress goes to stderr, so that `TOKEN=$$(make token CLIENT=acme)` captures only the token on a fresh clone.
$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt
	@PY313="$$(bash local/find_python313.sh)" && rm -rf $(VENV) && "$$PY313" -m venv $(VENV)
	@echo "installing the Python 3.13 venv ($(VENV)) ..." >&2
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt >&2
	@touch $@
venv: $(VENV)/.installed

$(SAMVENV)/.installed: requirements-sam.txt
	@rm -rf $(SAMVENV) && python3 -m venv $(SAMVENV)
	$(SAMVENV)/bin/pip install -q --disable-pip-version-check -r requirements-sam.txt
	@touch $@
sam-venv: $(SAMVENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@
dynamodb-local: node_modules/.installed

# Headless Chromium for the Swagger UI page test (Debian's package). Fails when apt-get + root/sudo are there
# but the install fails; where it cannot install it warns (the test skips), or fails under REQUIRE_TOOLS=1.
browser:
	@bash local/install_chromium.sh

openapi: venv
	$(PY) -m local.openapi

dev: venv dynamodb-local
	$(PY) -m local.dev_server --port $(PORT)

token: venv
	@$(PY) -m local.token --client "$(CLIENT)"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

template-lint: sam-venv
	$(SAMVENV)/bin/cfn-lint template.yaml -a cfn_lint_serverless.rules
	$(SAMVENV)/bin/sam validate --lint --template template.yaml

unit: venv
	$(PY) -m pytest tests/unit -q

integration: venv dynamodb-local
	$(PY) -m pytest tests/integration -q

e2e: venv dynamodb-local
	$(PY) -m pytest tests/e2e -q

test: lint typecheck template-lint venv dynamodb-local browser
	$(PY) -m pytest tests -q

build: venv sam-venv
	bash local/sam/build.sh

sam-e2e: venv sam-venv dynamodb-local
	bash local/sam/e2e.sh

bench: venv dynamodb-local
	$(PY) -m bench.run

# mutmut over layers/shared/messaging with the unit + integration tests; MUTATION_TESTS, MUTATION_JOBS, MUTANTS:
# see local/mutation.py. Writes tests/MUTATION.md, merging the verdicts of tests/mutation_verdicts.toml.
mutation: venv dynamodb-local
	$(PY) -m local.mutation

clean:
	rm -rf $(VENV) $(SAMVENV) node_modules .aws-sam .mypy_cache .ruff_cache .pytest_cache .local-run .mutation
