# Two entry points (see README):
#   make demo  -> set up .venv if missing, run the default exclusion scan (plots, CSV/JSON, workspaces)
#   make test  -> set up .venv if missing, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results

.PHONY: demo test lint venv validate benchmark workspaces clean

$(BIN)/kinmix: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --prefer-binary -c constraints.txt -e ".[all,test]"
	touch $(BIN)/kinmix

venv: $(BIN)/kinmix

demo: venv
	$(BIN)/kinmix scan --width narrow,wide --out $(OUT)

# Quality gates first (lint, types), then the suite; .ci/run calls exactly `make test`.
LINT_PATHS := src tests benchmarks validation workspaces tools

test: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy

validate: venv
	$(BIN)/python validation/run_all.py

benchmark: venv
	$(BIN)/python benchmarks/bench_scan.py

workspaces: venv
	$(BIN)/python workspaces/generate.py

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info src/*.egg-info
