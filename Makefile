# The two commands: `make run` (the whole platform on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
REQ_HASH := $(shell cat requirements.txt | sha256sum | cut -c1-16)
VENV ?= $(HOME)/.cache/vision-platform/venv-$(REQ_HASH)
PY := $(VENV)/bin/python

.PHONY: run test bench soak gpu-check venv migrate fuzz

venv: $(VENV)/.ready

# The virtual environment lives outside the checkout, keyed by the requirements' hash (so no timestamp
# dependency: a fresh clone reuses it). It is built where it stays (console scripts such as bin/celery keep a
# valid interpreter path) and marked ready last, so a half-built one is rebuilt from scratch.
$(VENV)/.ready:
	@echo ">> creating $(VENV) (first time only: a few minutes)"
	rm -rf "$(VENV)"
	$(PYTHON) -m venv "$(VENV)"
	"$(VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch "$@"

run: venv
	$(PY) platform/launch.py

test: venv
	$(PY) -m pytest

# Schemathesis over the whole API as an engineer and a viewer, with a bigger budget and a new seed each run
# (the suite runs the same test small and seeded). FUZZ_EXAMPLES=N per operation and mode; FUZZ_SEED=0 repeats.
fuzz: venv
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-40} FUZZ_SEED=$${FUZZ_SEED:-random} FUZZ_ALL=1 $(PY) -m pytest -q -s tests/test_fuzz_schema.py

bench: venv
	$(PY) -m tests.perf.run_all

# 100 concurrent clients on predict for 5 minutes: 0 errors, memory of each process grows < 10 % (make bench: 60 s).
soak: venv
	SOAK_SECONDS=$${SOAK_SECONDS:-300} $(PY) -m tests.perf.bench_soak

# On a GPU host: the CUDA, NVML and TensorRT paths for real (skipped where there is no GPU).
gpu-check: venv
	$(PY) -m pytest -m gpu -v -rs -s tests/test_gpu_paths.py benchmarks/tests/test_gpu_benchmark.py

migrate: venv
	$(PY) manage.py migrate
