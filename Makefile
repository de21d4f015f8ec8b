# The two commands a newcomer runs are "make demo" and "make check"; both
# prepare the machine themselves through tools/bootstrap.

VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: all bootstrap check unit integration demo bench clean

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
	$(PY) tools/demo

bench:
	@sh tools/bootstrap bench
	$(PY) test/bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +
