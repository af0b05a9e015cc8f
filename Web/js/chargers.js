// OCPP chargers as the page knows them (issue 14): the operator's list from GET /chargers (OCPP connection
// state, last heartbeat, connector statuses) kept live by the `chargepoint/status` messages of /events.
// A driver may not list chargers (403): the directory then holds only what the messages told it.
//
// Message shape (`chargepoint/status`): {chargePointId, connected, connectorId?, status?, errorCode?, info?,
// timestamp}. Messages are applied in arrival order; a list answer replaces a charger's live state unless a
// message about that charger arrived after the list was asked for (the list is then older than the message).

function time(value) {
    if (!value) return undefined;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
}

function connectorOf(raw) {
    return {
        connectorId: Number(raw.connectorId),
        maxPower: Number.isFinite(Number(raw.maxPower)) && raw.maxPower !== null ? Number(raw.maxPower) : undefined,
        status: raw.status ?? undefined,
        errorCode: raw.errorCode ?? undefined,
        info: raw.info ?? undefined,
        updatedAt: time(raw.updatedAt ?? raw.timestamp),
    };
}

/** A charger in the page's shape from one entry of GET /chargers. */
export function normalizeCharger(raw) {
    const connectors = new Map();
    for (const entry of Array.isArray(raw.connectors) ? raw.connectors : []) {
        const connector = connectorOf(entry);
        if (Number.isInteger(connector.connectorId)) connectors.set(connector.connectorId, connector);
    }
    return {
        chargePointId: String(raw.chargePointId),
        ocpp: raw.ocpp === true,
        connected: raw.connected === true,
        connectedAt: time(raw.connectedAt),
        lastSeen: time(raw.lastSeen),
        lastHeartbeat: time(raw.lastHeartbeat),
        boot: raw.boot && typeof raw.boot === 'object' ? raw.boot : undefined,
        connectors,
        seq: 0,
    };
}

export class ChargerDirectory {
    constructor() {
        this.chargers = new Map(); // chargePointId → charger
        this.listed = null; // null: not asked yet, true: GET /chargers answered, false: not for this caller
        this.seq = 0; // counts applied messages
    }

    get(chargePointId) {
        return this.chargers.get(chargePointId);
    }

    /** True when the point is an OCPP charger the page knows of (from the list or a status message). */
    isOcpp(chargePointId) {
        return this.get(chargePointId)?.ocpp === true;
    }

    /** The sorted connector ids of a charger (connector 0, the charger as a whole, left out). */
    connectorIds(chargePointId) {
        const charger = this.get(chargePointId);
        if (!charger) return [];
        return [...charger.connectors.keys()].filter((id) => id > 0).sort((a, b) => a - b);
    }

    /** A mark to pass to `applyList` with the answer of a GET /chargers asked for now. */
    mark() {
        return this.seq;
    }

    /** Takes a GET /chargers answer `{chargers: [...]}` asked for at `mark`. */
    applyList(answer, mark) {
        const next = new Map();
        for (const raw of Array.isArray(answer?.chargers) ? answer.chargers : []) {
            if (!raw?.chargePointId) continue;
            const listed = normalizeCharger(raw);
            const known = this.chargers.get(listed.chargePointId);
            const newer = known && known.seq > mark; // a message arrived after the list was asked for
            next.set(listed.chargePointId, newer ? { ...listed, ...liveParts(listed, known) } : listed);
        }
        // Chargers the list does not hold but a message told of (registered since the list was read).
        for (const [id, known] of this.chargers) if (!next.has(id) && known.seq > mark) next.set(id, known);
        this.chargers = next;
        this.listed = true;
    }

    /** Applies one `chargepoint/status` message; returns the charger's id, or null for a malformed one. */
    applyStatus(message) {
        if (!message || typeof message !== 'object' || typeof message.chargePointId !== 'string') return null;
        if (typeof message.connected !== 'boolean') return null;
        const id = message.chargePointId;
        const charger = this.chargers.get(id) ?? normalizeCharger({ chargePointId: id, ocpp: true });
        this.seq += 1;
        charger.seq = this.seq;
        charger.ocpp = true; // only OCPP chargers' functions publish this topic
        const at = time(message.timestamp) ?? Date.now();
        if (message.connected && !charger.connected) charger.connectedAt = at;
        charger.connected = message.connected;
        charger.lastSeen = at;
        const connectorId = Number(message.connectorId);
        if (message.connectorId !== undefined && message.connectorId !== null && Number.isInteger(connectorId)) {
            const known = charger.connectors.get(connectorId) ?? { connectorId };
            charger.connectors.set(connectorId, {
                ...known,
                status: message.status ?? known.status,
                errorCode: message.errorCode ?? known.errorCode,
                info: message.info ?? undefined,
                updatedAt: at,
            });
        }
        this.chargers.set(id, charger);
        return id;
    }
}

/** What messages told of a charger, laid over its (older) list entry; connectors keep the list's maxPower. */
function liveParts(listed, known) {
    const connectors = new Map(listed.connectors);
    for (const [id, live] of known.connectors) {
        const entry = connectors.get(id) ?? { connectorId: id };
        connectors.set(id, { ...entry, status: live.status, errorCode: live.errorCode, info: live.info,
            updatedAt: live.updatedAt });
    }
    return { connected: known.connected, connectedAt: known.connectedAt, lastSeen: known.lastSeen, connectors,
        seq: known.seq };
}

/** "Available", "Charging (connector error: GroundFailure)" … for one connector. */
export function describeConnector(connector) {
    const status = connector.status ?? 'status unknown';
    const error = connector.errorCode && connector.errorCode !== 'NoError' ? ` (${connector.errorCode})` : '';
    return `${status}${error}`;
}
