// evcsm web page: start/stop charging on a point, follow it live, overview of points, history.
// Plain ES modules, no build step. Test hooks are the element ids (#status, #energy, #start, …).
import { api, describeError, FIELDS } from './api.js';
import { HistoryPanel } from './history.js';
import { LiveFeed } from './live.js';
import {
    estimateCost,
    estimateMinutes,
    formatClock,
    formatEnergy,
    formatMinutes,
    formatMoney,
    mergeSession,
    normalizeSession,
    targetEnergy,
} from './model.js';

const $ = (id) => document.getElementById(id);
const DEFAULT_POINTS = ['cp-1', 'cp-2', 'cp-3'];

const el = {
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

const state = {
    selected: '',
    sessions: new Map(), // chargingPointId → session (normalized)
    points: [], // overview order
    stoppedIds: new Set(),
    pending: null, // 'start' | 'stop' while a request is in flight
    liveState: 'connecting',
};

const historyPanel = new HistoryPanel({
    filters: $('history-filters'),
    point: $('history-point'),
    status: $('history-status'),
    table: $('history'),
    rows: $('history-rows'),
    empty: $('history-empty'),
    error: $('history-error'),
    prev: $('history-prev'),
    next: $('history-next'),
    pageLabel: $('history-page'),
    csv: $('history-csv'),
});

// MARK: state updates

function learn(pointId, raw) {
    if (!pointId) return;
    addPoint(pointId);
    const news = normalizeSession(raw);
    news.chargingPointId ??= pointId;
    const known = state.sessions.get(pointId);
    const merged = mergeSession(known, news, state.stoppedIds);
    if (merged && merged.status === 'Stopped' && merged.sessionId) state.stoppedIds.add(merged.sessionId);
    if (merged !== known) state.sessions.set(pointId, merged);
    if (merged?.sessionId !== known?.sessionId || merged?.status !== known?.status) historyPanel.refreshSoon();
    else historyPanel.updateRow(merged);
    render();
}

function addPoint(pointId) {
    if (!pointId || state.points.includes(pointId)) return;
    state.points.push(pointId);
    el.pointList.append(new Option(pointId, pointId));
    historyPanel.addPoint(pointId);
}

async function refreshPoint(pointId) {
    const answer = await api.status(pointId);
    if (answer) learn(pointId, answer);
    else render();
}

/** Re-reads every point of the overview; says "offline" when the API cannot be reached and the stream is down. */
async function refreshAll() {
    const results = await Promise.allSettled(state.points.map((point) => refreshPoint(point)));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed && state.liveState !== 'live') setLive('offline', failed.reason);
    else if (!failed && state.liveState === 'offline') setLive(state.feedState);
}

function select(pointId) {
    pointId = pointId.trim();
    if (!pointId || pointId === state.selected) return;
    state.selected = pointId;
    addPoint(pointId);
    if (el.point.value.trim() !== pointId) el.point.value = pointId;
    const url = new URL(location.href);
    url.searchParams.set('point', pointId);
    window.history.replaceState(null, '', url);
    clearError();
    render();
    refreshPoint(pointId).catch(() => render());
}

// MARK: rendering

function current() {
    return state.sessions.get(state.selected);
}

function render() {
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
    renderButtons();
    renderPoints();
    document.title = session?.status === 'Charging'
        ? `${status} · ${formatEnergy(session.energy)} kWh · ${state.selected} · evcsm`
        : `${status} · ${state.selected} · evcsm`;
}

function sessionLine(session) {
    const parts = [`Session ${session.sessionId}`];
    if (session.userId) parts.push(`user ${session.userId}`);
    if (session.vehicleId) parts.push(`vehicle ${session.vehicleId}`);
    if (session.maxPower) parts.push(`${session.maxPower} kW`);
    if (session.targetCharge) parts.push(`target ${session.targetCharge} %`);
    if (session.status === 'Stopped' && session.stopReason) parts.push(`stopped: ${session.stopReason}`);
    return parts.join(' · ');
}

function renderClock() {
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

function renderCost(session) {
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

function renderButtons() {
    const session = current();
    const charging = session?.status === 'Charging';
    el.start.disabled = state.pending !== null || charging || !state.selected;
    el.stop.disabled = state.pending !== null || !charging || !session?.sessionId;
    el.start.setAttribute('aria-busy', String(state.pending === 'start'));
    el.stop.setAttribute('aria-busy', String(state.pending === 'stop'));
}

function renderPoints() {
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
        button.addEventListener('click', () => select(pointId));
        item.append(button);
        return item;
    });
    const focused = document.activeElement?.dataset?.point;
    el.points.replaceChildren(...items);
    if (focused) el.points.querySelector(`[data-point="${CSS.escape(focused)}"]`)?.focus();
}

