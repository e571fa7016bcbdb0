# Reproducible child protection review: one command builds, one command tests.
# Targets are listed by `make help` (the default).

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
REVIEW ?=
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export SOURCE_DATE_EPOCH ?= 1234396800
# Progress lines reach the terminal as they happen, even through the DVC filter below.
export PYTHONUNBUFFERED := 1
# bash with pipefail, so that a failing command piped into the DVC filter still fails the target.
SHELL := bash
.SHELLFLAGS := -o pipefail -c

# DVC has no setting that silences its closing advice ("To track the changes with
# git, run: git add dvc.lock", "Use `dvc push`"; only `dvc repro --quiet`, which
# would hide its errors too), and it warns "'<figures dir>' is empty" for each
# analysis that made no figure. dvc.lock is local to each machine and there is no
# remote, so that advice is wrong here: the dvc repro lines pipe DVC's output
# through this filter, which drops exactly those lines (and their blank lines).
DVC_FILTER := 2>&1 | { grep -v -E '^$$|To track the changes with git|^[[:space:]]*git add |To enable auto staging|dvc config core.autostage|Use `dvc push`|is empty\.$$' || true; }

.DEFAULT_GOAL := help
.PHONY: FORCE help venv report reports summary validate build lint test test-fast test-setup dvc-yaml benchmark sample forms clean distclean axe

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

venv: $(STAMP) ## create .venv and install the pinned dependencies

report: $(STAMP) dvc.yaml ## build the reviews in params.yaml with DVC (or one: make report REVIEW=<id>)
ifeq ($(strip $(REVIEW)),)
	@$(MAKE) --no-print-directory $(BUILT)
	@$(BIN)/python -m pipeline summary
else
	$(BIN)/python -m pipeline build $(REVIEW)
endif

# `make report` starts DVC only when a file the stages read is newer than the last
# complete build, or a review's papers are missing: a no-op costs one directory walk
# instead of a DVC start. DVC still decides which stages rerun. `make reports`
# always asks DVC.
REVIEWS := $(shell sed -n '/^reviews:/,/^[^ -]/s/^  *- *//p' params.yaml)
BUILD_INPUTS = $(shell find data/raw pipeline notebooks report/config report/reviews report/templates \
                 -type f ! -name '*.pyc' 2>/dev/null | sed 's/ /\\ /g') params.yaml dvc.yaml $(wildcard report/*.qmd report/_quarto.yml)
BUILT := report/_output/.built
MISSING := $(filter-out $(wildcard $(addprefix report/_output/,$(REVIEWS))),$(addprefix report/_output/,$(REVIEWS)))
# `python -m pipeline.repro` is `dvc repro` on both cores: one DVC process per group of
# reviews that no stage joins (see its docstring for why DVC's locking allows it).
$(BUILT): $(STAMP) $(BUILD_INPUTS) $(if $(MISSING),FORCE)
	@echo "dvc repro (python -m pipeline.repro)"; $(BIN)/python -m pipeline.repro $(DVC_FILTER)
	@mkdir -p $(@D) && touch $@

FORCE:

reports: $(STAMP) dvc.yaml ## build every review in params.yaml (always asks DVC: dvc repro)
	@echo "dvc repro (python -m pipeline.repro)"; $(BIN)/python -m pipeline.repro $(DVC_FILTER)
	@mkdir -p $(dir $(BUILT)) && touch $(BUILT)
	@$(BIN)/python -m pipeline summary

summary: $(STAMP) ## print each review's errors, queries and papers
	@$(BIN)/python -m pipeline summary

# The render stages list the reviews of params.yaml and what each reads of its
# previous_reviews, so dvc.yaml is rewritten when either changes (see README).
dvc.yaml: params.yaml $(wildcard data/raw/*/review.yml) | $(STAMP)
	$(BIN)/python -m pipeline dvc-yaml

validate: $(STAMP) ## validate one review: make validate REVIEW=<id>
	$(BIN)/python -m pipeline validate $(or $(REVIEW),example-phase1)

build: $(STAMP) ## build any review folder under data/raw without DVC: make build REVIEW=<id>
	$(BIN)/python -m pipeline build $(or $(REVIEW),example-phase1)

# axe-core for the accessibility test (WCAG 2.2 AA in headless Chromium), pinned by the committed
# package-lock.json and installed from the npm registry here, never at test time. Chromium itself
# is Debian's package: `apt-get install -y chromium` (.ci/run does it).
AXE := tests/accessibility/node_modules/axe-core/axe.min.js
$(AXE): tests/accessibility/package.json tests/accessibility/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make test needs npm to install axe-core: run  sudo apt-get install -y npm" >&2; exit 1; }
	cd tests/accessibility && npm ci --no-audit --no-fund
	@touch $@

axe: $(AXE) ## install axe-core (npm ci in tests/accessibility) for the accessibility test

# What the tests need beyond .venv, installed here when it can be: Chromium (Debian's
# package, when run as root), axe-core (above) and, where ../shared/tools/quarto exists,
# the Quarto kit into .tools/quarto (git-ignored; not put on PATH: the tests that use
# Quarto look for it there). When something cannot be installed, stop with the command to run.
QUARTO_KIT := ../shared/tools/quarto
test-setup: $(STAMP) $(AXE) ## install what the tests need (Chromium as root, axe-core, the Quarto kit)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "make test needs Chromium: run  sudo apt-get install -y chromium" >&2; exit 1; fi; }
	@if [ -d $(QUARTO_KIT) ] && [ ! -x .tools/quarto/bin/quarto ]; then \
	  bash $(QUARTO_KIT)/install.sh .tools/quarto || { \
	    echo "could not install the Quarto kit: run  bash $(QUARTO_KIT)/install.sh .tools/quarto" >&2; exit 1; }; fi

lint: $(STAMP) ## ruff: lint with the complexity cap (pyproject.toml)
	$(BIN)/ruff check .

# ruff still reports nine functions over the complexity cap (make lint); until they are split,
# make test does not stop on lint.
test: test-setup ## run the whole test suite (installs what it needs first)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) ## run the unit and validation tests only
	$(BIN)/python -m pytest -q -m "not integration"

sample: $(STAMP) ## plan and draw the audit sample: make sample REVIEW=<id> [MARGIN=5]
	$(BIN)/python -m pipeline sample $(or $(REVIEW),example-phase1) --margin $(or $(MARGIN),5)

forms: $(STAMP) ## write blank Excel audit and questionnaire forms: make forms REVIEW=<id>
	$(BIN)/python -m pipeline forms $(or $(REVIEW),example-phase1)

dvc-yaml: $(STAMP) ## rewrite dvc.yaml from pipeline/stages.py
	$(BIN)/python -m pipeline dvc-yaml

benchmark: $(STAMP) ## time the floor, cold build, no-op, one-row rebuild, Quarto and scale (README table)
	$(BIN)/python benchmarks/run.py --json benchmarks/results.json
	$(BIN)/python benchmarks/table.py benchmarks/results.json

# Never deletes an audit sample or filled forms (data/processed/<id>/sample, forms).
clean: ## remove processed data and rendered papers (keeps each review's sample and forms)
	@for d in data/processed/*/; do [ -d "$$d" ] || continue; \
	  find "$$d" -mindepth 1 -maxdepth 1 ! -name sample ! -name forms -exec rm -rf {} +; \
	  rmdir "$$d" 2>/dev/null || true; done
	rm -rf data/processed/.locks report/_output report/_build

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
