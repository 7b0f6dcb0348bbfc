import { html } from 'hono/html';
import type { DayCount, MinuteCount } from '@msgpipe/shared';

const WIDTH = 720;
const HEIGHT = 180;
const AXIS = 22;

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least the data's maximum. */
function niceCeiling(value: number): number {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

interface Bar {
  /** Under the axis, on every `labelEvery`th bar. */
  label: string;
  /** The bar's tooltip. */
  title: string;
  count: number;
}

interface ChartOptions {
  ariaLabel: string;
  /** After the axis maximum: `/min`, `/day`. */
  unit: string;
  labelEvery: number;
  testId: string;
}

/** Counts as an SVG bar chart, drawn on the server. */
function barChart(bars: readonly Bar[], { ariaLabel, unit, labelEvery, testId }: ChartOptions) {
  const top = niceCeiling(Math.max(0, ...bars.map((bar) => bar.count)));
  const plotHeight = HEIGHT - AXIS;
  const slot = WIDTH / bars.length;
  const drawn = bars.map(({ label, title, count }, index) => {
    const height = (count / top) * (plotHeight - 4);
    return html`<rect class="bar" x="${(index * slot + 1).toFixed(1)}" y="${(plotHeight - height).toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${height.toFixed(1)}"><title>${title}</title></rect>${
      index % labelEvery === 0 ? html`<text class="tick" x="${(index * slot).toFixed(1)}" y="${HEIGHT - 6}">${label}</text>` : ''
    }`;
  });
  return html`<svg class="chart" data-testid="${testId}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${ariaLabel}">
    <line class="axis" x1="0" y1="${plotHeight}" x2="${WIDTH}" y2="${plotHeight}" />
    <text class="tick" x="${WIDTH}" y="12" text-anchor="end">${top}${unit}</text>
    ${drawn}
  </svg>`;
}

const plural = (count: number) => `${count} message${count === 1 ? '' : 's'}`;

/** Messages per minute (UTC minute labels). */
export function perMinuteChart(minutes: readonly MinuteCount[]) {
  const bars = minutes.map(({ minute, count }) => ({ label: minute.slice(11), title: `${minute.slice(11)} UTC: ${plural(count)}`, count }));
  return barChart(bars, { ariaLabel: 'Messages per minute, last hour', unit: '/min', labelEvery: 10, testId: 'per-minute-chart' });
}

/** Messages per UTC day (`11-21` labels, weekly). */
export function perDayChart(days: readonly DayCount[]) {
  const bars = days.map(({ day, count }) => ({ label: day.slice(5), title: `${day}: ${plural(count)}`, count }));
  return barChart(bars, { ariaLabel: `Messages per day, last ${days.length} days`, unit: '/day', labelEvery: 7, testId: 'per-day-chart' });
}
