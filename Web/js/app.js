// evcsm web page: start/stop charging on a point, follow it live, overview of points, history.
// Plain ES modules, no build step. Test hooks are the element ids (#status, #energy, #start, …).
import { api, describeError } from './api.js';
import { auth } from './auth.js';
import { chargers, chosenConnector, showChargersError } from './chargerpanel.js';
import { HistoryPanel } from './history.js';
import { LiveFeed } from './live.js';
import { mergeSession, normalizeSession } from './model.js';
import { startSignIn } from './signin.js';
import {
    $,
    DEFAULT_POINTS,
    chart,
    clearError,
    current,
    el,
    handlers,
    render,
    renderButtons,
    renderClock,
    renderCost,
    setLive,
    showError,
    state,
} from './view.js';

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

/** Re-reads the operator's charger list (GET /chargers); 403 (a driver) or no such route (404/405) stops it. */
async function refreshChargers() {
    if (chargers.listed === false) return;
    const mark = chargers.mark();
    try {
        chargers.applyList(await api.chargers(), mark);
        for (const pointId of chargers.chargers.keys()) addPoint(pointId);
        showChargersError(null);
    } catch (error) {
        if ([403, 404, 405].includes(error.status)) chargers.listed = false;
        else showChargersError(describeError(error, 'Loading the chargers'));
    }
    render();
}

/** Re-reads every point of the overview; says "offline" when the API cannot be reached and the stream is down. */
async function refreshAll() {
    refreshChargers();
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
    const connectorId = chosenConnector(body.chargingPointId);
    if (connectorId !== undefined) body.connectorId = connectorId;
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
        chart.add(normalizeSession(payload));
    } else if (topic === 'chargepoint/status') {
        const pointId = chargers.applyStatus(payload);
        if (pointId && chargers.listed === true) addPoint(pointId);
        if (pointId) render();
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

/** The user field: a driver starts sessions as themselves (read-only), an operator may name anyone. */
function applyUser(params) {
    const { sub, role } = auth.user();
    const field = $('userId');
    if (sub) field.value = sub;
    const driver = auth.mode !== 'none' && role === 'driver';
    state.driver = driver ? sub : '';
    field.readOnly = driver;
    field.setAttribute('aria-readonly', String(driver));
    field.title = driver ? 'You start sessions as yourself (from your sign-in).' : '';
    if (!driver && params.has('userId')) field.value = params.get('userId');
}

function init() {
    const params = new URLSearchParams(location.search);
    for (const pointId of DEFAULT_POINTS) addPoint(pointId);
    const wanted = params.get('point') || el.point.value || DEFAULT_POINTS[0];
    for (const name of ['vehicleId', 'maxPower', 'targetCharge']) {
        if (params.has(name)) $(name).value = params.get(name);
    }
    applyUser(params);
    if (state.driver) chargers.listed = false; // GET /chargers is for operators: a driver learns from /events only
    handlers.select = select;
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
        headers: () => auth.headers(),
        onUnauthorized: () => auth.unauthorized(),
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

startSignIn(init);
