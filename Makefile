# Two commands do everything on a fresh machine:
#   make demo   set up, then run the main job (execute solutions, release, grade a demo class)
#   make test   set up, then run the test suite (what CI runs; includes the browser tests)
#   make browser  only the browser tests (JupyterLab in Debian's Chromium, screenshots in out/artifacts/browser)
#   make bench    the timing benchmarks behind the thread default and the notebooks' budgets
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of PyTorch; override for a GPU machine, e.g. make TORCH="torch==2.13.0" setup
TORCH ?= torch==2.13.0

.PHONY: setup demo test browser bench release lab clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(PY) -m autograder demo

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup

browser: setup
	$(PY) -m pytest tests/test_browser.py -n 0 -v

bench: setup
	$(PY) benchmarks/threads.py
	$(PY) benchmarks/notebooks.py

release: setup
	$(PY) -m autograder fmt
	$(PY) -m autograder release

lab: setup
	cd notebooks && ../$(VENV)/bin/jupyter lab

clean:
	rm -rf out .pytest_cache data/cache
