# The two commands a newcomer runs are "make demo" and "make check"; both
# prepare the machine themselves through tools/bootstrap.

VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# where make demo builds its virtual cluster (kept running until demo-stop)
DEMO_DIR ?= .demo

.PHONY: all bootstrap check unit integration demo demo-stop bench clean

all: check

bootstrap:
	@sh tools/bootstrap

# pytest exits 5 when it collects nothing; that is a failure here too.
check: bootstrap
	$(PY) -m pytest -q $(PYTEST_ARGS) test

unit: bootstrap
	$(PY) -m pytest -q $(PYTEST_ARGS) test/unit

integration: bootstrap
	$(PY) -m pytest -q $(PYTEST_ARGS) test/integration

demo: bootstrap
	$(PY) tools/demo $(DEMO_DIR)

demo-stop:
	@if [ -x $(PY) ]; then $(PY) tools/demo --stop $(DEMO_DIR); \
	else echo "no demo cluster in $(DEMO_DIR)"; fi

bench:
	@sh tools/bootstrap bench
	$(PY) test/bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +
