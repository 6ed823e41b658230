/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days); longer ones fire at once with a warning. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * Every delay handed to `setTimeout` in the sync path and the rate limiter goes through here: clamped to
 * [0, 2^31 - 1] ms, and a non-finite or non-numeric delay becomes `fallbackMs` (itself clamped). So no timer
 * ever overflows (no TimeoutOverflowWarning, no timer that fires at once and re-arms in a loop).
 */
export function clampTimerDelay(ms: number, fallbackMs = 0): number {
  const fallback = Number.isFinite(fallbackMs) ? Math.min(Math.max(0, fallbackMs), MAX_TIMER_DELAY_MS) : 0;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return fallback;
  return Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS);
}
