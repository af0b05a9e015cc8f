# Cloud packaging and its offline checks (issue 7): Lambda packages for provided.al2023, the Amazon Linux 2023
# compatibility check, cfn-lint / sam validate / sam build, template <-> Package.swift <-> runner agreement,
# Docker files. `make test` runs `test-cloud`; see README.md "Deploying to AWS".

# One release build shared by `make package`, `sam build --build-in-source` and the checks. Its own scratch
# dir (not .build) so `make release`/`make run` builds do not relink the static-stdlib Lambda binaries.
LAMBDA_SCRATCH ?= .build-lambda
# Static Swift stdlib and libstdc++, position-dependent, no exported symbols: STATIC_RELEASE_FLAGS (Makefile).
LAMBDA_BUILD = $(SWIFT) build -c release $(STATIC_RELEASE_FLAGS) --scratch-path $(LAMBDA_SCRATCH) $(SWIFT_BUILD_FLAGS)
LAMBDA_BIN = $(LAMBDA_SCRATCH)/$(shell uname -m)-unknown-linux-gnu/release
# The build flags, rewritten only when they change, so a flag change relinks the functions like a source change.
LAMBDA_FLAGS_STAMP = $(LAMBDA_SCRATCH)/build-flags
$(shell mkdir -p $(LAMBDA_SCRATCH) && { echo '$(STATIC_RELEASE_FLAGS)' | cmp -s - $(LAMBDA_FLAGS_STAMP) \
	|| echo '$(STATIC_RELEASE_FLAGS)' > $(LAMBDA_FLAGS_STAMP); })
# What the function binaries are built from; a binary newer than all of these is not rebuilt (an up-to-date
# `swift build --product` still costs 10-20 s here, once per function per package and per sam build).
LAMBDA_SOURCES := Package.swift $(wildcard Package.resolved) $(LAMBDA_FLAGS_STAMP) \
	$(shell find Functions Runtime/FunctionRuntime Runtime/DataAPI Runtime/BSON Runtime/Essentials Runtime/SigV4 \
	Runtime/ChargingWire Runtime/CCurl Runtime/CGlibcCompat -type f 2>/dev/null)
CLOUD_DIST ?= dist

CLOUD_TESTS = Tests/cloud
CLOUD_REGION ?= eu-central-1
SAM_CLI_VERSION = 1.170.0
# aws-sam-cli 1.170.0 requires cfn-lint >=1.52,<1.59, so the pinned standalone cfn-lint lives in its own venv.
SAM_CFN_LINT_VERSION = 1.58.0
CFN_LINT_VERSION = 1.51.0
SAM_VENV = .venv/sam
CFN_LINT_VENV = .venv/cfn-lint
SAM = $(SAM_VENV)/bin/sam
# Offline and quiet: no telemetry, no update check, a region for the SAM translator, no inherited make flags.
SAM_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL SAM_CLI_TELEMETRY=0 SAM_CLI_DISABLE_UPDATE_CHECK=1 \
	AWS_DEFAULT_REGION=$(CLOUD_REGION) AWS_REGION=$(CLOUD_REGION)

.PHONY: lambda-release package cloud-venvs cloud-lint al2023-check lambda-smoke sam-build template-test \
	compose-check test-cloud $(addprefix build-,$(FUNCTIONS))

$(addprefix $(LAMBDA_BIN)/,$(FUNCTIONS)): $(LAMBDA_BIN)/%: $(LAMBDA_SOURCES) | $(STATIC_CXX_DIR)/libstdc++.a
	@$(call apt_ensure,libcurl4-openssl-dev zip)
	$(LAMBDA_BUILD) --product $*
	@[ -x $@ ] || { echo "FAIL: release build of $* produced no $@"; exit 1; }
	@touch $@

lambda-release: $(addprefix $(LAMBDA_BIN)/,$(FUNCTIONS)) ## release build (static Swift stdlib + libstdc++) of the $(words $(FUNCTIONS)) functions

# `sam build` contract (BuildMethod: makefile): make build-<LogicalId> with ARTIFACTS_DIR set. The binary is
# stripped and installed as `bootstrap`; no shared library is shipped because every library it needs is in
# AL2023 (libcurl.so.4, glibc, libgcc_s) - al2023_check.py enforces exactly that.
define lambda_function_target
build-$(1): $$(LAMBDA_BIN)/$(1)
	@[ -n "$$$${ARTIFACTS_DIR:-}" ] || { echo "build-$(1): ARTIFACTS_DIR is not set (sam build sets it)"; exit 1; }
	@mkdir -p "$$$$ARTIFACTS_DIR"
	@install -m 0755 "$$(LAMBDA_BIN)/$(1)" "$$$$ARTIFACTS_DIR/bootstrap"
	@strip --strip-all "$$$$ARTIFACTS_DIR/bootstrap"
	@echo "build-$(1): $$$$ARTIFACTS_DIR/bootstrap ($$$$(stat -c %s "$$$$ARTIFACTS_DIR/bootstrap") bytes)"
