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

.DEFAULT_GOAL := help
.PHONY: FORCE help venv report reports validate build test test-fast dvc-yaml benchmark sample forms clean distclean axe

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
	@echo "processed data: data/processed/<review_id>/   papers: report/_output/<review_id>/"
else
	$(BIN)/python -m pipeline build $(REVIEW)
endif

# `make report` starts DVC only when a file the stages read is newer than the last
# complete build, or a review's papers are missing: a no-op costs one directory walk
# instead of a DVC start. DVC still decides which stages rerun. `make reports`
# always asks DVC.
REVIEWS := $(shell sed -n '/^reviews:/,/^[^ -]/s/^  *- *//p' params.yaml)
BUILD_INPUTS = $(shell find data/raw pipeline notebooks report/config report/reviews report/templates \
                 -type f ! -name '*.pyc' 2>/dev/null) params.yaml dvc.yaml $(wildcard report/*.qmd report/_quarto.yml)
BUILT := report/_output/.built
MISSING := $(filter-out $(wildcard $(addprefix report/_output/,$(REVIEWS))),$(addprefix report/_output/,$(REVIEWS)))
# `python -m pipeline.repro` is `dvc repro` on both cores: one DVC process per group of
# reviews that no stage joins (see its docstring for why DVC's locking allows it).
$(BUILT): $(STAMP) $(BUILD_INPUTS) $(if $(MISSING),FORCE)
	$(BIN)/python -m pipeline.repro
	@mkdir -p $(@D) && touch $@

FORCE:

reports: $(STAMP) dvc.yaml ## build every review in params.yaml (always asks DVC: dvc repro)
	$(BIN)/python -m pipeline.repro
	@mkdir -p $(dir $(BUILT)) && touch $(BUILT)

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
	cd tests/accessibility && npm ci --no-audit --no-fund
	@touch $@

axe: $(AXE) ## install axe-core (npm ci in tests/accessibility) for the accessibility test

test: $(STAMP) $(AXE) ## run the whole test suite
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

clean: ## remove processed data and rendered papers
	rm -rf data/processed report/_output

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
