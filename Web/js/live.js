// Live updates: Server-Sent Events from /events (topics `session/updates` and `charging/updates`), with
// reconnect and a polling fallback, so the page never shows stale state without saying so.
//
// State reported to `onState`: 'connecting' → 'live' (stream open) → 'reconnecting' (stream dropped;
// polling /status until the stream is back) → 'live' again. `poll` runs every `pollMs` while not live
// and every `safetyPollMs` while live (a half-open connection raises no error).

export const TOPICS = ['session/updates', 'charging/updates'];

export class LiveFeed {
    constructor({ url, onMessage, onState, poll, pollMs = 2000, safetyPollMs = 15000 }) {
        this.url = url;
        this.onMessage = onMessage;
        this.onState = onState;
        this.poll = poll;
        this.pollMs = pollMs;
        this.safetyPollMs = safetyPollMs;
        this.source = null;
        this.state = 'connecting';
        this.retryMs = 1000;
        this.retryTimer = null;
        this.pollTimer = null;
        this.lastPoll = 0;
    }

    start() {
        this.connect();
        this.pollTimer = setInterval(() => this.tick(), 1000);
    }

    setState(state) {
        if (state === this.state) return;
        this.state = state;
        this.onState(state);
    }

    connect() {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (this.source) this.source.close();
        let source;
        try {
            source = new EventSource(this.url);
        } catch {
            this.scheduleReconnect();
            return;
        }
        this.source = source;
        source.onopen = () => {
            this.retryMs = 1000;
            this.setState('live');
            this.runPoll(); // catch up with whatever happened while the stream was down
        };
        source.onerror = () => {
            if (this.source !== source) return;
            this.setState('reconnecting');
            // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. a 5xx), so retry here.
            if (source.readyState === EventSource.CLOSED) this.scheduleReconnect();
        };
        const deliver = (topic) => (event) => this.deliver(topic, event.data);
        for (const topic of TOPICS) source.addEventListener(topic, deliver(topic));
        source.onmessage = deliver(null); // events without an `event:` line
    }

    scheduleReconnect() {
        if (this.retryTimer) return;
        this.setState('reconnecting');
        this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 15000);
    }

    deliver(topic, data) {
        let payload = data;
        try {
            payload = JSON.parse(data);
        } catch {
            payload = typeof data === 'string' ? data.trim() : data;
        }
        // Envelope form {topic, payload} (for streams that send everything as plain `message` events).
        if (payload && typeof payload === 'object' && 'topic' in payload && 'payload' in payload) {
            topic = payload.topic;
            payload = payload.payload;
            if (typeof payload === 'string') {
                try {
                    payload = JSON.parse(payload);
                } catch {
                    // plain text payload such as "Charging"
                }
            }
        }
        if (!topic) return;
        this.onMessage(topic, payload);
    }

    tick() {
        const interval = this.state === 'live' ? this.safetyPollMs : this.pollMs;
        if (Date.now() - this.lastPoll >= interval) this.runPoll();
    }

    async runPoll() {
        this.lastPoll = Date.now();
        try {
            await this.poll(this.state !== 'live');
        } catch {
            // poll reports its own errors
        }
    }
}
