# Data API server (issue 4): the mongoeco venv for the MongoDB-backend conformance run, and
# `make test-mongo MONGODB_URI=…` for the same suite against a real mongod.
#
# mongoeco is a MongoDB wire-protocol server in Python, used as a STAND-IN for mongod in tests (no
# MongoDB server package is installable here). It needs Python >= 3.13, taken from pyenv.
MONGO_VENV := .venv/mongo
MONGO_PYTHON_VERSION_GLOB := 3.13.*
export EVCSM_MONGOECO_PYTHON := $(CURDIR)/$(MONGO_VENV)/bin/python

.PHONY: dataapi-venv test-mongo test-dataapi

$(MONGO_VENV)/.installed: Tests/mongo/requirements.txt
	@py=""; \
	if command -v pyenv >/dev/null 2>&1; then \
		py=$$(ls -d "$$(pyenv root)"/versions/$(MONGO_PYTHON_VERSION_GLOB)/bin/python3 2>/dev/null | sort -V | tail -1); fi; \
	if [ -z "$$py" ]; then \
		for c in python3.13 python3.14 python3; do \
			if command -v $$c >/dev/null && $$c -c 'import sys; sys.exit(sys.version_info < (3, 13))'; then \
				py=$$(command -v $$c); break; fi; done; fi; \
	[ -n "$$py" ] || { echo "dataapi-venv: Python >= 3.13 not found (pyenv versions/$(MONGO_PYTHON_VERSION_GLOB) or python3.13)"; exit 1; }; \
	echo "dataapi-venv: $$py"; \
	rm -rf $(MONGO_VENV); "$$py" -m venv $(MONGO_VENV); \
	$(MONGO_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/mongo/requirements.txt
	@touch $@

dataapi-venv: $(MONGO_VENV)/.installed ## venv with the mongoeco MongoDB stand-in (Python 3.13, pinned)

# `make test` runs the Data API conformance suite on both backends through swift-test; the MongoDB
# run starts mongoeco from this venv (and fails, not skips, when it cannot).
swift-test: dataapi-venv

test-dataapi: dataapi-venv ## Data API server tests only (both backends, stand-in for MongoDB)
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product evcsm-data-api
	EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" $(SWIFT) test $(SWIFT_BUILD_FLAGS) --filter DataAPIServerTests

test-mongo: ## the Data API conformance suite against a real MongoDB: make test-mongo MONGODB_URI=mongodb://…
	@[ -n "$(MONGODB_URI)" ] || { echo "usage: make test-mongo MONGODB_URI=mongodb://host:27017"; exit 2; }
	MONGODB_URI="$(MONGODB_URI)" EVCSM_ROOT="$(CURDIR)" $(SWIFT) test $(SWIFT_BUILD_FLAGS) \
		--filter 'DataAPIServerTests.MongoConformance'
