// The OCPP chargers on the page (issue 14): the operator's charger list in the "Charging points" panel, the
// followed point's charger line in the status bar (drivers too: from `chargepoint/status` messages only), and
// the start form's connector choice (only for a point the list names as an OCPP charger).
// Test hooks: #chargers li[data-charger][data-connected], li[data-connector][data-status], #point-charger,
// #connector-field / #connectorId.
import { ChargerDirectory, describeConnector } from './chargers.js';
import { formatDateTime } from './model.js';

const $ = (id) => document.getElementById(id);

export const chargers = new ChargerDirectory();

const el = {
    section: $('chargers-section'),
    list: $('chargers'),
    error: $('chargers-error'),
    line: $('point-charger'),
    field: $('connector-field'),
    select: $('connectorId'),
};

function span(className, text) {
    const node = document.createElement('span');
    node.className = className;
    node.textContent = text;
    return node;
}

function connectionText(charger) {
    if (!charger.ocpp) return 'not an OCPP charger';
    return charger.connected ? 'connected' : 'offline';
}

function chargerItem(charger, selected, onSelect) {
    const item = document.createElement('li');
    item.className = 'charger';
    item.dataset.charger = charger.chargePointId;
    item.dataset.ocpp = String(charger.ocpp);
    item.dataset.connected = String(charger.connected);
    const name = document.createElement('button');
    name.type = 'button';
    name.className = 'charger-name';
    name.dataset.point = charger.chargePointId;
    name.setAttribute('aria-pressed', String(charger.chargePointId === selected));
    name.textContent = charger.chargePointId;
    name.addEventListener('click', () => onSelect(charger.chargePointId));
    const head = document.createElement('p');
    head.className = 'charger-head';
    head.append(name, span('conn', connectionText(charger)));
    item.append(head);
    if (charger.ocpp) {
        let seen = 'no heartbeat yet';
        if (charger.lastHeartbeat) seen = `last heartbeat ${formatDateTime(charger.lastHeartbeat)}`;
        else if (charger.lastSeen) seen = `no heartbeat yet, last seen ${formatDateTime(charger.lastSeen)}`;
        const model = charger.boot ? [charger.boot.chargePointVendor, charger.boot.chargePointModel].join(' ') : '';
        const boot = model ? ` · ${model}` : '';
        item.append(span('heartbeat', seen + boot));
    }
    const connectors = document.createElement('ul');
    connectors.className = 'connectors';
    for (const id of chargers.connectorIds(charger.chargePointId)) {
        const connector = charger.connectors.get(id);
        const entry = document.createElement('li');
        entry.dataset.connector = String(id);
        entry.dataset.status = connector.status ?? '';
        const power = connector.maxPower ? ` · ${connector.maxPower} kW` : '';
        entry.textContent = `Connector ${id}: ${charger.ocpp ? describeConnector(connector) : 'REST/MQTT'}${power}`;
        if (connector.info) entry.title = connector.info;
        connectors.append(entry);
    }
    if (connectors.children.length > 0) item.append(connectors);
    return item;
}

/** What a charger's item shows: the list and the connector choice are redrawn only when it changes. */
function signature(list, selected) {
    return JSON.stringify([selected, list.map((charger) => [charger.chargePointId, charger.ocpp, charger.connected,
        charger.lastHeartbeat, charger.boot, [...charger.connectors.values()]])]);
}

let drawn = '';

/** The operator's list (hidden when the caller may not list chargers). */
export function renderChargers(selected, onSelect) {
    el.section.hidden = chargers.listed !== true;
    if (chargers.listed !== true) return;
    const list = [...chargers.chargers.values()].sort((a, b) => a.chargePointId.localeCompare(b.chargePointId));
    const shown = signature(list, selected);
    if (shown === drawn) return; // an open menu or a pressed button stays as it is
    drawn = shown;
    const items = list.map((charger) => chargerItem(charger, selected, onSelect));
    const active = document.activeElement;
    const focused = active?.classList?.contains('charger-name') ? active.dataset.point : null;
    el.list.replaceChildren(...items);
    if (focused) el.list.querySelector(`.charger-name[data-point="${CSS.escape(focused)}"]`)?.focus();
}

/** The status bar's line about the followed point's charger (when the page knows it as an OCPP charger). */
export function renderChargerLine(pointId) {
    const charger = chargers.get(pointId);
    if (!charger?.ocpp) {
        el.line.hidden = true;
        el.line.textContent = '';
        delete el.line.dataset.connected;
        return;
    }
    const parts = [`OCPP charger ${charger.connected ? 'connected' : 'offline'}`];
    for (const id of chargers.connectorIds(pointId)) {
        parts.push(`connector ${id}: ${describeConnector(charger.connectors.get(id))}`);
    }
    el.line.textContent = parts.join(' · ');
    el.line.dataset.connected = String(charger.connected);
    el.line.hidden = false;
}

/** The start form's connector choice: only for an OCPP charger of the operator's list. */
export function renderConnectorField(pointId) {
    const show = chargers.listed === true && chargers.isOcpp(pointId);
    el.field.hidden = !show;
    el.select.disabled = !show;
    if (!show) return;
    const chosen = el.select.dataset.point === pointId ? el.select.value : '';
    const charger = chargers.get(pointId);
    const labels = chargers.connectorIds(pointId).map((id) => [String(id),
        `${id} · ${describeConnector(charger.connectors.get(id))}`]);
    const options = [['', 'First available'], ...labels];
    const same = el.select.dataset.point === pointId && el.select.options.length === options.length &&
        options.every(([value, label], index) => el.select.options[index].value === value &&
            el.select.options[index].text === label);
    if (same) return; // redrawing would close an open menu
    el.select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    el.select.value = options.some(([value]) => value === chosen) ? chosen : '';
    el.select.dataset.point = pointId;
}

/** The connector chosen for a start on `pointId`, or undefined (the server picks the first available). */
export function chosenConnector(pointId) {
    if (el.field.hidden || el.select.dataset.point !== pointId || el.select.value === '') return undefined;
    return Number(el.select.value);
}

/** Shows why the list could not be read (null clears). */
export function showChargersError(text) {
    el.error.hidden = !text;
    el.error.textContent = text ?? '';
}
