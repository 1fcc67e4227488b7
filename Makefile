# press-monitor — every target sets itself up (idempotent .venv) before it runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= config.yaml

.PHONY: setup run test demo lint format bench score clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup  ## start the daemon on config.yaml
	$(VENV)/bin/press-monitor run --config $(CONFIG)

test: setup  ## the whole suite
	$(PY) -m pytest -q

demo: setup  ## the whole loop, offline, on seeds/
	$(PY) -m monitor.demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

score: setup  ## detection and diff quality on ../shared/corpus and ../shared/realworld
	$(PY) ../shared/corpus/score.py --corpus ../shared/corpus \
	  --detect '$(VENV)/bin/press-monitor detect {file} --json' \
	  --diff '$(VENV)/bin/press-monitor diff {old} {new} --json'
	@# realworld/ has pages but no change sequences: score it from a copy with an empty sequence list.
	@rm -rf $(VENV)/realworld && mkdir -p $(VENV)/realworld && cp -r ../shared/realworld/pages ../shared/realworld/truth.yaml $(VENV)/realworld/
	@printf 'version: 1\nsequences: []\n' > $(VENV)/realworld/sequences.yaml
	$(PY) ../shared/corpus/score.py --corpus $(VENV)/realworld \
	  --detect '$(VENV)/bin/press-monitor detect {file} --json' \
	  --diff '$(VENV)/bin/press-monitor diff {old} {new} --json'

bench: setup  ## benchmarks (never part of make test)
	$(PY) -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
