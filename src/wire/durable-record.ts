/**
 * The durable term/vote record's file format (spec S1): `<dataDir>/state.json` =
 * `{"currTerm":N,"currVoteFor":id|null}`. The member writes and loads it (src/node/state-store.ts);
 * `dledger check` reads it with the same parser, so both judge a record the same way.
 */
import {MAX_TERM} from '../core/limits.js'
import type {DurableState} from '../core/types.js'

/** The record's file name inside a member's data directory. */
export const STATE_FILE = 'state.json'

/** The record, or a one-line reason why the text is not one. */
export function parseRecord(text: string): DurableState | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return `not JSON (${(error as Error).message})`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected {"currTerm": N, "currVoteFor": id|null}'
  const {currTerm, currVoteFor} = value as Record<string, unknown>
  if (typeof currTerm !== 'number' || !Number.isSafeInteger(currTerm) || currTerm < 0) return `currTerm must be a non-negative integer (got ${JSON.stringify(currTerm)})`
  if (currTerm > MAX_TERM) return `currTerm ${currTerm} is above the largest term ${MAX_TERM}`
  if (currVoteFor !== null && (typeof currVoteFor !== 'string' || currVoteFor === '')) return `currVoteFor must be a member id or null (got ${JSON.stringify(currVoteFor)})`
  return {currTerm, currVoteFor}
}
