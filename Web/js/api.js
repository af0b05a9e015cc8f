// REST client for /api/ChargingSessionAPI (DESIGN.md §1). Every failure becomes an ApiError that
// carries the server's error envelope {error, message, timestamp} and, for a 400, the field it names.
// Every call sends the signed-in user's bearer token; a 401 sends the page back to its sign-in form.
import { auth } from './auth.js';

/** Names of the request fields, used to find which input a 400 message is about. */
export const FIELDS = [
    'chargingPointId', 'connectorId', 'userId', 'vehicleId', 'maxPower', 'targetCharge', 'sessionId',
];

const BASE = new URL('api/ChargingSessionAPI/', document.baseURI);

/** An error answer from the API (or no answer at all: status 0). */
export class ApiError extends Error {
    constructor(status, envelope) {
        super(envelope.message || envelope.error || `HTTP ${status}`);
        this.status = status;
        this.code = envelope.error || '';
        this.timestamp = envelope.timestamp || '';
        this.field = envelope.field || findField(this.message);
    }
}

function findField(message) {
    const found = FIELDS.filter((name) => new RegExp(`\\b${name}\\b`).test(message));
    return found.length > 0 ? found[0] : null;
}

/** The URL of an API route with query parameters (empty values are left out). */
export function apiURL(path, query = {}) {
    const url = new URL(path, BASE);
    for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
    }
    return url;
}

async function request(method, path, { query, body, accept = 'application/json' } = {}) {
    const headers = { Accept: accept, ...auth.headers() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
        response = await fetch(apiURL(path, query), {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store',
        });
    } catch (error) {
        throw new ApiError(0, { error: 'NetworkError', message: `Cannot reach the server (${error.message}).` });
    }
    if (response.status === 401) auth.unauthorized();
    if (!response.ok) throw new ApiError(response.status, await readEnvelope(response));
    if (accept === 'text/csv') return response.blob();
    if (response.status === 204) return null;
    try {
        return await response.json();
    } catch {
        throw new ApiError(response.status, { error: 'UnexpectedResponse', message: 'The server sent no JSON.' });
    }
}

async function readEnvelope(response) {
    const text = await response.text().catch(() => '');
    try {
        const parsed = JSON.parse(text);
        if (parsed && typeof parsed === 'object') return parsed;
    } catch {
        // not JSON: fall through
    }
    return { error: response.statusText || `HTTP ${response.status}`, message: text.trim().slice(0, 300) };
}

/** The API of the charging sessions service. */
export const api = {
    start: (body) => request('POST', 'start', { body }),
    stop: (sessionId) => request('POST', 'stop', { body: { sessionId } }),
    /** Latest or active session of a point, or null when the point has none (404). */
    async status(chargingPointId) {
        try {
            return await request('GET', 'status', { query: { chargingPointId } });
        } catch (error) {
            if (error.status === 404) return null;
            throw error;
        }
    },
    sessions: (query) => request('GET', 'sessions', { query }),
    sessionsCSV: (query) => request('GET', 'sessions', { query, accept: 'text/csv' }),
    session: (sessionId) => request('GET', `sessions/${encodeURIComponent(sessionId)}`),
    /** Registered chargers with their OCPP state (operators; a driver gets 403). */
    chargers: () => request('GET', 'chargers'),
};

/** What an OCPP charger's refusal means for the action, by the envelope's error name (issue 14). */
const CHARGER_ERRORS = {
    ChargerRejected: (what, detail) => `${what}: the charger refused the request (ChargerRejected): ${detail}`,
    ChargerNotConnected: (what, detail) =>
        `${what}: the charger is not connected to evcsm (ChargerNotConnected): ${detail} Check its OCPP connection.`,
    ChargerBusy: (what, detail) =>
        `${what}: the charger is busy with another command (ChargerBusy): ${detail} Try again.`,
    ChargerTimeout: (what, detail, action) =>
        `${what}: the charger did not answer in time (ChargerTimeout, HTTP 504): ${detail} ` +
        (action === 'Stop'
            ? 'The session goes on until the charger reports its end; press Stop again to see the result.'
            : 'No session was started; try again.'),
};

/** A readable sentence for an API error, naming what went wrong and what to do. */
export function describeError(error, action) {
    const what = action ? `${action} failed` : 'Request failed';
    if (!(error instanceof ApiError)) return `${what}: ${error.message}`;
    const detail = /[.!?]$/.test(error.message) ? error.message : `${error.message}.`;
    if (error.status === 0) return `${what}: ${detail} Check that evcsm-local is running.`;
    if (CHARGER_ERRORS[error.code]) return CHARGER_ERRORS[error.code](what, detail, action);
    if (error.status === 401) return `${what}: you are not signed in (HTTP 401). Please sign in again.`;
    if (error.status === 403) return `${what}: not allowed for your account (HTTP 403): ${detail}`;
    if (error.status === 400 || error.status === 404 || error.status === 409) return `${what}: ${detail}`;
    if (error.status >= 500) {
        return `${what}: the server had a problem (HTTP ${error.status}): ${detail} Please try again.`;
    }
    return `${what} (HTTP ${error.status}): ${detail}`;
}