function setLive(liveState, reason) {
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

function clearError() {
    el.error.hidden = true;
    el.error.textContent = '';
    delete el.error.dataset.status;
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

function showError(action, error) {
    const label = action === 'start' ? 'Start' : 'Stop';
    el.error.textContent = describeError(error, label);
    el.error.dataset.status = String(error.status ?? '');
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

// MARK: actions

function readForm() {
    const body = {};
    for (const name of ['chargingPointId', 'userId', 'vehicleId']) body[name] = $(name).value.trim();
    for (const name of ['maxPower', 'targetCharge']) {
        const raw = $(name).value.trim();
        const badInput = $(name).validity.badInput;
        if (raw === '' && !badInput) continue; // server default
        const value = Number(raw);
        body[name] = raw !== '' && Number.isFinite(value) ? value : raw || 'invalid';
    }
    return body;
}

async function startSession(event) {
    event.preventDefault();
    if (state.pending) return;
    select(el.point.value);
    clearError();
    const body = readForm();
    const pointId = body.chargingPointId || state.selected;
    state.pending = 'start';
    renderButtons();
    try {
        const answer = await api.start(body);
        learn(pointId, {
            ...answer,
            chargingPointId: pointId,
            status: 'Charging',
            userId: body.userId,
            vehicleId: body.vehicleId,
            maxPower: body.maxPower,
            targetCharge: body.targetCharge,
            energyConsumed: 0,
        });
        el.message.textContent = answer.message ?? `Charging started on ${pointId}.`;
    } catch (error) {
        showError('start', error);
        el.message.textContent = '';
        if (error.status === 409) refreshPoint(pointId).catch(() => {});
    } finally {
        state.pending = null;
        renderButtons();
        historyPanel.refreshSoon();
    }
}

async function stopSession() {
    const session = current();
    if (state.pending || !session?.sessionId) return;
    clearError();
    state.pending = 'stop';
    renderButtons();
    try {
        const answer = await api.stop(session.sessionId);
        learn(session.chargingPointId ?? state.selected, { ...answer, status: 'Stopped' });
        state.stoppedIds.add(session.sessionId);
        render();
        el.message.textContent = answer.message ?? 'Charging stopped.';
    } catch (error) {
        showError('stop', error);
        el.message.textContent = '';
        refreshPoint(state.selected).catch(() => {});
    } finally {
        state.pending = null;
        renderButtons();
        historyPanel.refreshSoon();
    }
}

// MARK: live messages

function onTopicMessage(topic, payload) {
    if (topic === 'session/updates' && payload && typeof payload === 'object') {
        const pointId = payload.chargingPointId ?? findPointOf(payload.sessionId);
        if (!pointId) return;
        learn(pointId, payload);
    } else if (topic === 'charging/updates') {
        // A command, not a state: the functions answer it with session/updates; re-read to be sure.
        const pointId = (payload && typeof payload === 'object' && payload.chargingPointId) || state.selected;
        setTimeout(() => refreshPoint(pointId).catch(() => {}), 500);
    }
}

function findPointOf(sessionId) {
    for (const [pointId, session] of state.sessions) if (session.sessionId === sessionId) return pointId;
    return null;
}

// MARK: start-up

function init() {
    const params = new URLSearchParams(location.search);
    for (const pointId of DEFAULT_POINTS) addPoint(pointId);
    const wanted = params.get('point') || el.point.value || DEFAULT_POINTS[0];
    for (const name of ['userId', 'vehicleId', 'maxPower', 'targetCharge']) {
        if (params.has(name)) $(name).value = params.get(name);
    }
    el.point.value = wanted;
    select(wanted);
    el.form.addEventListener('submit', startSession);
    el.stop.addEventListener('click', stopSession);
    el.point.addEventListener('change', () => select(el.point.value));
    setInterval(() => {
        renderClock();
        if (current()?.status === 'Charging') renderCost(current());
    }, 1000);
    const feed = new LiveFeed({
        url: new URL('events', document.baseURI),
        onMessage: onTopicMessage,
        onState: (feedState) => {
            state.feedState = feedState;
            setLive(feedState);
        },
        poll: () => refreshAll(),
    });
    state.feedState = 'connecting';
    feed.start();
    refreshAll().catch(() => {});
    historyPanel.reload();
    document.documentElement.dataset.ready = 'true';
}

init();
