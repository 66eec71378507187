# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= demo

.PHONY: run test assets bench clean

$(BIN)/goldsieve: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	npm ci --prefix ui --no-audit --no-fund --loglevel=error

# Front-end packages come from npm and are copied next to the app's own static files;
# the app serves them itself (no CDN), so offline deployments work.
ui/static/vendor/htmx.min.js: ui/node_modules/.package-lock.json
	mkdir -p ui/static/vendor
	cp ui/node_modules/htmx.org/dist/htmx.min.js $@

assets: ui/static/vendor/htmx.min.js

run: $(BIN)/goldsieve assets
	$(BIN)/goldsieve demo --workspace $(WORKSPACE)

test: $(BIN)/goldsieve assets
	$(BIN)/pytest -q

# Benchmarks print their tables; bench/README.md records them with the machine's core count.
bench: $(BIN)/goldsieve
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) ui/node_modules ui/static/vendor build dist *.egg-info
