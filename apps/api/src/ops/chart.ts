import { html } from 'hono/html';
import type { MinuteCount } from '@msgpipe/shared';

const WIDTH = 720;
const HEIGHT = 180;
const AXIS = 22;
const LABEL_EVERY = 10;

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least the data's maximum. */
function niceCeiling(value: number): number {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

/** Messages per minute as an SVG bar chart (UTC minute labels), drawn on the server. */
export function perMinuteChart(minutes: MinuteCount[]) {
  const top = niceCeiling(Math.max(0, ...minutes.map((minute) => minute.count)));
  const plotHeight = HEIGHT - AXIS;
  const slot = WIDTH / minutes.length;
  const bars = minutes.map(({ minute, count }, index) => {
    const height = (count / top) * (plotHeight - 4);
    const label = minute.slice(11);
    return html`<rect class="bar" x="${(index * slot + 1).toFixed(1)}" y="${(plotHeight - height).toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${height.toFixed(1)}"><title>${label} UTC: ${count} messages</title></rect>${
      index % LABEL_EVERY === 0 ? html`<text class="tick" x="${(index * slot).toFixed(1)}" y="${HEIGHT - 6}">${label}</text>` : ''
    }`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Messages per minute, last hour">
    <line class="axis" x1="0" y1="${plotHeight}" x2="${WIDTH}" y2="${plotHeight}" />
    <text class="tick" x="${WIDTH}" y="12" text-anchor="end">${top}/min</text>
    ${bars}
  </svg>`;
}
