# OCPP 1.6J suite (issue 14): the PyPI `ocpp` library as an independent charge point (Tests/ocpp) over
# `websockets`, against a real evcsm-local on ephemeral 127.0.0.1 ports (Tests/faults/harness.py's Runner).
# Figures go to test-artifacts/ocpp.txt. EVCSM_OCPP_CASES=word,word runs only the cases naming one of the words.
OCPP_VENV := .venv/ocpp
OCPP_PYTHON := $(OCPP_VENV)/bin/python
OCPP_REQUIREMENTS := Tests/ocpp/requirements.txt

.PHONY: test-ocpp

# Rebuilt when the pinned requirements change.
$(OCPP_VENV)/.installed: $(OCPP_REQUIREMENTS)
	@$(call apt_ensure,python3-venv mosquitto)
	rm -rf $(OCPP_VENV) && python3 -m venv $(OCPP_VENV)
	$(OCPP_PYTHON) -m pip install -q --disable-pip-version-check -r $(OCPP_REQUIREMENTS)
	@touch $@

# Boot → heartbeat → status → authorize → start → meter values → stop with energy and cost through REST, remote
# start/stop, handshake refusals, CALLERRORs for bad frames, two chargers, reconnects, late messages, SSE.
test-ocpp: build $(OCPP_VENV)/.installed ## OCPP 1.6J charge point (PyPI ocpp) against evcsm-local
	mkdir -p test-artifacts
	cd Tests/ocpp && EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" ../../$(OCPP_PYTHON) -B suite.py

TEST_SUITES += test-ocpp
