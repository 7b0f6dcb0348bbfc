import { html } from 'hono/html';
import { formatNumber } from './format.js';

/** A headline figure: a big value over its label; `tone` colours the value (`alert`, `ok`). */
export function tile(label: string, value: number | string, testId: string, tone = '') {
  return html`<div class="tile ${tone}"><div class="value" data-testid="${testId}">${typeof value === 'number' ? formatNumber(value) : value}</div><div class="label">${label}</div></div>`;
}
