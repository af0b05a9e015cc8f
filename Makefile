# evcsm — one Makefile for setup, build, run, test, package and bench.
# `make run` and `make test` work on a fresh Debian machine: they install what they need.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

SWIFT ?= swift
JOBS ?= $(shell nproc)
SWIFT_BUILD_FLAGS ?= -j $(JOBS)
DEBUG_BIN = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
RELEASE_BIN = $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)
FUNCTIONS := GetStatus StartSession StopSession ListSessions GetSession ChargingUpdates MeterValues ExpireSessions \
	RegisterCharger MqttAuthorizer OcppConnect OcppDisconnect OcppMessage PutIdTag ListChargers SendChargerCommand
APT_PACKAGES := util-linux jq libcurl4-openssl-dev libmongoc-dev libsqlite3-dev libmosquitto-dev mosquitto mosquitto-clients \
	pkg-config python3-venv
# Extra test suites register themselves here (see mk/*.mk); each is a make target run by `make test`.
TEST_SUITES :=

.PHONY: help setup apt build release run test lint swift-test check-deps clean
help: ## list targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# Install missing Debian packages (apt-get update first, only when something is missing).
define apt_ensure
	missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

apt:
	@$(call apt_ensure,$(APT_PACKAGES))

setup: apt ## install system packages the build and the runner need

build: setup ## debug build of everything (functions, runner, tools, tests)
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --build-tests

# The runner, the Data API server and the simulator; the functions `make run` and `make bench` run are the
# Lambda bootstraps themselves (`lambda-release`: static Swift stdlib, libcurl loaded on first use), so what runs
# on a laptop is what `sam build` packages.
RELEASE_PRODUCTS = evcsm-local evcsm-data-api evcsm-charger-sim
# Every release binary (these and the Lambda bootstraps, mk/cloud.mk) links the Swift runtime, Foundation and
# libstdc++ statically, as a position-dependent executable that exports no symbols: no Swift library to map and
# no image relocations to apply (as a PIE, ~47,000 relative relocations per function binary dirty its metadata
# pages and read a 1.1 MB table at every start). Measured here: evcsm-local idle 45 -> 35 MB RSS, a warm
# MeterValues worker 14.0 -> 12.3 MB. The price: no ASLR for the executable image itself (shared libraries,
# heap and stacks stay randomized).
# libstdc++ is linked statically: an -L dir that holds only libstdc++.a makes the `-lstdc++` in Swift's
# static-stdlib-args.lnk resolve to the archive (GNU ld applies every -L to every -l, in -L order).
STATIC_CXX_DIR = .build-static-cxx
STATIC_RELEASE_FLAGS = --static-swift-stdlib -Xlinker -L$(CURDIR)/$(STATIC_CXX_DIR) -Xlinker --no-export-dynamic \
	-Xlinker -no-pie
$(STATIC_CXX_DIR)/libstdc++.a:
	@mkdir -p $(STATIC_CXX_DIR)
	@lib="$$($${CC:-gcc} -print-file-name=libstdc++.a)"; \
		[ -f "$$lib" ] || { echo "FAIL: libstdc++.a not found (apt: libstdc++-12-dev)"; exit 1; }; \
		ln -sf "$$lib" $@

release: setup $(STATIC_CXX_DIR)/libstdc++.a ## release build of the runner, the Data API server and the simulator
	@for product in $(RELEASE_PRODUCTS); do \
		$(SWIFT) build -c release $(STATIC_RELEASE_FLAGS) $(SWIFT_BUILD_FLAGS) --product $$product || exit 1; done

lint: ## swift-format lint (strict) with the committed .swift-format
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Functions Runtime Tests

# Function binaries link FoundationEssentials and shared libraries only: no full Foundation, no SwiftNIO, no
# libmongoc (DESIGN.md §2), and libcurl is not linked but loaded on first use (dlopen, Runtime/CCurl/shim.h), so
# a worker that never needs https maps none of it; they hold no test double (ChargingCoreTesting) and no runner
# route (`/_bench`). evcsm-data-api speaks the Data API over BSON only: no libcurl. One line per failure.
# (grep reads all of its input here, never -q: under pipefail an early exit would fail nm/ldd with SIGPIPE.)
FORBIDDEN_LIBS := libFoundation\.so|libFoundationNetworking|libNIO|mongoc|libbson|mosquitto|libcurl
TEST_DOUBLES := ChargingCoreTesting|InMemorySessionStore|RecordingPublisher|FixedClock
check-deps: build ## ldd/nm checks: function binaries (no Foundation/NIO/libmongoc/test doubles), evcsm-data-api (no libcurl)
	@bad=0; for f in $(FUNCTIONS); do \
		bin="$(DEBUG_BIN)/$$f"; [ -x "$$bin" ] || { echo "FAIL: $$f: binary missing at $$bin"; bad=$$((bad + 1)); continue; }; \
		libs=$$(ldd "$$bin" | grep -E '$(FORBIDDEN_LIBS)' | awk '{print $$1}' | sort -u | paste -sd' ' - || true); \
		[ -z "$$libs" ] || { echo "FAIL: $$f links a forbidden library: $$libs"; bad=$$((bad + 1)); }; \
		nio=$$(nm -D --undefined-only "$$bin" 2>/dev/null | grep -c 'NIO' || true); \
		[ "$$nio" = 0 ] || { echo "FAIL: $$f references $$nio NIO symbols"; bad=$$((bad + 1)); }; \
		doubles=$$(nm "$$bin" 2>/dev/null | grep -oE '$(TEST_DOUBLES)' | sort -u | paste -sd' ' - || true); \
		[ -z "$$doubles" ] || { echo "FAIL: $$f contains test doubles: $$doubles"; bad=$$((bad + 1)); }; \
		bench=$$(( $$(nm "$$bin" 2>/dev/null | grep -c '_bench' || true) + $$(grep -ac '/_bench' "$$bin" || true) )); \
		[ "$$bench" = 0 ] || { echo "FAIL: $$f contains the runner's /_bench route ($$bench matches)"; bad=$$((bad + 1)); }; \
	done; \
	server="$(DEBUG_BIN)/evcsm-data-api"; \
	if [ -x "$$server" ]; then \
		curl=$$(ldd "$$server" | grep -E 'libcurl' | awk '{print $$1}' | sort -u | paste -sd' ' - || true); \
		[ -z "$$curl" ] || { echo "FAIL: evcsm-data-api links libcurl: $$curl"; bad=$$((bad + 1)); }; \
	else echo "FAIL: evcsm-data-api: binary missing at $$server"; bad=$$((bad + 1)); fi; \
	if [ $$bad = 0 ]; then \
		echo "check-deps: OK: $(words $(FUNCTIONS)) function binaries link no Foundation/NIO/libmongoc/libcurl (loaded on first use) and hold no test double or /_bench route; evcsm-data-api links no libcurl"; \
	else echo "check-deps: $$bad failure(s)"; exit 1; fi

swift-test: build ## Swift Testing suites (unit + integration)
	EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" $(SWIFT) test $(SWIFT_BUILD_FLAGS) --skip-build 2>&1 | tee .build/swift-test.log; \
	grep -qE 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' .build/swift-test.log || { echo "swift test: no passing Swift Testing run found"; exit 1; }

-include mk/*.mk

test: setup lint build check-deps swift-test $(TEST_SUITES) ## everything CI runs
	@echo "make test: all suites passed ($(words $(TEST_SUITES)) extra suites: $(TEST_SUITES))"

run: setup release lambda-release ## start the whole system on http://127.0.0.1:5274
	$(RELEASE_BIN)/evcsm-local --functions-dir $(LAMBDA_BIN) --simulate-chargers $(RUN_FLAGS)

clean:
	rm -rf .build .build-lambda $(STATIC_CXX_DIR) dist .aws-sam test-artifacts
