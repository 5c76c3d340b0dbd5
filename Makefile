# The two commands a newcomer needs are `make lab` and `make test` (see README.md).
# Everything else here is for course maintainers.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK_STAMP := $(VENV)/.installed-book
ARGS   ?=
# JupyterLab refuses to start as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOK_DIRS := $(wildcard notebooks solutions exercises)
# JupyterLab's settings for the course (no news, no update checks, no extension manager), in
# the folder where JupyterLab merges packages' overrides of its defaults. A wheel installs it
# there itself (pyproject.toml, [tool.setuptools.data-files]); an editable install does not.
LAB_SETTINGS  := gdcourse/lab-settings/gdcourse.json
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/gdcourse.json

.PHONY: setup lab test lint exercises notebooks slides book benchmarks clean

## setup: create .venv and install the course with pinned versions (only when inputs changed)
setup: $(STAMP) $(LAB_OVERRIDES)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first and pinned: left to resolve on its own, pip may pick a multi-GB CUDA build.
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name gdcourse --display-name "Python (gdcourse)"
	@touch $(STAMP)

$(LAB_OVERRIDES): $(LAB_SETTINGS) $(STAMP)
	install -D -m 644 $(LAB_SETTINGS) $@

# The website's builder (the `book` extra) and Dask (the `dask` extra, grading on a cluster):
# `make book` and `make test` need them, `make lab` not.
$(BOOK_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,book,dask]'
	@touch $(BOOK_STAMP)

## lab: set up, then open the course in JupyterLab at lesson 00, serving the whole course
## folder (a file argument alone would serve only notebooks/; ARGS=--no-browser for a
## headless machine),
## with the course's settings ($(LAB_SETTINGS), installed as $(LAB_OVERRIDES)): it
## neither fetches news nor checks for updates, and has no extension manager, so it asks
## nothing of the network
lab: $(STAMP) $(LAB_OVERRIDES)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. $(ROOT_FLAG) $(ARGS) $(firstword $(wildcard notebooks/00_*.ipynb))

## test: set up, then lint and run every test: unit tests and nbval over the notebooks, then
## the portability pass (nbval again with the CPU kernels forced onto other code paths).
## It installs the website's builder too: tests/test_book.py builds and checks the site.
test: $(BOOK_STAMP) $(LAB_OVERRIDES) lint
	$(PY) -m pytest tests --nbval $(NOTEBOOK_DIRS) \
	    --nbval-kernel-name gdcourse --nbval-sanitize-with tests/nbval_sanitize.cfg
	$(PY) -m tests.portability --jobs 2 $(NOTEBOOK_DIRS)

lint: $(STAMP)
	$(PY) -m ruff check gdcourse tests benchmarks book
	$(PY) -m ruff format --check gdcourse tests benchmarks book

## exercises: regenerate exercises/ from solutions/ (the single source)
exercises: $(STAMP)
	$(PY) -m gdcourse build-exercises

## notebooks: regenerate exercises, then re-execute every notebook in place, top to bottom,
## each in a fresh gdcourse kernel
notebooks: exercises
	$(PY) -m gdcourse execute $(sort $(wildcard notebooks/*.ipynb)) \
	    $(sort $(wildcard solutions/*.ipynb)) $(sort $(wildcard exercises/*.ipynb))
	$(PY) -m gdcourse mark-slides $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

## slides: write an offline reveal.js deck per lesson to decks/ (open decks/00_welcome.slides.html)
slides: $(STAMP)
	$(PY) -m gdcourse slides $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb)) --out decks

## book: the course as a static website, from the stored outputs (nothing is executed);
## open book/_build/html/index.html (works from disk, no network)
book: $(BOOK_STAMP)
	$(PY) book/build.py

## benchmarks: print name=value lines for the speed goals (a few minutes)
benchmarks: $(BOOK_STAMP)
	@for script in benchmarks/*.py; do echo "# $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache gdcourse.egg-info decks book/_build
