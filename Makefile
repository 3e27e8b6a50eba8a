# The two set-up commands of the README: `make quickstart` (the main job, end to end, on the
# embedded graph) and `make test` (Cypher lint + the test suite). Both build .venv first.
PYTHON ?= python3
# torch is installed on its own, first: pinned here so pip takes the local CPU wheel on the dev
# machines instead of resolving a newer build with several GB of CUDA packages.
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv quickstart test lint pytest clean neo4j-start neo4j-stop

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

quickstart: $(STAMP)
	$(BIN)/patentcl quickstart

test: lint pytest

lint: .ci/node_modules/.package-lock.json
	node .ci/lint_cypher.mjs cypher

.ci/node_modules/.package-lock.json: .ci/package-lock.json
	cd .ci && npm ci --no-audit --no-fund --loglevel=error

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
