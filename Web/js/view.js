// What the page shows: the elements it writes, the state it shows them from, and the rendering of the
// status bar, the buttons, the points overview, the live indicator and the errors next to an action.
import { describeError, FIELDS } from './api.js';
import { chargers, renderChargerLine, renderChargers, renderConnectorField } from './chargerpanel.js';
import { SessionChart } from './chart.js';
import {
    estimateCost,
    estimateMinutes,
    formatClock,
    formatEnergy,
    formatMinutes,
    formatMoney,
    targetEnergy,
} from './model.js';

export const $ = (id) => document.getElementById(id);
export const DEFAULT_POINTS = ['cp-1', 'cp-2', 'cp-3'];

export const el = {
    statusBar: $('status-bar'),
    statusPoint: $('status-point'),
    status: $('status'),
    energy: $('energy'),
    elapsed: $('elapsed'),
    cost: $('cost'),
    costLabel: $('cost-label'),
    estimate: $('estimate'),
    progress: $('progress'),
    sessionInfo: $('session-info'),
    form: $('session-form'),
    point: $('chargingPointId'),
    pointList: $('point-list'),
    start: $('start'),
    stop: $('stop'),
    error: $('error'),
    message: $('message'),
    points: $('points'),
    live: $('live'),
    liveText: $('live-text'),
};

export const state = {
    selected: '',
    sessions: new Map(), // chargingPointId → session (normalized)
    points: [], // overview order
    stoppedIds: new Set(),
    pending: null, // 'start' | 'stop' while a request is in flight
    liveState: 'connecting',
    driver: '', // the signed-in driver's user id; empty for an operator or an open API
};

/** Actions the rendered elements call (set by app.js). */
export const handlers = { select: () => {} };

/** The followed session's power and energy chart. */
export const chart = new SessionChart({ svg: $('session-chart'), power: $('chart-power'), energy: $('chart-energy') });

// MARK: rendering

export function current() {
    return state.sessions.get(state.selected);
}

export function render() {
    const session = current();
    const status = session?.status === 'Charging' ? 'Charging' : 'Stopped';
    el.statusPoint.textContent = state.selected;
    if (el.status.textContent !== status) el.status.textContent = status;
    el.statusBar.dataset.status = status;
    el.energy.textContent = formatEnergy(session?.energy);
    renderClock();
    renderCost(session);
    const estimate = session?.estimatedDuration ?? estimateMinutes(session?.maxPower, session?.targetCharge);
    el.estimate.textContent = session ? formatMinutes(estimate) : '–';
    const target = targetEnergy(session?.targetCharge);
    el.progress.value = target && session?.energy ? Math.min(1, session.energy / target) : 0;
    el.sessionInfo.textContent = session?.sessionId ? sessionLine(session) : 'No session on this point yet.';
    chart.follow(session);
    renderChargerLine(state.selected);
    renderConnectorField(state.selected);
    renderButtons();
    renderPoints();
    renderChargers(state.selected, handlers.select);
    document.title = session?.status === 'Charging'
        ? `${status} · ${formatEnergy(session.energy)} kWh · ${state.selected} · evcsm`
        : `${status} · ${state.selected} · evcsm`;
}

export function sessionLine(session) {
    const parts = [`Session ${session.sessionId}`];
    if (session.userId) parts.push(`user ${session.userId}`);
    if (session.vehicleId) parts.push(`vehicle ${session.vehicleId}`);
    if (session.maxPower) parts.push(`${session.maxPower} kW`);
    if (session.targetCharge) parts.push(`target ${session.targetCharge} %`);
    if (session.connectorId !== undefined) parts.push(`connector ${session.connectorId}`);
    if (session.transactionId !== undefined) parts.push(`OCPP transaction ${session.transactionId}`);
    if (session.status === 'Stopped' && session.stopReason) parts.push(`stopped: ${session.stopReason}`);
    return parts.join(' · ');
}

