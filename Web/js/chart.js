// Live power and energy chart of the followed session (issue 14): plain SVG, no library. Samples are the
// session's `session/updates` messages (energyConsumed at their timestamp); power = Δenergy/Δt over the
// last POWER_WINDOW_MS (at least two samples), in kW. Following another session starts a new chart.
// Test hooks: <svg id="session-chart" data-session-id data-samples data-power-kw data-energy-kwh>,
// #chart-power, #chart-energy.

const SVG = 'http://www.w3.org/2000/svg';
const MAX_SAMPLES = 1200;
export const POWER_WINDOW_MS = 5000;

/** Power in kW at each sample from energy samples [{t (ms), energy (kWh)}], null for the first. */
export function powerSeries(samples, windowMs = POWER_WINDOW_MS) {
    const series = [];
    let from = 0;
    for (let index = 0; index < samples.length; index++) {
        const sample = samples[index];
        while (from < index - 1 && sample.t - samples[from + 1].t >= windowMs) from++;
        const base = samples[Math.min(from, index - 1)];
        const hours = base ? (sample.t - base.t) / 3600000 : 0;
        series.push(base && hours > 0 ? Math.max(0, (sample.energy - base.energy) / hours) : null);
    }
    return series;
}

/** A "nice" axis maximum (1, 2, 2.5, 5 × 10^n) at or above `value`. */
export function niceMax(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
    return 10 * power;
}

function node(name, attributes = {}, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
}

function formatNumber(value) {
    if (value >= 100) return value.toFixed(0);
    if (value >= 10) return value.toFixed(1);
    return value.toFixed(2);
}

export class SessionChart {
    constructor({ svg, power, energy }) {
        this.svg = svg;
        this.power = power;
        this.energy = energy;
        this.sessionId = null;
        this.samples = [];
        // The viewBox is the element's own pixel size (text is never stretched); redrawn when that changes.
        this.size = { width: 0, height: 0 };
        new ResizeObserver(() => this.render()).observe(svg);
        this.render();
    }

    /** The drawing area in the SVG's own pixels (600 × 144 before it is laid out). */
    frame() {
        const width = Math.round(this.svg.clientWidth) || 600;
        const height = Math.round(this.svg.clientHeight) || 144;
        if (width !== this.size.width || height !== this.size.height) {
            this.size = { width, height };
            this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
        }
        return { width, height, left: 44, right: width - 44, top: 8, bottom: height - 22 };
    }

    /** Follows the page's current session: a different session (or none) empties the chart. */
    follow(session) {
        const id = session?.sessionId ?? null;
        if (id === this.sessionId) return;
        this.sessionId = id;
        this.samples = [];
        // A session that has just started is at 0 kWh at its start time: the first interval then has a power.
        if (id && session.status === 'Charging' && !(session.energy > 0) && session.startTime) {
            this.samples.push({ t: session.startTime, energy: 0 });
        }
        this.render();
    }

    /** One `session/updates` message of the followed session, in the page's session shape. */
    add(session) {
        if (!session?.sessionId || session.sessionId !== this.sessionId || session.energy === undefined) return;
        const t = session.updatedAt ?? Date.now();
        const last = this.samples[this.samples.length - 1];
        if (last && (t < last.t || session.energy < last.energy)) return; // late or stale news
        if (last && t === last.t) last.energy = session.energy;
        else this.samples.push({ t, energy: session.energy });
        if (this.samples.length > MAX_SAMPLES) this.samples = this.samples.filter((_, index) => index % 2 === 0);
        this.render();
    }

    render() {
        const samples = this.samples;
        const powers = powerSeries(samples);
        const lastPower = [...powers].reverse().find((value) => value !== null) ?? null;
        const lastEnergy = samples.length > 0 ? samples[samples.length - 1].energy : null;
        this.svg.dataset.sessionId = this.sessionId ?? '';
        this.svg.dataset.samples = String(samples.length);
        this.svg.dataset.powerKw = lastPower === null ? '' : lastPower.toFixed(3);
        this.svg.dataset.energyKwh = lastEnergy === null ? '' : lastEnergy.toFixed(3);
        this.power.textContent = lastPower === null ? '–' : formatNumber(lastPower);
        this.energy.textContent = lastEnergy === null ? '–' : lastEnergy.toFixed(3);
        const plot = this.frame();
        const children = [node('rect', { class: 'plot', x: plot.left, y: plot.top, width: plot.right - plot.left,
            height: plot.bottom - plot.top })];
        if (samples.length < 2) {
            const note = this.sessionId ? 'Waiting for meter values…' : 'No session followed.';
            const at = { class: 'note', x: plot.width / 2, y: plot.height / 2, 'text-anchor': 'middle' };
            children.push(node('text', at, note));
            this.svg.replaceChildren(...children);
            return;
        }
        const t0 = samples[0].t;
        const span = Math.max(1, samples[samples.length - 1].t - t0);
        const energyMax = niceMax(lastEnergy);
        const powerMax = niceMax(Math.max(0, ...powers.filter((value) => value !== null)));
        const x = (t) => plot.left + ((t - t0) / span) * (plot.right - plot.left);
        const y = (value, max) => plot.bottom - (value / max) * (plot.bottom - plot.top);
        const line = (points) => points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
        const energyPoints = samples.map((sample) => [x(sample.t), y(sample.energy, energyMax)]);
        const powerPoints = samples.flatMap((sample, index) =>
            powers[index] === null ? [] : [[x(sample.t), y(powers[index], powerMax)]]);
        children.push(
            node('line', { class: 'grid', x1: plot.left, x2: plot.right, y1: y(energyMax / 2, energyMax),
                y2: y(energyMax / 2, energyMax) }),
            node('polyline', { class: 'energy-line', points: line(energyPoints) }),
            node('polyline', { class: 'power-line', points: line(powerPoints) }),
            node('text', { class: 'axis energy-axis', x: plot.left - 4, y: plot.top + 10, 'text-anchor': 'end' },
                formatNumber(energyMax)),
            node('text', { class: 'axis energy-axis', x: plot.left - 4, y: plot.bottom, 'text-anchor': 'end' }, '0'),
            node('text', { class: 'axis power-axis', x: plot.right + 4, y: plot.top + 10 }, formatNumber(powerMax)),
            node('text', { class: 'axis power-axis', x: plot.right + 4, y: plot.bottom }, '0'),
            node('text', { class: 'axis', x: plot.left, y: plot.height - 6 }, '0 s'),
            node('text', { class: 'axis', x: plot.right, y: plot.height - 6, 'text-anchor': 'end' },
                `${Math.round(span / 1000)} s`),
        );
        this.svg.replaceChildren(...children);
    }
}
