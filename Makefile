# One entry point for people and CI. `make run` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TYPECHECK_TREE := build/typecheck/interview_analytics
LAYERS := domain projections streams http connectors ops schemas

.PHONY: install system-deps run test lint format typecheck bench clean

# Debian packages the tests use, installed once per machine: espeak-ng makes the English
# test speech, festival with festvox-ru the Russian (`text2wave`), sox converts it; chromium
# opens the report page headless (Playwright drives it; no browser download);
# docker-compose (1.29: `config` needs no engine, so not the recommended docker.io either)
# validates docker-compose.yml.
system-deps:
	@command -v espeak-ng >/dev/null || { \
		echo "installing espeak-ng (Debian package)"; \
		apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null; }
	@{ command -v text2wave >/dev/null && command -v sox >/dev/null \
		&& test -d /usr/share/festival/voices/russian; } || { \
		echo "installing festival, festvox-ru and sox (Debian packages)"; \
		apt-get update -qq && apt-get install -y -qq festival festvox-ru sox >/dev/null; }
	@command -v chromium >/dev/null || { \
		echo "installing chromium (Debian package)"; \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v docker-compose >/dev/null || { \
		echo "installing docker-compose (Debian package)"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose >/dev/null; }

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/ia up

test: install system-deps lint typecheck
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# mypy --strict on every layer that has code. It does not understand setuptools' editable-install finder, so it checks the package
# through a tree of symlinks that spells the import names (interview_analytics.domain → domain/).
typecheck: install
	@mkdir -p $(TYPECHECK_TREE)
	@for layer in $(LAYERS); do ln -sfn ../../../$$layer $(TYPECHECK_TREE)/$$layer; done
	MYPYPATH=build/typecheck $(VENV)/bin/mypy --namespace-packages --explicit-package-bases \
		-p interview_analytics.domain -p interview_analytics.streams -p interview_analytics.ops \
		-p interview_analytics.projections -p interview_analytics.http -p interview_analytics.connectors

bench: install
	$(PY) bench/bench_event_store.py
	$(PY) bench/bench_relay.py
	$(PY) bench/bench_pipeline.py

clean:
	rm -rf build .pytest_cache .mypy_cache .hypothesis
