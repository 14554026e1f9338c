# Two commands on a fresh machine with Python 3.11: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The Airbyte Talkdesk connector pins old dependencies (airbyte-cdk 0.x, pydantic 1): its own venv.
AIRBYTE := .venv-airbyte

# schemathesis in a venv of its own (its pinned hypothesis and jsonschema stay out of the test venv).
FUZZ := .venv-fuzz

.PHONY: serve test lint bench conformance fuzz e2e docker clean

# First-time setup says what it does: pip's own progress on a terminal, one line a step (and pip quiet) elsewhere.
QUIET = $$([ -t 1 ] || echo -q)
say = @printf 'fakeexports: %s\n' $(1) >&2

$(BIN)/.installed: pyproject.toml
	$(call say,"setting up $(VENV) with $(PYTHON) (first run or pyproject.toml changed: about a minute)")
	$(PYTHON) -m venv $(VENV)
	$(call say,"$(VENV): installing fakeexports and its test dependencies from PyPI")
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install $(QUIET) --progress-bar on -e '.[test]'
	$(call say,"$(VENV) is ready")
	touch $@

# tests/acme: the fifth vendor, a package of its own found through the fakeexports.vendors entry point. A real
# (not editable) install, as a user's vendor package would be; reinstalled whenever one of its files changes.
$(BIN)/.acme: $(BIN)/.installed $(wildcard tests/acme/pyproject.toml tests/acme/fakeexports_acme/*)
	$(call say,"installing tests/acme: the fifth vendor of the test suite")
	$(BIN)/pip install -q --no-build-isolation --no-deps --force-reinstall ./tests/acme
	touch $@

$(AIRBYTE)/.installed:
	$(call say,"setting up $(AIRBYTE): the Airbyte Talkdesk connector the tests drive (its own old dependencies)")
	$(PYTHON) -m venv $(AIRBYTE)
	$(AIRBYTE)/bin/pip install -q --upgrade pip
	$(AIRBYTE)/bin/pip install $(QUIET) --progress-bar on airbyte-source-talkdesk-explore==0.1.0
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
	$(call say,"setting up $(FUZZ): schemathesis for the fuzzing")
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
