# Fuzz and fault suites (issue 12): bounded in count and time, loopback only. Each is a `make test` suite.
SCHEMATHESIS_VENV := .venv/schemathesis
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_EXAMPLES ?= 30
# The pass without a token (issue 13): every answer must be 401 {"message":"Unauthorized"}.
SCHEMATHESIS_UNAUTH_EXAMPLES ?= 60

.PHONY: test-schemathesis

$(SCHEMATHESIS_VENV)/.installed-$(SCHEMATHESIS_VERSION):
	@$(call apt_ensure,python3-venv)
	rm -rf $(SCHEMATHESIS_VENV) && python3 -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install -q --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION)
	@touch $@

# schemathesis --checks all against the OpenAPI document a real evcsm-local serves, with an operator token: 0
# failures of any check; then a short pass without a token where every answer is the authorizer's 401.
test-schemathesis: build $(SCHEMATHESIS_VENV)/.installed-$(SCHEMATHESIS_VERSION) ## schemathesis (--checks all) against evcsm-local
	@$(call apt_ensure,curl)
	bash Tests/fuzz/schemathesis.sh "$(DEBUG_BIN)" $(SCHEMATHESIS_VENV)/bin/st $(SCHEMATHESIS_EXAMPLES) \
		$(SCHEMATHESIS_UNAUTH_EXAMPLES)

TEST_SUITES += test-schemathesis
