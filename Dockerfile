# evcsm in a container: evcsm-local (API Gateway/Lambda/IoT emulation + web page) and evcsm-data-api, both
# built from this repository. Used by compose.yaml with the official mongo:7 and eclipse-mosquitto:2 images.
# Untested here: the machine this project is developed on has no Docker engine (`make test` only runs
# `docker compose config` when the compose plugin exists). See README.md "Deploying to AWS".
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libcurl4-openssl-dev libmongoc-dev libsqlite3-dev libmosquitto-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first (exact versions pinned in Package.swift), so source edits keep this layer cached.
COPY Package.swift ./
RUN swift package resolve
COPY . .
# Static Swift stdlib: the runtime image needs only Debian's C libraries. The function binaries are the
# workers evcsm-local spawns (named by their template logical ids).
ARG PRODUCTS="evcsm-local evcsm-data-api evcsm-charger-sim GetStatus StartSession StopSession ListSessions \
    GetSession ChargingUpdates MeterValues ExpireSessions RegisterCharger MqttAuthorizer"
RUN set -eu; \
    for product in $PRODUCTS; do \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done; \
    bin="$(swift build -c release --show-bin-path)"; \
    mkdir -p /out/bin /out/share; \
    for product in $PRODUCTS; do \
        install -m 0755 "$bin/$product" /out/bin/; \
    done; \
    strip /out/bin/*; \
    cp -r template.yaml Web openapi /out/share/

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl libcurl4 libmongoc-1.0-0 libbson-1.0-0 libsqlite3-0 libmosquitto1 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/evcsm --create-home evcsm
COPY --from=build /out/bin/ /opt/evcsm/bin/
COPY --from=build /out/share/ /opt/evcsm/
WORKDIR /opt/evcsm
USER evcsm
ENV PATH=/opt/evcsm/bin:$PATH
EXPOSE 5274
# Defaults for the runner; compose.yaml adds --mongodb-uri and --mqtt-url (its broker password comes from
# MQTT_PASSWORD). No key or password is baked into the image: evcsm-local generates its own per data dir
# (/var/lib/evcsm), and evcsm-data-api refuses to start without --api-key-file, --api-key or DATA_API_KEYS.
ENTRYPOINT ["evcsm-local", "--host", "0.0.0.0", "--functions-dir", "/opt/evcsm/bin", \
    "--template", "/opt/evcsm/template.yaml", "--web-dir", "/opt/evcsm/Web", \
    "--openapi", "/opt/evcsm/openapi/evcsm.openapi.json", "--data-dir", "/var/lib/evcsm"]
