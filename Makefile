# inkorg-kit: `make demo` runs the whole campaign on the synthetic region; `make test` tests it all,
# `make test-fast` the unit tests only (no notebooks, no browser: the tests marked slow are left out).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
# The real 7z program (to prove our archives open) and Chromium (the browser test; on a system
# whose chromium is a snap, INKORG_CHROMIUM names a Chromium binary that is not).
APT_PACKAGES := p7zip-full chromium

.PHONY: install system-deps test test-fast lint demo lab planner bench docs clean

install: $(STAMP) $(APT_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (inkorg-kit)" >/dev/null
	touch $(STAMP)

$(APT_STAMP):
	@missing=""; \
	command -v 7z >/dev/null || missing="$$missing p7zip-full"; \
	test -x "$${INKORG_CHROMIUM:-/usr/bin/chromium}" || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@mkdir -p $(VENV) && touch $(APT_STAMP)

lint: install
	$(BIN)/ruff check inkorg_kit tests benchmarks notebooks
	$(BIN)/ruff format --check inkorg_kit tests benchmarks
	$(BIN)/lint-imports

# Two workers; the demo runs once for both (tests/support/demo.py), and each notebook's kernel
# talks over IPC sockets in a folder of its own, so kernels started together cannot collide; the
# few that must use TCP (nbval, the README's papermill block, JupyterLab) share one xdist group.
test: install
	$(BIN)/ruff check inkorg_kit tests benchmarks notebooks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup --timeout 600

test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup --timeout 300 -m "not slow"

demo: install
	$(BIN)/inkorg-kit demo

# The demo in JupyterLab: the file browser opens in notebooks/ and reaches params/ and out/;
# every kernel starts in the repo root, where the demo's relative paths (params/…, out/…) point;
# --allow-root: a container runs as root. One's own campaign: `inkorg-kit lab campaign.yaml`.
lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --FileContentsManager.preferred_dir=notebooks --ServerApp.kernel_manager_class=inkorg_kit.cli.lab_kernels.CampaignKernelManager --allow-root

# The planner's page on the demo (Voilà on 127.0.0.1, the URL with its token is printed); it
# reads the run folder `make demo` wrote. One's own campaign: `inkorg-kit planner campaign.yaml`.
planner: install
	@test -f out/blodtryck-solbacka-2027/recipients/manifest.json || { \
	  echo "Demots körmapp out/blodtryck-solbacka-2027/ saknas (eller saknar mottagarfilerna): kör först make demo"; exit 2; }
	$(BIN)/inkorg-kit planner params/demo/campaign.yaml

# docs/campaign.md, every campaign key, is generated from the typed models (a test checks it).
docs: install
	$(BIN)/python -m inkorg_kit.config.reference > docs/campaign.md

bench: install
	$(BIN)/python benchmarks/bench_pnr.py
	$(BIN)/python benchmarks/bench_recipients.py
	$(BIN)/python benchmarks/bench_target.py
	$(BIN)/python benchmarks/bench_reach.py
	$(BIN)/python benchmarks/bench_pooling.py

clean:
	rm -rf out .pytest_cache .ruff_cache