endef
$(foreach f,$(FUNCTIONS),$(eval $(call lambda_function_target,$(f))))

# One `swift build --product <Function>` per function in the shared scratch dir: the first compiles the shared
# modules, the others only compile their main.swift and link.
package: lambda-release ## dist/<Function>.zip for each function (bootstrap at the zip root), sizes printed
	@rm -rf $(CLOUD_DIST) && mkdir -p $(CLOUD_DIST)
	@for f in $(FUNCTIONS); do \
		ARTIFACTS_DIR=$(CURDIR)/$(CLOUD_DIST)/$$f $(MAKE) --no-print-directory build-$$f >/dev/null; \
		(cd $(CLOUD_DIST)/$$f && zip -q -X -9 ../$$f.zip *); done
	@printf '%-16s %12s %12s\n' function bootstrap zip; \
	for f in $(FUNCTIONS); do printf '%-16s %12s %12s\n' $$f \
		"$$(stat -c %s $(CLOUD_DIST)/$$f/bootstrap)" "$$(stat -c %s $(CLOUD_DIST)/$$f.zip)"; done

$(SAM_VENV)/.installed-$(SAM_CLI_VERSION):
	@$(call apt_ensure,python3-venv)
	rm -rf $(SAM_VENV) && python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(SAM_CFN_LINT_VERSION)
	@touch $@

$(CFN_LINT_VENV)/.installed-$(CFN_LINT_VERSION):
	@$(call apt_ensure,python3-venv)
	rm -rf $(CFN_LINT_VENV) && python3 -m venv $(CFN_LINT_VENV)
	$(CFN_LINT_VENV)/bin/pip install -q cfn-lint==$(CFN_LINT_VERSION)
	@touch $@

cloud-venvs: $(SAM_VENV)/.installed-$(SAM_CLI_VERSION) $(CFN_LINT_VENV)/.installed-$(CFN_LINT_VERSION)

cloud-lint: cloud-venvs ## cfn-lint 1.51.0 and sam validate --lint on template.yaml
	$(CFN_LINT_VENV)/bin/cfn-lint --version
	$(CFN_LINT_VENV)/bin/cfn-lint --regions $(CLOUD_REGION) -- template.yaml
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml

al2023-check: package ## packaged binaries need glibc <= 2.34 and only libraries AL2023 has
	python3 $(CLOUD_TESTS)/al2023_check.py --self-test
	python3 $(CLOUD_TESTS)/al2023_check.py $(addprefix $(CLOUD_DIST)/,$(addsuffix .zip,$(FUNCTIONS)))

lambda-smoke: cloud-venvs package ## each packaged bootstrap answers an invocation from a fake Lambda Runtime API
	$(SAM_VENV)/bin/python $(CLOUD_TESTS)/lambda_smoke.py --dist $(CLOUD_DIST) --template template.yaml

sam-build: cloud-venvs lambda-release ## sam build --build-in-source (offline), reusing the one release build
	rm -rf .aws-sam
	$(SAM_ENV) $(SAM) build --build-in-source --template template.yaml
	@for f in $(FUNCTIONS); do \
		[ -x .aws-sam/build/$$f/bootstrap ] || { echo "FAIL: sam build made no $$f/bootstrap"; exit 1; }; done

# The runner's parse comes from `evcsm-local --dump-template` (debug build from `make build`, or EVCSM_BIN_DIR).
template-test: cloud-venvs sam-build ## template <-> Package.swift <-> SAM <-> evcsm-local agree on functions/routes/topics
	EVCSM_BIN_DIR="$${EVCSM_BIN_DIR:-$(DEBUG_BIN)}" EVCSM_ROOT="$(CURDIR)" \
		$(SAM_VENV)/bin/python $(CLOUD_TESTS)/test_template.py

# The one allowed skip: without the compose plugin only the YAML structure is checked.
compose-check: cloud-venvs ## docker compose config (skipped only when the docker client has no compose plugin)
	@$(SAM_VENV)/bin/python -c 'import sys, yaml; d = yaml.safe_load(open("compose.yaml")); \
		missing = {"mongo", "mosquitto", "data-api", "local"} - set(d.get("services", {})); \
		sys.exit(f"compose.yaml: missing services {missing}" if missing else 0)'
	@if docker compose version >/dev/null 2>&1; then docker compose -f compose.yaml config --quiet && echo "compose.yaml: valid"; \
	else echo "compose-check: SKIPPED docker compose config - the docker client here has no compose plugin" \
		"(compose.yaml and Dockerfile are untested on this machine)"; fi

test-cloud: cloud-lint al2023-check lambda-smoke template-test compose-check
	@echo "test-cloud: cfn-lint, sam validate --lint, sam build, AL2023 check, Runtime API smoke, template agreement passed"

TEST_SUITES += test-cloud
