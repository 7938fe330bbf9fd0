# tradefleet: `make run` sets everything up and runs the fleet on the embedded default;
# `make test` sets everything up and runs the test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-lock.txt | cksum | cut -d' ' -f1)
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: setup run test bench planted mutation clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements-lock.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

run: setup
	$(VENV)/bin/tradefleet run

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m bench.run_all

# mutation testing of the trading core (long: not part of make test); MODULE=path for one,
# JOBS=n mutants side by side (default: the machine's cores)
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
mutation: setup
	$(PY) -m bench.mutation $(MODULE) --jobs $(JOBS)

# every planted bug (tests/planted/planted.toml) must make its tests fail
planted: setup
	$(PY) -m tests.planted.run

clean:
	rm -rf $(VENV) var .numba_cache
