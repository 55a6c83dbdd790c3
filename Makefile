# The verbs people type. Each target calls a script in scripts/ or a tool in .venv.
#   make dev     install everything, start the native halfstack, prepare the database,
#                run the manager in the foreground (Ctrl-C stops it)
#   make test    install what the tests need, start the halfstack, run the whole suite
# Pass pytest arguments with `make test PYTEST_ARGS='tests/unit -x'`.

SHELL := /bin/bash
VENV := .venv
BAI := $(VENV)/bin/backend.ai
CONFIG := manager.toml
PYTEST_ARGS ?=

.PHONY: install halfstack halfstack-down peers config schema fixtures run dev test test-unit \
	bench lint fmt registry

install:
	bash scripts/install-dev.sh

halfstack:
	bash scripts/halfstack-up.sh

# `make halfstack-down PURGE=1` also deletes .halfstack/ (etcd data, logs).
halfstack-down:
	bash scripts/halfstack-down.sh $(if $(PURGE),--purge)

# A local container registry (127.0.0.1:5050) with the demo images, registered for rescans.
registry: install $(CONFIG)
	bash scripts/registry-up.sh
	$(VENV)/bin/python scripts/push-test-images.py --registry http://127.0.0.1:5050
	$(BAI) mgr -f $(CONFIG) registry list | grep -q '^127.0.0.1:5050 ' \
		|| $(BAI) mgr -f $(CONFIG) registry add 127.0.0.1:5050 http://127.0.0.1:5050

peers:
	bash scripts/make-peer-venv.sh client
	bash scripts/make-peer-venv.sh agent
	bash scripts/make-peer-venv.sh storage-proxy

# (Re)write manager.toml for the native halfstack.
config:
	bash scripts/dev-up.sh --config-only

$(CONFIG):
	bash scripts/dev-up.sh --config-only

schema: install $(CONFIG)
	$(BAI) mgr -f $(CONFIG) schema oneshot

fixtures: install $(CONFIG)
	$(BAI) mgr -f $(CONFIG) fixture populate sample-configs/example-keypairs.json
	$(BAI) mgr -f $(CONFIG) fixture populate sample-configs/example-resource-presets.json

run: install $(CONFIG)
	$(BAI) mgr -f $(CONFIG) start-server

dev:
	bash scripts/dev-up.sh

test:
	bash scripts/run-tests.sh $(PYTEST_ARGS)

test-unit: install
	$(VENV)/bin/python -m pytest tests/unit -q -ra $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/python benchmarks/bench_foundation.py

lint: install
	$(VENV)/bin/ruff check src tests benchmarks && $(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy src

fmt: install
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks
