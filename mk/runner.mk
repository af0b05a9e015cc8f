# evcsm-local (Runtime/LocalRunner): Swagger UI assets for /swagger (offline), and `make bench`.

SWAGGER_UI_VENV := .venv/swagger-ui
SWAGGER_UI_DIST := $(SWAGGER_UI_VENV)/dist
# PyPI swagger-ui-py ships Swagger UI 5.x (OpenAPI 3.1) as static files; Debian has no swagger-ui package.
SWAGGER_UI_PY_VERSION := 25.7.1
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css swagger-ui-standalone-preset.js favicon-16x16.png \
	favicon-32x32.png
BENCH_DURATION ?= 10s
BENCH_CONNECTIONS ?= 64

.PHONY: swagger-ui bench
setup: swagger-ui

swagger-ui: $(SWAGGER_UI_DIST)/swagger-ui-bundle.js ## install Swagger UI assets served by evcsm-local at /swagger

$(SWAGGER_UI_DIST)/swagger-ui-bundle.js:
	@$(call apt_ensure,python3-venv)
	python3 -m venv $(SWAGGER_UI_VENV)
	$(SWAGGER_UI_VENV)/bin/pip install -q --disable-pip-version-check --no-deps swagger-ui-py==$(SWAGGER_UI_PY_VERSION)
	mkdir -p $(SWAGGER_UI_DIST)
	static=$$(ls -d $(SWAGGER_UI_VENV)/lib/python3*/site-packages/swagger_ui/static | head -1); \
	for f in $(SWAGGER_UI_FILES); do cp "$$static/$$f" $(SWAGGER_UI_DIST)/; done

# Every figure of issue 11 with its same-run baseline and ratio; the table also goes to test-artifacts/bench.txt.
# Other knobs (BENCH_SESSIONS, BENCH_MQTT_MESSAGES, ...) are listed in Tests/runner/bench.sh.
bench: setup release lambda-release ## figures vs same-run baselines: store size, full path, MQTT ingest, pairs, RSS (bench.txt)
	@$(call apt_ensure,wrk mosquitto mosquitto-clients strace)
	BIN_DIR="$(RELEASE_BIN)" FUNCTIONS_DIR="$(CURDIR)/$(LAMBDA_BIN)" BENCH_DURATION=$(BENCH_DURATION) BENCH_CONNECTIONS=$(BENCH_CONNECTIONS) \
		bash Tests/runner/bench.sh