export function renderClock() {
    const session = current();
    if (!session?.startTime) {
        el.elapsed.textContent = formatClock(0);
        return;
    }
    let end = Date.now();
    if (session.status !== 'Charging') {
        end = session.endTime ?? session.startTime + (session.durationMinutes ?? 0) * 60000;
    }
    el.elapsed.textContent = formatClock(end - session.startTime);
}

export function renderCost(session) {
    if (!session?.sessionId) {
        el.cost.textContent = '–';
        el.costLabel.textContent = 'Cost';
        return;
    }
    const charging = session.status === 'Charging';
    const minutes = session.startTime ? (Date.now() - session.startTime) / 60000 : session.durationMinutes;
    const amount = session.cost ?? (charging ? estimateCost(session.energy, minutes) : undefined);
    if (!charging) el.costLabel.textContent = 'Cost';
    else el.costLabel.textContent = session.cost === undefined ? 'Cost so far (estimate)' : 'Cost so far';
    el.cost.textContent = amount === undefined ? '–' : formatMoney(amount, session.currency);
}

export function renderButtons() {
    const session = current();
    const charging = session?.status === 'Charging';
    el.start.disabled = state.pending !== null || charging || !state.selected;
    // A driver stops only their own sessions (another's has no owner fields and would be a 404).
    const mine = !state.driver || session?.userId === state.driver;
    el.stop.disabled = state.pending !== null || !charging || !session?.sessionId || !mine;
    el.start.setAttribute('aria-busy', String(state.pending === 'start'));
    el.stop.setAttribute('aria-busy', String(state.pending === 'stop'));
}

export function renderPoints() {
    const items = state.points.map((pointId) => {
        const session = state.sessions.get(pointId);
        const charging = session?.status === 'Charging';
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = `point-card ${charging ? 'on' : 'off'}`;
        button.dataset.point = pointId;
        button.setAttribute('aria-pressed', String(pointId === state.selected));
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = pointId;
        const detail = document.createElement('span');
        detail.className = 'detail';
        detail.textContent = charging ? `Charging · ${formatEnergy(session.energy)} kWh` : 'Stopped';
        button.append(name, detail);
        const charger = chargers.get(pointId);
        if (charger?.ocpp) {
            const ocpp = document.createElement('span');
            ocpp.className = 'detail ocpp';
            ocpp.dataset.connected = String(charger.connected);
            ocpp.textContent = `OCPP · ${charger.connected ? 'connected' : 'offline'}`;
            button.append(ocpp);
        }
        button.addEventListener('click', () => handlers.select(pointId));
        item.append(button);
        return item;
    });
    const focused = document.activeElement?.dataset?.point;
    el.points.replaceChildren(...items);
    if (focused) el.points.querySelector(`[data-point="${CSS.escape(focused)}"]`)?.focus();
}

export function setLive(liveState, reason) {
    state.liveState = liveState;
    const text = {
        connecting: 'connecting…',
        live: 'live',
        reconnecting: 'reconnecting… (polling every 2 s)',
        offline: 'offline: showing the last known state',
    }[liveState];
    el.live.dataset.state = liveState;
    el.liveText.textContent = text;
    el.live.title = reason ? String(reason.message ?? reason) : '';
}

// MARK: errors next to the action

export function clearError() {
    el.error.hidden = true;
    el.error.textContent = '';
    delete el.error.dataset.status;
    delete el.error.dataset.code;
    delete el.error.dataset.action;
    for (const field of FIELDS) {
        const input = $(field);
        const note = $(`${field}-error`);
        if (input) input.removeAttribute('aria-invalid');
        if (note) {
            note.hidden = true;
            note.textContent = '';
        }
    }
}

export function showError(action, error) {
    const label = action === 'start' ? 'Start' : 'Stop';
    el.error.textContent = describeError(error, label);
    el.error.dataset.status = String(error.status ?? '');
    el.error.dataset.code = error.code ?? '';
    el.error.dataset.action = action;
    el.error.hidden = false;
    const input = error.field ? $(error.field) : null;
    if (input && error.status === 400) {
        input.setAttribute('aria-invalid', 'true');
        const note = $(`${error.field}-error`);
        if (note) {
            note.textContent = error.message;
            note.hidden = false;
        }
        input.focus();
    }
}
