// Session values as the page shows them: one normalized shape for the REST answers (status ACTIVE/STOPPED/
// STARTED) and the `session/updates` messages (status Charging/Stopped), plus formatting and estimates.

/** Defaults of the service (DESIGN.md §1); used only where an answer does not carry the value. */
export const DEFAULTS = {
    batteryCapacity: 55, // kWh
    currentCharge: 40, // %
    tariffPerKWh: 0.5,
    tariffSessionFee: 5.0,
    tariffPerMinute: 0.0,
    currency: 'EUR',
};

/** "Charging" or "Stopped" for any status word the API or the topics use. */
export function statusWord(value) {
    const word = String(value ?? '').toUpperCase();
    return word === 'CHARGING' || word === 'ACTIVE' || word === 'STARTED' ? 'Charging' : 'Stopped';
}

function number(value) {
    if (value === null || value === undefined || value === '') return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
}

function time(value) {
    if (!value) return null;
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
}

/** A session in the page's shape from a REST answer or a topic message (missing values stay undefined). */
export function normalizeSession(raw) {
    const session = {
        sessionId: raw.sessionId ?? raw._id ?? undefined,
        chargingPointId: raw.chargingPointId ?? undefined,
        userId: raw.userId ?? undefined,
        vehicleId: raw.vehicleId ?? undefined,
        status: raw.status === undefined ? undefined : statusWord(raw.status),
        startTime: time(raw.startTime) ?? undefined,
        endTime: time(raw.endTime) ?? undefined,
        energy: number(raw.energyConsumed) ?? (number(raw.energyWh) !== null ? number(raw.energyWh) / 1000 : undefined),
        cost: number(raw.cost) ?? undefined,
        currency: raw.currency ?? undefined,
        durationMinutes: number(raw.durationMinutes) ?? undefined,
        maxPower: number(raw.maxPower) ?? undefined,
        targetCharge: number(raw.targetCharge) ?? undefined,
        estimatedDuration: number(raw.estimatedDuration) ?? undefined,
        updatedAt: time(raw.timestamp) ?? undefined,
        stopReason: raw.stopReason ?? undefined,
        connectorId: number(raw.connectorId) ?? undefined, // OCPP sessions (issue 14)
        transactionId: number(raw.transactionId) ?? undefined,
    };
    for (const key of Object.keys(session)) if (session[key] === undefined) delete session[key];
    return session;
}

/**
 * Merges news about a point's session into what the page knows, ignoring stale news: a Stopped session
 * never becomes Charging again, energy never goes backwards, older updates never replace newer ones.
 */
export function mergeSession(known, news, stoppedIds) {
    if (!news.sessionId) return known;
    const replacedBy = (session) => ({ ...session, status: session.status ?? 'Stopped' });
    if (!known?.sessionId) {
        return news.status === 'Charging' && stoppedIds.has(news.sessionId) ? known : replacedBy(news);
    }
    if (known.sessionId !== news.sessionId) {
        if (news.status === 'Charging') return stoppedIds.has(news.sessionId) ? known : replacedBy(news);
        if (known.status === 'Charging') {
            // Another session's end only replaces a running session when it provably started later.
            const later =
                news.startTime !== undefined && known.startTime !== undefined && news.startTime > known.startTime;
            return later ? replacedBy(news) : known;
        }
        const older = news.startTime !== undefined && known.startTime !== undefined && news.startTime < known.startTime;
        return older ? known : replacedBy(news);
    }
    const stopped = known.status === 'Stopped' || stoppedIds.has(known.sessionId);
    if (stopped && news.status === 'Charging') return known; // late news from before the stop
    if (known.updatedAt && news.updatedAt && news.updatedAt < known.updatedAt && news.status === known.status) {
        return known;
    }
    const merged = { ...known, ...news };
    if (stopped) merged.status = 'Stopped';
    if (known.energy !== undefined && news.energy !== undefined) merged.energy = Math.max(known.energy, news.energy);
    return merged;
}

/** Energy in kWh with 3 decimals. */
export function formatEnergy(kWh) {
    return (kWh ?? 0).toFixed(3);
}

/** Money with 2 decimals and the currency code. */
export function formatMoney(amount, currency) {
    if (amount === null || amount === undefined) return '–';
    return `${amount.toFixed(2)} ${currency || DEFAULTS.currency}`;
}

/** h:mm:ss of a span of milliseconds. */
export function formatClock(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** "2 h 05 min" / "45 min" for a number of minutes. */
export function formatMinutes(minutes) {
    if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return '–';
    const rounded = Math.max(0, Math.round(minutes));
    if (rounded < 60) return `${rounded} min`;
    return `${Math.floor(rounded / 60)} h ${String(rounded % 60).padStart(2, '0')} min`;
}

/** Estimated duration in minutes: (target − current)% × capacity / maxPower, as the service computes it. */
export function estimateMinutes(maxPower, targetCharge) {
    if (!(maxPower > 0) || targetCharge === undefined) return null;
    const kWh = ((targetCharge - DEFAULTS.currentCharge) / 100) * DEFAULTS.batteryCapacity;
    return kWh > 0 ? (kWh / maxPower) * 60 : null;
}

/** Energy the session needs to reach its target charge, in kWh. */
export function targetEnergy(targetCharge) {
    if (targetCharge === undefined) return null;
    const kWh = ((targetCharge - DEFAULTS.currentCharge) / 100) * DEFAULTS.batteryCapacity;
    return kWh > 0 ? kWh : null;
}

/** Cost estimate with the default tariff, for a running session whose updates carry no cost. */
export function estimateCost(kWh, minutes) {
    return DEFAULTS.tariffSessionFee + DEFAULTS.tariffPerKWh * (kWh ?? 0) + DEFAULTS.tariffPerMinute * (minutes ?? 0);
}

/** Local date and time, short. */
export function formatDateTime(ms) {
    if (!ms) return '–';
    return new Date(ms).toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
    });
}
