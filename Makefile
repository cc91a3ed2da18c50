# puffin.py — developer tasks. `make test` sets up everything it needs itself:
# a test venv per CPython 3.9-3.13 found (pyenv or PATH) with pytest and
# packaging (the reference the differential tests compare against; puffin.py
# never imports it), and a `packaging` oracle for each CPython 3.8-3.13 so the
# tag tests can run packaging.tags.sys_tags() inside every target interpreter.

SHELL := /bin/bash
BUILD ?= build
PYTEST_ARGS ?=
TEST_VERSIONS ?= 3.9 3.10 3.11 3.12 3.13
ORACLE_VERSIONS ?= 3.8 3.9 3.10 3.11 3.12 3.13
# The tag oracle of each CPython is the newest packaging pip installs into it
# (26.2 on 3.8, 26.3 on 3.9, 26.4 on 3.10+: the tag order we match depends on it,
# see vendor_notes/tags.md). The .unpinned stamp makes oracles that an older
# setup pinned get rebuilt; `rm -rf build/oracle` refreshes them.

# Find an interpreter for X.Y: pyenv's newest X.Y.*, else pythonX.Y on PATH.
find_python = $(or $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/$(1).*/bin/python$(1)))),$(shell command -v python$(1) 2>/dev/null))

.PHONY: test test-fast test-live setup bench bench-setup install-many stress stress-universal clean

# uv, the reference tests/test_live_compile.py compares pip-compile against.
UV_VERSION ?= 0.13.9
UV_STAMP := $(BUILD)/tools/.uv-$(UV_VERSION)

$(UV_STAMP):
	@echo "setup: uv $(UV_VERSION) into $(BUILD)/tools"
	@rm -rf $(BUILD)/tools && python3 -m venv $(BUILD)/tools && \
	  $(BUILD)/tools/bin/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION) && \
	  touch $@

setup:
	@set -e; found=""; \
	for v in $(ORACLE_VERSIONS); do \
	  py=$$( $(MAKE) -s --no-print-directory _which V=$$v ); \
	  if [ -z "$$py" ]; then echo "setup: no CPython $$v found"; continue; fi; \
	  if [ ! -f $(BUILD)/oracle/py$$v/.unpinned ]; then \
	    echo "setup: newest packaging oracle for $$v"; \
	    rm -rf $(BUILD)/oracle/py$$v $(BUILD)/oracle/py$$v.tmp; \
	    $$py -m pip install -q --disable-pip-version-check --no-deps --target $(BUILD)/oracle/py$$v.tmp packaging \
	      && touch $(BUILD)/oracle/py$$v.tmp/.unpinned \
	      && mv $(BUILD)/oracle/py$$v.tmp $(BUILD)/oracle/py$$v; \
	  fi; \
	done; \
	for v in $(TEST_VERSIONS); do \
	  py=$$( $(MAKE) -s --no-print-directory _which V=$$v ); \
	  if [ -z "$$py" ]; then echo "setup: no CPython $$v found, not testing it"; continue; fi; \
	  if [ ! -f $(BUILD)/venv-$$v/.ready-3 ]; then \
	    echo "setup: test venv for $$v"; \
	    rm -rf $(BUILD)/venv-$$v.tmp && $$py -m venv $(BUILD)/venv-$$v.tmp && \
	    $(BUILD)/venv-$$v.tmp/bin/python -m pip install -q --disable-pip-version-check pytest packaging tomli==2.0.1 && \
	    touch $(BUILD)/venv-$$v.tmp/.ready-3 && rm -rf $(BUILD)/venv-$$v && \
	    mv $(BUILD)/venv-$$v.tmp $(BUILD)/venv-$$v; \
	  fi; \
	done

_which:
	@echo "$(call find_python,$(V))"

# The whole suite under every CPython 3.9-3.13 found (fails if neither 3.9 nor
# 3.13 is there); the live tests, which talk to the real index, and the `once`
# tests (signals, kills, racing processes: the process, not the interpreter)
# run once, under the newest one. PUFFIN_TEST_BYTECODE: the tests' many short
# puffin.py runs start from bytecode compiled once per interpreter (see
# tests/support.py), not from the script compiled anew each time.
test: setup $(UV_STAMP)
	@set -e; ran=""; last=""; \
	if [ ! -x $(BUILD)/venv-3.9/bin/python ] && [ ! -x $(BUILD)/venv-3.13/bin/python ]; then \
	  echo "test: neither CPython 3.9 nor 3.13 was found"; exit 1; fi; \
	rm -rf $(BUILD)/test-bytecode; export PUFFIN_TEST_BYTECODE=$(abspath $(BUILD))/test-bytecode; \
	for v in $(TEST_VERSIONS); do \
	  [ -x $(BUILD)/venv-$$v/bin/python ] || continue; \
	  echo "=== CPython $$v ==="; \
	  $(BUILD)/venv-$$v/bin/python -m pytest -q -p no:cacheprovider -m "not live and not once" tests $(PYTEST_ARGS); \
	  ran="$$ran $$v"; last=$$v; \
	done; \
	echo "=== CPython $$last: process-level and live tests ==="; \
	$(BUILD)/venv-$$last/bin/python -m pytest -q -p no:cacheprovider -m "once or live" tests $(PYTEST_ARGS); \
	echo "suite passed under CPython:$$ran (process-level and live tests under $$last)"

# One interpreter, no live tests: the quick loop while working.
test-fast: setup
	PUFFIN_TEST_BYTECODE=$(abspath $(BUILD))/test-bytecode $(BUILD)/venv-3.11/bin/python -m pytest -q -x -m "not live" tests $(PYTEST_ARGS)

test-live: setup $(UV_STAMP)
	$(BUILD)/venv-3.11/bin/python -m pytest -q -m live tests $(PYTEST_ARGS)

# uv, pip-tools and the newest pip, for `make bench` and `make install-many` to compare against.
BENCH_TOOLS ?= uv pip-tools pip
bench-setup:
	@if [ ! -x $(BUILD)/bench/tools/bin/uv ]; then \
	  py=$$( $(MAKE) -s --no-print-directory _which V=3.11 ); \
	  rm -rf $(BUILD)/bench/tools && $$py -m venv $(BUILD)/bench/tools && \
	  $(BUILD)/bench/tools/bin/python -m pip install -q --disable-pip-version-check --upgrade $(BENCH_TOOLS); \
	fi

bench: setup bench-setup
	$(BUILD)/venv-3.11/bin/python scripts/bench.py --tools $(BUILD)/bench/tools $(BENCH_ARGS)

# The resolver's stress corpus (scripts/stress/*.in, live): each set compiled by
# puffin.py and by uv for CPython 3.12 on manylinux_2_28 with one cutoff date;
# pins compared, times and decision counts recorded (STRESS_ARGS: --cold, sets).
stress: setup $(UV_STAMP)
	$(BUILD)/venv-3.11/bin/python scripts/stress.py --uv $(BUILD)/tools/bin/uv $(STRESS_ARGS)

# The same corpus as universal locks (pip-compile --universal, Python >= 3.10,
# every platform), lines compared with uv's as (name, version, marker).
stress-universal: setup $(UV_STAMP)
	$(BUILD)/venv-3.11/bin/python scripts/stress.py --universal --uv $(BUILD)/tools/bin/uv $(STRESS_ARGS)

install-many: setup bench-setup
	$(BUILD)/venv-3.11/bin/python scripts/install_many.py $(INSTALL_MANY_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache
