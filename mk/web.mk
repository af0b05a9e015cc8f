# Web page (Web/) and its browser end-to-end tests (Tests/e2e): headless Debian chromium + chromedriver driven by
# selenium against a real evcsm-local with simulated chargers on ephemeral ports. Owned by the web area.
E2E_VENV := .venv/e2e
E2E_PYTHON := $(E2E_VENV)/bin/python
E2E_REQUIREMENTS := Tests/e2e/requirements.txt
E2E_PYTEST_FLAGS ?= -v -rA

.PHONY: test-e2e e2e-deps screenshot

# The venv is rebuilt when the pinned requirements change.
$(E2E_VENV)/.installed: $(E2E_REQUIREMENTS)
	@$(call apt_ensure,python3-venv)
	python3 -m venv $(E2E_VENV)
	$(E2E_PYTHON) -m pip install -q --disable-pip-version-check -r $(E2E_REQUIREMENTS)
	touch $@

e2e-deps: $(E2E_VENV)/.installed ## browser, driver and Python packages for the e2e tests
	@$(call apt_ensure,chromium chromium-driver)

# pytest exits 5 when it collected no test; any non-zero exit fails the target.
test-e2e: build e2e-deps ## browser end-to-end tests of the web page (headless chromium)
	mkdir -p test-artifacts
	rm -f test-artifacts/e2e-charging.png test-artifacts/failed-*.png
	EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" $(E2E_PYTHON) -m pytest $(E2E_PYTEST_FLAGS) Tests/e2e \
		--junitxml=test-artifacts/e2e-junit.xml
	@test -f test-artifacts/e2e-charging.png || { echo "test-e2e: no charging screenshot saved"; exit 1; }
	@echo "test-e2e: screenshot of the charging state in test-artifacts/e2e-charging.png"

TEST_SUITES += test-e2e

screenshot: build e2e-deps ## retake docs/screenshot.png (the page while charging, 1000x700)
	@$(call apt_ensure,pngquant)
	EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" $(E2E_PYTHON) Tests/e2e/screenshot.py docs/screenshot.png
