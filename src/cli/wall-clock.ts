/**
 * The commands' wall clock, in ms since the epoch. `DLEDGER_NOW` (an ISO 8601 time or ms since
 * the epoch) pins it, so output that depends on "now" (a record of another day gets its date,
 * `--since 5m`) can be reproduced: in tests, in docs, and when reading old logs as of their day.
 */
export function wallClockMs(env: NodeJS.ProcessEnv = process.env): number {
  const pinned = env.DLEDGER_NOW
  if (pinned === undefined || pinned === '') return Date.now()
  const ms = /^\d+$/.test(pinned) ? Number(pinned) : Date.parse(pinned)
  if (!Number.isFinite(ms)) throw new Error(`DLEDGER_NOW: "${pinned}" is neither an ISO 8601 time nor ms since the epoch`)
  return ms
}
