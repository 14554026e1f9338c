# Two commands on a fresh machine with Python 3.11: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The Airbyte Talkdesk connector pins old dependencies (airbyte-cdk 0.x, pydantic 1): its own venv.
AIRBYTE := .venv-airbyte

# schemathesis in a venv of its own (its pinned hypothesis and jsonschema stay out of the test venv).
FUZZ := .venv-fuzz

.PHONY: serve test lint bench conformance fuzz e2e docker clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# tests/acme: the fifth vendor, a package of its own found through the fakeexports.vendors entry point. A real
# (not editable) install, as a user's vendor package would be; reinstalled whenever one of its files changes.
$(BIN)/.acme: $(BIN)/.installed $(wildcard tests/acme/pyproject.toml tests/acme/fakeexports_acme/*)
	$(BIN)/pip install -q --no-build-isolation --no-deps --force-reinstall ./tests/acme
	touch $@

$(AIRBYTE)/.installed:
	$(PYTHON) -m venv $(AIRBYTE)
	$(AIRBYTE)/bin/pip install -q --upgrade pip
	$(AIRBYTE)/bin/pip install -q airbyte-source-talkdesk-explore==0.1.0
	touch $@

serve: $(BIN)/.installed  ## run the fake on 127.0.0.1:8080 (real clock, all vendors)
	$(BIN)/fakeexports serve $(ARGS)

test: $(BIN)/.installed $(BIN)/.acme $(AIRBYTE)/.installed  ## the whole test suite
	$(BIN)/python -m pytest $(ARGS)

conformance: $(BIN)/.installed $(BIN)/.acme  ## replay the vendors' recorded exchanges (tests/conformance), and yours (conformance/)
	$(BIN)/python -m tests.conformance
	@if [ -d conformance ]; then $(BIN)/python -m fakeexports conformance conformance; fi

e2e: $(BIN)/.installed  ## only the dashboard (Chromium) and Docker tests; FAKEEXPORTS_DOCKER_BASE picks the base image
	$(BIN)/python -m pytest tests/browser tests/docker $(ARGS)

docker:  ## build the image (BASE=... for another base image, e.g. one from docker/base.sh)
	docker build --network host $(if $(BASE),--build-arg BASE=$(BASE)) -t fakeexports .

$(FUZZ)/.installed:
	$(PYTHON) -m venv $(FUZZ)
	$(FUZZ)/bin/pip install -q --upgrade pip
	$(FUZZ)/bin/pip install -q schemathesis==4.32.5
	touch $@

fuzz: $(BIN)/.installed $(BIN)/.acme $(FUZZ)/.installed  ## schemathesis over every spec the fake serves and the vendors' own
	$(BIN)/python tests/fuzz/fuzz.py --st $(FUZZ)/bin/st $(ARGS)

lint: $(BIN)/.installed  ## ruff and mypy --strict
	$(BIN)/ruff check fakeexports tests bench
	$(BIN)/mypy
	$(BIN)/mypy --strict tests/acme/fakeexports_acme

bench: $(BIN)/.installed $(BIN)/.acme  ## every benchmark, one table beside raw aiohttp and Prism (bench/README.md)
	bench/setup.sh
	$(BIN)/python bench/all.py $(ARGS)

clean:
	rm -rf $(VENV) $(AIRBYTE) $(FUZZ) .pytest_cache .mypy_cache .ruff_cache dist build
