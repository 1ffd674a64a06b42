# Two entry points: `make demo` runs the main job on the embedded gateway, `make test` runs the
# whole tox matrix. Both create their own virtual environment and need only python3, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test docs generate check lint type clean

$(STAMP): generator/pyproject.toml packages/scitrera-aether-client/pyproject.toml packages/aether-gateway/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e generator -e "packages/scitrera-aether-client[cli]" -e packages/aether-gateway "tox>=4.11"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

# One result line per env (the pytest summary: passed / failed / skipped), then a table.
test: $(STAMP)
	$(BIN)/python scripts/test_matrix.py

# The documentation site (mkdocs, strict) into .tox/docs/site/, and every Python block of docs/ run.
docs: $(STAMP)
	$(BIN)/tox -e docs

generate: $(STAMP)
	$(BIN)/aether-codegen generate

check: $(STAMP)
	$(BIN)/aether-codegen check

clean:
	rm -rf $(VENV) .tox
