// Server-Sent Events frames from a byte stream, as the HTML standard's event-stream parser reads them:
// lines end in CRLF, LF or CR; `:` starts a comment; `event:`, `data:` (several lines join with "\n"),
// `id:` and `retry:` fields; one space after the colon is dropped; a blank line dispatches the event.
// Used by live.js, which reads /events with fetch so that it can send the bearer header.

/** Incremental parser: feed it decoded text chunks, it calls `onEvent({type, data, id})` per frame. */
export class SSEParser {
    constructor({ onEvent, onRetry = () => {}, onComment = () => {} }) {
        this.onEvent = onEvent;
        this.onRetry = onRetry;
        this.onComment = onComment;
        this.buffer = '';
        this.skipLF = false; // the previous chunk ended in CR: a leading LF belongs to that line end
        this.first = true;
        this.lastEventId = '';
        this.reset();
    }

    reset() {
        this.type = '';
        this.data = [];
        this.hasData = false;
    }

    /** Parses a chunk of text; incomplete lines wait for the next chunk. */
    push(text) {
        if (this.first && text.length > 0) {
            this.first = false;
            if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        }
        if (this.skipLF && text.startsWith('\n')) text = text.slice(1);
        this.skipLF = false;
        this.buffer += text;
        let start = 0;
        for (let index = 0; index < this.buffer.length; index++) {
            const char = this.buffer[index];
            if (char !== '\n' && char !== '\r') continue;
            this.line(this.buffer.slice(start, index));
            if (char === '\r') {
                if (index + 1 === this.buffer.length) this.skipLF = true;
                else if (this.buffer[index + 1] === '\n') index++;
            }
            start = index + 1;
        }
        this.buffer = this.buffer.slice(start);
    }

    line(text) {
        if (text === '') {
            this.dispatch();
            return;
        }
        if (text.startsWith(':')) {
            this.onComment(text.slice(1).replace(/^ /, ''));
            return;
        }
        const colon = text.indexOf(':');
        const field = colon < 0 ? text : text.slice(0, colon);
        const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') this.type = value;
        else if (field === 'data') {
            this.data.push(value);
            this.hasData = true;
        } else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
        else if (field === 'retry' && /^\d+$/.test(value)) this.onRetry(Number(value));
        // any other field is ignored, as the standard says
    }

    dispatch() {
        if (this.hasData) {
            this.onEvent({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastEventId });
        }
        this.reset();
    }
}

/**
 * Reads an SSE response body (a ReadableStream of bytes) to its end, calling `onEvent` per frame.
 * Resolves when the server closes the stream; rejects when the connection fails or `signal` aborts.
 */
export async function readEventStream(body, parserOptions) {
    const parser = new SSEParser(parserOptions);
    const reader = body.getReader();
    const decoder = new TextDecoder('utf-8');
    try {
        for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.push(decoder.decode(value, { stream: true }));
        }
        parser.push(decoder.decode());
    } finally {
        reader.releaseLock();
    }
    return parser.lastEventId;
}
