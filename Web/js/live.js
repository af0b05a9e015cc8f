// Live updates: Server-Sent Events from /events (topics `session/updates`, `charging/updates` and
// `chargepoint/status`), with
// reconnect and a polling fallback, so the page never shows stale state without saying so.
//
// The stream is read with fetch and a bearer header (EventSource cannot send one, and a token never goes
// into a URL); sse.js parses the frames. State reported to `onState`: 'connecting' → 'live' (stream open)
// → 'reconnecting' (stream dropped; polling /status until the stream is back, reconnecting with backoff)
// → 'live' again. `poll` runs every `pollMs` while not live and every `safetyPollMs` while live (a
// half-open connection raises no error). A 401 calls `onUnauthorized` and stops the feed.
import { readEventStream } from './sse.js';

export const TOPICS = ['session/updates', 'charging/updates', 'chargepoint/status'];
const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 15000;

export class LiveFeed {
    constructor({ url, headers = () => ({}), onUnauthorized = () => {}, onMessage, onState, poll, pollMs = 2000,
        safetyPollMs = 15000 }) {
        this.url = url;
        this.headers = headers;
        this.onUnauthorized = onUnauthorized;
        this.onMessage = onMessage;
        this.onState = onState;
        this.poll = poll;
        this.pollMs = pollMs;
        this.safetyPollMs = safetyPollMs;
        this.controller = null;
        this.state = 'connecting';
        this.retryMs = MIN_RETRY_MS;
        this.serverRetryMs = 0; // the stream's own `retry:` field, a lower bound for the next reconnect
        this.lastEventId = '';
        this.retryTimer = null;
        this.pollTimer = null;
        this.lastPoll = 0;
        this.stopped = false;
    }

    start() {
        this.connect();
        this.pollTimer = setInterval(() => this.tick(), 1000);
    }

    /** Closes the stream and stops polling for good (sign-out). */
    stop() {
        this.stopped = true;
        clearTimeout(this.retryTimer);
        clearInterval(this.pollTimer);
        this.controller?.abort();
        this.controller = null;
    }

    setState(state) {
        if (state === this.state) return;
        this.state = state;
        this.onState(state);
    }

    connect() {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
        if (this.stopped) return;
        this.controller?.abort();
        const controller = new AbortController();
        this.controller = controller;
        this.open(controller).then(
            () => this.dropped(controller),
            () => this.dropped(controller),
        );
    }

    async open(controller) {
        const headers = { Accept: 'text/event-stream', ...this.headers() };
        if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
        const response = await fetch(this.url, { headers, cache: 'no-store', signal: controller.signal });
        if (response.status === 401) {
            this.stop();
            this.onUnauthorized();
            return;
        }
        if (!response.ok || !response.body) throw new Error(`/events answered HTTP ${response.status}`);
        this.retryMs = MIN_RETRY_MS;
        this.setState('live');
        this.runPoll(); // catch up with whatever happened while the stream was down
        this.lastEventId = await readEventStream(response.body, {
            onEvent: (event) => {
                if (this.controller !== controller) return;
                this.deliver(TOPICS.includes(event.type) ? event.type : null, event.data);
            },
            onRetry: (ms) => {
                this.serverRetryMs = ms;
            },
        });
    }

    dropped(controller) {
        if (this.controller !== controller || this.stopped) return;
        this.controller = null;
        this.scheduleReconnect();
    }

    scheduleReconnect() {
        if (this.retryTimer || this.stopped) return;
        this.setState('reconnecting');
        const delay = Math.max(this.retryMs, Math.min(this.serverRetryMs, MAX_RETRY_MS));
        this.retryTimer = setTimeout(() => this.connect(), delay);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
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
        if (this.stopped) return;
        this.lastPoll = Date.now();
        try {
            await this.poll(this.state !== 'live');
        } catch {
            // poll reports its own errors
        }
    }
}
