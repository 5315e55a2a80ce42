# Starcard's entry points. `make help` lists them.
#
# Kafka and PostgreSQL run natively on this machine (deploy/local/, see ARCHITECTURE.md section 8):
# `make infra` starts them, and the variables below point the tests, the benchmarks and the services
# at them unless the environment already says otherwise.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# uv runs the workspace. A machine without it (a fresh Debian has python3 and pip, not uv) gets a
# private copy from PyPI under .run/tools the first time a target needs it; nothing system-wide.
UV_HOME := .run/tools/uv
UV ?= $(if $(shell command -v uv 2>/dev/null),uv,$(CURDIR)/$(UV_HOME)/bin/uv)
export UV
INFRA := deploy/local/infra.sh
PYTEST_ARGS ?=

KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:9092
DATABASE_URL ?= postgresql://starcard:starcard@127.0.0.1:5433/starcard
export KAFKA_BOOTSTRAP_SERVERS DATABASE_URL

# The workspace's importable packages (starcard_events, starcard_runtime, ...), found by folder so
# that a new service is type-checked as soon as it exists.
PY_PACKAGES := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard \
	events/schemas/starcard_*/__init__.py services/*/starcard_*/__init__.py \
	projections/starcard_*/__init__.py)))))
MYPY_FILES := tests $(wildcard bench/*.py)

.PHONY: help tools install up down demo infra infra-down infra-status \
	test test-unit test-integration test-e2e lint fmt bench

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

tools: ## install uv (under .run/tools) when the machine has none
	@command -v $(firstword $(UV)) >/dev/null 2>&1 || { \
		echo "uv not found: installing it under $(UV_HOME) (python3 -m pip install --target)"; \
		python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
			--target $(UV_HOME) uv; \
	}

install: tools ## install the Python workspace and its dev tools (uv sync)
	$(UV) sync

# --- the whole system ---------------------------------------------------------------------------
# The services, the projections and the gateway run in the background (deploy/local/stack.sh,
# logs under .run/stack/); `starcard demo` creates the demo tenant and publishes its booking feed.
STACK := deploy/local/stack.sh
GATEWAY_URL := http://127.0.0.1:$(or $(STARCARD_GATEWAY_PORT),8000)
DEMO_KEY_FILE := .run/demo/api-key
UP_TIMEOUT ?= 60

up: install ## everything: install, Kafka + PostgreSQL, services + gateway, a demo feed; shows the stars
	$(MAKE) infra
	$(STACK) up
	$(UV) run starcard demo --key-file $(DEMO_KEY_FILE)
	@key="$$(cat $(DEMO_KEY_FILE))"; auth="Authorization: Bearer $$key"; \
	url="$(GATEWAY_URL)/v1/loyalty/clients?limit=10"; \
	printf 'Waiting for the stars to reach the most-loyal list'; \
	previous=""; ready=""; \
	for _ in $$(seq $(UP_TIMEOUT)); do \
		body="$$(curl -fsS -H "$$auth" "$$url" 2>/dev/null || true)"; \
		if grep -q '"stars":[1-9]' <<<"$$body" && [ "$$body" = "$$previous" ]; then \
			ready=1; break; \
		fi; \
		previous="$$body"; printf '.'; sleep 1; \
	done; echo; \
	if [ -z "$$ready" ]; then \
		echo "No settled stars in the list after $(UP_TIMEOUT)s; see: $(STACK) logs" >&2; exit 1; \
	fi; \
	echo; \
	echo "Starcard is up."; \
	echo "  API docs:     $(GATEWAY_URL)/docs"; \
	echo "  Demo tenant:  serenity-massage (its API key is in $(DEMO_KEY_FILE))"; \
	echo "  Most loyal:   curl -s -H \"$$auth\" \"$$url\""; \
	echo "  Referrals:    curl -s -H \"$$auth\" \"$(GATEWAY_URL)/v1/referrals/summary\""; \
	token="$$(curl -fsS -X POST -H "$$auth" -H 'Content-Type: application/json' \
		-d '{"client_id": "client01"}' "$(GATEWAY_URL)/v1/portal/tokens" \
		| $(UV) run python -c 'import json, sys; print(json.load(sys.stdin)["token"])')"; \
	echo "  Dashboard:    $(GATEWAY_URL)/dashboard   (sign in with the API key above)"; \
	echo "  A portal:     $(GATEWAY_URL)/portal?token=$$token"; \
	echo "                (client01's loyalty card and Refer a friend; the link works for 7 days)"; \
	echo "  Mailbox:      $(UV) run python -m starcard_notifier.mailbox list   (.run/mailbox/*.eml)"; \
	echo "  SMS sink:     $(UV) run python -m starcard_notifier.smsbox list    (.run/smsbox/*.json)"; \
	echo "  Logs:         $(STACK) logs    Stop: make down"; \
	echo; \
	echo "The most loyal clients (first 5 rows):"; \
	curl -fsS -H "$$auth" "$(GATEWAY_URL)/v1/loyalty/clients?limit=5" | $(UV) run python -m json.tool; \
	echo; \
	echo "Referrals across clients:"; \
	curl -fsS -H "$$auth" "$(GATEWAY_URL)/v1/referrals/summary" | $(UV) run python -m json.tool; \
	echo; \
	echo "Emails in the mailbox (the newest):"; \
	sleep 3; \
	STARCARD_MAILBOX_DIR=.run/mailbox $(UV) run python -m starcard_notifier.mailbox list | tail -n 5; \
	echo; \
	echo "Text messages in the SMS sink:"; \
	STARCARD_SMSBOX_DIR=.run/smsbox $(UV) run python -m starcard_notifier.smsbox list | tail -n 5

down: ## stop the services and the gateway, then Kafka and PostgreSQL
	$(STACK) down
	$(MAKE) infra-down

demo: ## (re)publish the demo feed for the demo tenant; prints a new API key (services must run)
	$(UV) run starcard demo

# --- local servers ------------------------------------------------------------------------------
infra: ## start Kafka (127.0.0.1:9092) and PostgreSQL (127.0.0.1:5433), installing what is missing
	$(INFRA) up

infra-down: ## stop Kafka and PostgreSQL
	$(INFRA) down

infra-status: ## tell whether Kafka and PostgreSQL run and answer
	$(INFRA) status

# --- tests --------------------------------------------------------------------------------------
test: install infra ## the whole suite against real Kafka and PostgreSQL (started if needed); pytest's exit code
	$(UV) run pytest $(PYTEST_ARGS)

# One tier each; a tier that has no tests yet is not an error (pytest's exit code 5).
test-unit: ## pure domain tests, no servers
	$(UV) run pytest -m unit $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-integration: infra ## tests against real Kafka and PostgreSQL
	$(UV) run pytest -m integration $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-e2e: infra ## the whole system through Kafka and HTTP
	$(UV) run pytest -m e2e $(PYTEST_ARGS) || [ $$? -eq 5 ]

# --- code quality -------------------------------------------------------------------------------
lint: ## ruff (lint + format check), mypy --strict, and the import contracts (import-linter)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy $(addprefix -p ,$(PY_PACKAGES))
	$(UV) run mypy $(MYPY_FILES)
	$(UV) run lint-imports

fmt: ## format the code and apply ruff's safe fixes
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

# --- benchmarks ---------------------------------------------------------------------------------
bench: infra ## ingest, latency and referral benchmarks against the real servers
	$(UV) run python bench/ingest.py
	$(UV) run python bench/latency.py
	$(UV) run python bench/referrals.py
