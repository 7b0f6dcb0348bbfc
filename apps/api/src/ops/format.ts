/** How the ops page writes numbers, durations and times. */

export const formatNumber = (value: number): string => value.toLocaleString('en-US');

/** A duration in seconds, to the precision a person reads at a glance: `0 s`, `42 s`, `3 min 05 s`, `2 h 10 min`. */
export function formatDuration(seconds: number): string {
  const whole = Math.floor(Math.max(0, seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `10:05:07 UTC` */
export const formatClock = (time: Date): string => `${time.toISOString().slice(11, 19)} UTC`;
