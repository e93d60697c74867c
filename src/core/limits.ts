/**
 * The bounds every member agrees on, so a value one member accepts is one every peer accepts too.
 */

/**
 * The largest term a member accepts from the wire, an admin request or its own record, and the
 * largest it will campaign for. 2^50 (about 1.1e15) leaves 2^53 - 2^50 of headroom below
 * Number.MAX_SAFE_INTEGER, so `term + 1` is always exact, while counting up one term per
 * millisecond would still take 35,000 years to reach it: only a forged or corrupt term gets there.
 * A term a peer cannot represent would end elections for the whole group (issue 7, item 1).
 */
export const MAX_TERM = 2 ** 50

/**
 * The longest duration a setting may ask for. Node clamps a timer above 2^31 - 1 ms (24.8 days)
 * to 1 ms, so a huge heartbeat would fire constantly; one day is far above any sensible setting
 * and keeps every product the runtime forms (3 × the ping period, leak × heartbeat) a valid delay.
 */
export const MAX_DURATION_MS = 86_400_000
