# The two commands: `make run` (the whole platform on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
REQ_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-16)
VENV ?= $(HOME)/.cache/vision-platform/venv-$(REQ_HASH)
PY := $(VENV)/bin/python

.PHONY: run test bench venv migrate

venv: $(VENV)/.ready

# The virtual environment lives outside the checkout, keyed by the requirements' hash (so no timestamp
# dependency: a fresh clone reuses it), and is built in a temporary folder then moved, so a half-built one never counts.
$(VENV)/.ready:
	@echo ">> creating $(VENV) (first time only: a few minutes)"
	rm -rf "$(VENV).tmp"
	$(PYTHON) -m venv "$(VENV).tmp"
	"$(VENV).tmp/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -rf "$(VENV)" && mv "$(VENV).tmp" "$(VENV)"
	touch "$@"

run: venv
	$(PY) platform/launch.py

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) -m benchmarks.run_all

migrate: venv
	$(PY) manage.py migrate
