# Fault and MQTT fuzz suites (issue 12): Python clients from the outside (Tests/faults) against a real evcsm-local
# on ephemeral 127.0.0.1 ports; bounded in count and time, every process they start is stopped at the end.
# Figures go to test-artifacts/faults.txt. EVCSM_FUZZ_SEED / EVCSM_FUZZ_CASES override the fuzzer's seed and size.
FAULTS_VENV := .venv/faults
FAULTS_PYTHON := $(FAULTS_VENV)/bin/python
PAHO_MQTT_VERSION := 2.1.0

.PHONY: test-faults test-mqtt-fuzz

$(FAULTS_VENV)/.installed-paho-$(PAHO_MQTT_VERSION):
	@$(call apt_ensure,python3-venv mosquitto)
	rm -rf $(FAULTS_VENV) && python3 -m venv $(FAULTS_VENV)
	$(FAULTS_VENV)/bin/pip install -q --disable-pip-version-check paho-mqtt==$(PAHO_MQTT_VERSION)
	@touch $@

# >= 500 seeded random/malformed payloads on charging/updates and chargers/+/meter (paho-mqtt, QoS 1) plus raw
# packets, interleaved with valid messages: runner and broker stay up, the store equals the model exactly.
test-mqtt-fuzz: build $(FAULTS_VENV)/.installed-paho-$(PAHO_MQTT_VERSION) ## MQTT fuzzer against evcsm-local
	mkdir -p test-artifacts
	cd Tests/faults && EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" ../../$(FAULTS_PYTHON) mqtt_fuzz.py

# SIGKILL of workers under load, of the broker during meter ingest, the Data API down/stalled, SIGKILL of the
# runner during writes and a restart on the same data dir.
test-faults: build $(FAULTS_VENV)/.installed-paho-$(PAHO_MQTT_VERSION) ## fault injection under load against evcsm-local
	mkdir -p test-artifacts
	cd Tests/faults && EVCSM_BIN_DIR="$(DEBUG_BIN)" EVCSM_ROOT="$(CURDIR)" ../../$(FAULTS_PYTHON) faults.py

TEST_SUITES += test-mqtt-fuzz test-faults
