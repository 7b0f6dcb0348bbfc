export { startTracingSdk, type TracingSdk } from './sdk.js';
