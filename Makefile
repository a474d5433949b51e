# Community Governance Dashboard: `make run` serves it, `make test` tests it. Both set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: run test bench loadtest data geodata check setup system-deps lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

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

run: setup check
	$(BIN)/python -m streamlit run dashboard/app.py --server.port $(PORT)

test: setup
	$(BIN)/python -m pytest

BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python bench/run.py

loadtest: setup
	$(BIN)/python bench/loadtest.py

# Regenerate the seeded demonstration layer (deterministic: a no-op diff on an unchanged tree).
data: $(STAMP)
	$(BIN)/python scripts/make_demo_data.py
	$(BIN)/python -m dashboard check

lint: $(STAMP)
	$(BIN)/ruff check dashboard tests scripts bench

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
