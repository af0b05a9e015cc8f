// History panel: GET /sessions with point/status filters, cursor paging (nextCursor) and CSV download
// (the same query with `Accept: text/csv`).
import { api, apiURL, describeError } from './api.js';
import { formatDateTime, formatEnergy, formatMinutes, formatMoney, normalizeSession } from './model.js';

const PAGE_SIZE = 10;

export class HistoryPanel {
    constructor(elements) {
        this.el = elements;
        this.cursors = [null]; // cursor of every page visited; the last one is the current page
        this.nextCursor = null;
        this.loading = null;
        this.refreshTimer = null;
        this.el.filters.addEventListener('submit', (event) => {
            event.preventDefault();
            this.reload();
        });
        this.el.point.addEventListener('change', () => this.reload());
        this.el.status.addEventListener('change', () => this.reload());
        this.el.next.addEventListener('click', () => this.page(+1));
        this.el.prev.addEventListener('click', () => this.page(-1));
        this.el.csv.addEventListener('click', (event) => this.downloadCSV(event));
        this.updateCSVLink();
    }

    filters() {
        return { chargingPointId: this.el.point.value, status: this.el.status.value };
    }

    /** Adds a point to the point filter once. */
    addPoint(point) {
        if ([...this.el.point.options].some((option) => option.value === point)) return;
        this.el.point.append(new Option(point, point));
    }

    reload() {
        this.cursors = [null];
        this.updateCSVLink();
        return this.load();
    }

    /** Reloads soon, on the first page only, so paging through older sessions is not disturbed. */
    refreshSoon(delayMs = 300) {
        if (this.cursors.length > 1) return;
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => this.load(), delayMs);
    }

    page(direction) {
        if (direction > 0 && this.nextCursor) this.cursors.push(this.nextCursor);
        if (direction < 0 && this.cursors.length > 1) this.cursors.pop();
        this.load();
    }

    async load() {
        const cursor = this.cursors[this.cursors.length - 1];
        const query = { ...this.filters(), limit: PAGE_SIZE, cursor };
        const token = {};
        this.loading = token;
        this.el.table.setAttribute('aria-busy', 'true');
        try {
            const answer = await api.sessions(query);
            if (this.loading !== token) return;
            this.render((answer.sessions || []).map(normalizeSession), answer.nextCursor || null);
            this.showError(null);
        } catch (error) {
            if (this.loading !== token) return;
            this.showError(describeError(error, 'Loading the history'));
        } finally {
            if (this.loading === token) this.el.table.removeAttribute('aria-busy');
        }
    }

    render(sessions, nextCursor) {
        this.nextCursor = nextCursor;
        const rows = sessions.map((session) => {
            const row = document.createElement('tr');
            row.dataset.sessionId = session.sessionId ?? '';
            row.dataset.status = session.status ?? '';
            const cells = [
                [formatDateTime(session.startTime), 'started'],
                [session.chargingPointId ?? '–', 'point'],
                [session.userId ?? '–', 'user'],
                [session.vehicleId ?? '–', 'vehicle'],
                [session.status ?? '–', 'status'],
                [formatEnergy(session.energy), 'energy num'],
                [formatMinutes(session.durationMinutes), 'duration num'],
                [session.cost === undefined ? '–' : formatMoney(session.cost, session.currency), 'cost num'],
            ];
            for (const [text, className] of cells) {
                const cell = document.createElement('td');
                cell.className = className;
                if (className === 'status') {
                    const badge = document.createElement('span');
                    badge.className = `badge ${text === 'Charging' ? 'on' : 'off'}`;
                    badge.textContent = text;
                    cell.append(badge);
                } else {
                    cell.textContent = text;
                }
                row.append(cell);
            }
            if (session.stopReason) row.title = `Stop reason: ${session.stopReason}`;
            return row;
        });
        this.el.rows.replaceChildren(...rows);
        this.el.empty.hidden = rows.length > 0;
        this.el.prev.disabled = this.cursors.length <= 1;
        this.el.next.disabled = !nextCursor;
        this.el.pageLabel.textContent = `Page ${this.cursors.length}`;
    }

    /** Updates the energy and cost of a listed session in place (live updates between reloads). */
    updateRow(session) {
        if (!session?.sessionId) return;
        const row = [...this.el.rows.rows].find((candidate) => candidate.dataset.sessionId === session.sessionId);
        if (!row) return;
        const set = (name, text) => {
            const cell = row.querySelector(`td.${name}`);
            if (cell && cell.textContent !== text) cell.textContent = text;
        };
        if (session.energy !== undefined) set('energy', formatEnergy(session.energy));
        if (session.cost !== undefined) set('cost', formatMoney(session.cost, session.currency));
        if (session.durationMinutes !== undefined) set('duration', formatMinutes(session.durationMinutes));
    }

    showError(text) {
        this.el.error.hidden = !text;
        this.el.error.textContent = text ?? '';
    }

    updateCSVLink() {
        const url = apiURL('sessions', this.filters());
        this.el.csv.href = url.pathname + url.search;
    }

    async downloadCSV(event) {
        event.preventDefault();
        try {
            const blob = await api.sessionsCSV(this.filters());
            const link = document.createElement('a');
            link.href = URL.createObjectURL(blob);
            link.download = 'sessions.csv';
            document.body.append(link);
            link.click();
            link.remove();
            setTimeout(() => URL.revokeObjectURL(link.href), 10000);
            this.showError(null);
        } catch (error) {
            this.showError(describeError(error, 'CSV download'));
        }
    }
}
