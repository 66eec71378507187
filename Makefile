# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= demo
# where `make run` serves: `make run PORT=8001 HOST=0.0.0.0`
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test assets messages bench clean

$(BIN)/goldsieve: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The packages' install scripts are not run: only their files are used (and one of them would
# report the install to its maker).
ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	npm ci --prefix ui --ignore-scripts --no-audit --no-fund --loglevel=error

# Front-end packages come from npm and are copied next to the app's own static files;
# the app serves them itself (no CDN), so offline deployments work.
VENDOR := ui/static/vendor/htmx.min.js ui/static/vendor/swagger-ui-bundle.js ui/static/vendor/swagger-ui.css \
	ui/static/vendor/dingtalk.js

ui/static/vendor/htmx.min.js: ui/node_modules/.package-lock.json
	mkdir -p ui/static/vendor
	cp ui/node_modules/htmx.org/dist/htmx.min.js $@

ui/static/vendor/swagger-ui%: ui/node_modules/.package-lock.json
	mkdir -p ui/static/vendor
	cp ui/node_modules/swagger-ui-dist/swagger-ui$* $@

# DingTalk's JS API (dingtalk-jsapi) comes as CommonJS modules only: esbuild (a development
# dependency) bundles the part the login page uses inside DingTalk (ui/bundles/dingtalk.js names
# it) into one file for the browser.
ui/static/vendor/dingtalk.js: ui/bundles/dingtalk.js ui/node_modules/.package-lock.json
	mkdir -p ui/static/vendor
	ui/node_modules/.bin/esbuild $< --bundle --minify --target=es2017 --log-level=warning --outfile=$@

# axe-core (a development dependency) checks pages for accessibility in the browser tests, which
# inject it into the page themselves: it is copied beside them, never among what the app serves.
TEST_VENDOR := tests/browser/vendor/axe.min.js

tests/browser/vendor/axe.min.js: ui/node_modules/.package-lock.json
	mkdir -p tests/browser/vendor
	cp ui/node_modules/axe-core/axe.min.js $@

# Translations: the catalogs (ui/translations/<locale>/LC_MESSAGES/messages.po) are source; the
# compiled .mo files Flask-Babel reads are build output (git-ignored, packaged into the wheel),
# rebuilt whenever their catalog changes.
CATALOGS := $(wildcard ui/translations/*/LC_MESSAGES/messages.po)

ui/translations/%.mo: ui/translations/%.po | $(BIN)/goldsieve
	$(BIN)/pybabel compile --statistics -i $< -o $@

assets: $(VENDOR) $(TEST_VENDOR) $(CATALOGS:.po=.mo)

# After changing UI strings: refresh the template and every catalog, then translate what is new
# or marked fuzzy (tests/ui/test_i18n.py fails while a string has no translation).
# KERNEL_MESSAGES: the kernel modules that write texts for a reader (goldsieve.locales); the test
# extracts the same list.
KERNEL_MESSAGES := plugins/lint.py core/funnels/check.py core/funnels/validation.py core/funnels/edit.py core/funnels/edit_fields.py core/funnels/edit_automations.py core/automation/digest.py core/analytics/figures.py core/records/pool.py core/deals/reassign.py core/deals/handover.py core/deals/task_changes.py core/automation/reminders.py core/workplace/sync.py core/cli/workplace.py core/workplace/notices.py core/funnels/wording.py core/deals/importing.py core/cli/base.py core/cli/activities.py core/cli/data.py core/cli/channels.py core/cli/customers.py core/cli/funnels.py core/cli/people.py core/cli/pool.py core/cli/serving.py core/people/users.py core/funnels/registry.py core/records/customers.py core/deals/engine.py core/workspace.py core/analytics/windows.py core/spreadsheets.py core/records/importing.py core/funnels/transitions.py core/deals/checks.py core/deals/bypass.py core/people/teams.py core/people/permissions.py core/errors.py core/records/merging.py core/deals/activity_gates.py core/deals/next_step.py core/deals/tasks.py core/people/calendar_keys.py core/funnels/findings.py core/funnels/json_files.py core/funnels/edit_rules.py core/funnels/edit_activities.py core/funnels/drafts.py core/funnels/plan.py core/funnels/migration.py core/automation/check.py core/records/check.py
messages: | $(BIN)/goldsieve
	$(BIN)/pybabel -q extract -F ui/babel.cfg --project=goldsieve --copyright-holder="the goldsieve authors" -w 100 -o ui/translations/messages.pot ui/ $(KERNEL_MESSAGES)
	$(BIN)/pybabel update -w 100 -i ui/translations/messages.pot -d ui/translations --ignore-obsolete

run: $(BIN)/goldsieve assets
	$(BIN)/goldsieve demo --workspace $(WORKSPACE) --port $(PORT) --host $(HOST)

# one test process per core (pytest-xdist): every test keeps its own workspace, store schema and
# port, so they run side by side; the browser harness starts a server and a browser per process.
# The sample plugin (tests/sample_plugin) is installed first: its tests load it by its entry point,
# and it stays inert in every workspace that does not enable it ([plugin.sample]).
# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): the suite
# starts some hundreds of Python processes, and each would compile goldsieve (and pytest each
# test module) from source again.
test: $(BIN)/goldsieve assets
	$(BIN)/pip install -q --no-deps -e tests/sample_plugin
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n auto

# Benchmarks print their tables; bench/README.md records them with the machine's core count.
bench: $(BIN)/goldsieve
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) ui/node_modules ui/static/vendor tests/browser/vendor build dist *.egg-info
	rm -f ui/translations/*/LC_MESSAGES/*.mo

# The main pages as PNGs under docs/screenshots/ (desktop and phone, English and Chinese), taken
# by Debian's Chromium from a demo workspace served as `goldsieve serve` would.
.PHONY: screenshots
screenshots: $(BIN)/goldsieve assets
	$(BIN)/python tools/screenshots.py
