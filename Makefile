# One entry point for people and CI. `make dev` runs the API locally; `make test` is the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
SAMVENV  := .venv-sam
CKVENV   := .venv-checkov
PORT     ?= 3000
CLIENT   ?= local-client
# The token's scopes, space-separated; the default is the consumer scope only.
SCOPE    ?= messaging/conversations
# App roles (`roles` claim), space-separated, for a stack deployed with ScopeClaim=roles (Entra ID).
ROLES    ?=
# With ROLES, the token carries no scope unless SCOPE is given too (as an Entra ID app-only token).
TOKEN_SCOPE = $(if $(and $(ROLES),$(filter file,$(origin SCOPE))),,$(SCOPE))
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
# Dummy credentials: botocore signs requests even for DynamoDB Local and `sam build`.
export AWS_ACCESS_KEY_ID ?= local
export AWS_SECRET_ACCESS_KEY ?= local

.PHONY: help venv sam-venv checkov-venv checkov dynamodb-local browser dev token webhook-receiver test lint typecheck template-lint unit integration e2e openapi api-diff build sam-e2e bench dead-letters mutation clean

help:
	@echo "make dev                 serve the API on http://127.0.0.1:$(PORT) (DynamoDB Local, tables from template.yaml)"
	@echo "make token CLIENT=<id>   print a local bearer token for tenant <id> (SCOPE=\"a b\": its scopes)"
	@echo "make webhook-receiver SECRET=whsec_... [PORT=4000] [ARGS=\"--fail-first 2\"]"
	@echo "                         a local webhook receiver that verifies signatures (--help: failure modes)"
	@echo "make test                lint, typecheck, template lint (cfn-lint, sam validate, checkov), API breaking-change check, all tests"
	@echo "make build               sam build (.aws-sam/build)"
	@echo "make sam-e2e             the built app under 'sam local start-api' + 'sam local start-lambda' (needs Docker)"
	@echo "make bench               benchmark (bench/RESULTS.md)"
	@echo "make mutation            mutation testing of the shared layer (slow, not in make test; tests/MUTATION.md)"
	@echo "make openapi             regenerate openapi.json from the code (a test fails when it is stale)"
	@echo "make api-diff            fail on breaking changes of openapi.json not declared in README's changelog"

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

$(CKVENV)/.installed: requirements-checkov.txt
	@rm -rf $(CKVENV) && python3 -m venv $(CKVENV)
	$(CKVENV)/bin/pip install -q --disable-pip-version-check -r requirements-checkov.txt
	@touch $@
checkov-venv: $(CKVENV)/.installed

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

# Breaking changes of openapi.json since the last v* tag (else the previous commit) must be declared in the
# README's changelog (local/api_diff.py). API_DIFF_BASE=<rev> compares with another revision, e.g. main.
api-diff: venv node_modules/.installed
	$(PY) -m local.api_diff $(if $(API_DIFF_BASE),--base-rev $(API_DIFF_BASE))

# DEV_ARGS: more options, e.g. DEV_ARGS="--schedule-seconds TimeoutSweeperFunction=5" (local-only speed-up).
dev: venv dynamodb-local
	$(PY) -m local.dev_server --port $(PORT) $(DEV_ARGS)

token: venv
	@$(PY) -m local.token --client "$(CLIENT)" --scope "$(TOKEN_SCOPE)" --roles "$(ROLES)"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

# Both ways of the SnapStart parameter: the template as it is (Off), and a copy whose default is PublishedVersions.
SNAPSTART_ON := .local-run/template-snapstart-on.yaml
template-lint: sam-venv checkov
	$(SAMVENV)/bin/cfn-lint template.yaml -a cfn_lint_serverless.rules
	$(SAMVENV)/bin/sam validate --lint --template template.yaml
	@mkdir -p .local-run && sed 's/^    Default: "Off"$$/    Default: PublishedVersions/' template.yaml > $(SNAPSTART_ON)
	@grep -q '^    Default: PublishedVersions$$' $(SNAPSTART_ON) || { echo "no SnapStart default to flip" >&2; exit 1; }
	$(SAMVENV)/bin/cfn-lint $(SNAPSTART_ON) -a cfn_lint_serverless.rules
	$(SAMVENV)/bin/sam validate --lint --template $(SNAPSTART_ON)

# Fails on any failed check (and on a template it cannot parse); a check we do not meet is skipped in template.yaml by a
# `# checkov:skip=<ID>: <reason>` comment at the resource. Offline: no Prisma Cloud API key, no policy download, no
# PyPI version check.
checkov: checkov-venv
	env -u BC_API_KEY CKV_SKIP_PACKAGE_UPDATE_CHECK=true CKV_PARSE_ERROR_FAIL=true \
	  $(CKVENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --quiet --compact

unit: venv
	$(PY) -m pytest tests/unit -q

integration: venv dynamodb-local
	$(PY) -m pytest tests/integration -q

e2e: venv dynamodb-local
	$(PY) -m pytest tests/e2e -q

# A business's webhook receiver on http://127.0.0.1:$(PORT) (default 4000, not the API's 3000): SECRET is the
# signingSecret that PUT /channel answered; ARGS passes failure modes (local/webhook_receiver.py --help).
webhook-receiver: venv
	@test -n "$(SECRET)" || { echo "SECRET=whsec_... is required: the signingSecret from PUT /channel" >&2; exit 2; }
	@$(PY) -m local.webhook_receiver --port $(if $(filter command line,$(origin PORT)),$(PORT),4000) \
	  --secret "$(SECRET)" $(ARGS)

test: lint typecheck template-lint api-diff venv dynamodb-local browser
	$(PY) -m pytest tests -q

build: venv sam-venv
	bash local/sam/build.sh

sam-e2e: venv sam-venv dynamodb-local
	bash local/sam/e2e.sh

# The webhook deliveries that gave up: ACTION=list (default) or redrive; deployed, pass ARGS="--queue-url …
# --dead-letter-queue-url …" from the stack's outputs. Locally, the running `make dev`'s queues.
ACTION ?= list
dead-letters: venv
	@$(PY) -m ops.dead_letters $(ACTION) $(ARGS)

bench: venv dynamodb-local
	$(PY) -m bench.run

# mutmut over layers/shared/messaging with the unit + integration tests; MUTATION_TESTS, MUTATION_JOBS, MUTANTS:
# see local/mutation.py. Writes tests/MUTATION.md, merging the verdicts of tests/mutation_verdicts.toml.
mutation: venv dynamodb-local
	$(PY) -m local.mutation

clean:
	rm -rf $(VENV) $(SAMVENV) $(CKVENV) node_modules .aws-sam .mypy_cache .ruff_cache .pytest_cache .local-run .mutation
