/**
 * The ledger's entries and the push messages that replicate them (DLedger's PushEntryRequest and
 * PushEntryResponse, reference §4.3). Kept apart from the election's `Message` union: the elector
 * never sees them, the replicator sees nothing else.
 */
import {type Base, RESPONSE_CODES} from './types.js'

/** One ledger entry. `body` is opaque text; an empty body is the no-op of a new leader. */
export interface LogEntry {
  index: number
  term: number
  body: string
}

/** DLedger's `PushEntryRequest.Type`, without INSTALL_SNAPSHOT (no snapshots yet). */
export const PUSH_TYPES = ['COMPARE', 'TRUNCATE', 'APPEND', 'COMMIT'] as const
export type PushType = (typeof PUSH_TYPES)[number]

/**
 * leader → follower. COMPARE asks whether the follower holds (preLogIndex, preLogTerm); TRUNCATE
 * drops the follower's entries from `preLogIndex + 1` on when the first of them conflicts with
 * the leader's log (`nextLogTerm`); APPEND carries `entries`, which follow (preLogIndex,
 * preLogTerm); COMMIT carries only the commit index for the prefix up to preLogIndex.
 */
export interface PushEntryRequest extends Base {
  kind: 'PushEntryRequest'
  type: PushType
  preLogIndex: number
  preLogTerm: number
  commitIndex: number
  entries: LogEntry[]
  /**
   * TRUNCATE only: the term of the leader's entry at preLogIndex + 1, or the leader's term when it
   * has none there yet (its next entry will carry it). A follower whose entry at preLogIndex + 1
   * has this term shares it with the leader, so the TRUNCATE is stale and drops nothing (D13).
   * Absent from an older leader: the follower then takes the push's term.
   */
  nextLogTerm?: number
}

/**
 * follower → leader. On success `index` is the last index the follower now shares with the
 * leader. On INCONSISTENT_STATE for a COMPARE, the skip-back hint: `xTerm` is the term of the
 * follower's entry at preLogIndex (-1 when its log is shorter) and `xIndex` the first index of
 * that term in its log (its end + 1 when shorter), never at or below its committed index.
 */
export interface PushEntryResponse extends Base {
  kind: 'PushEntryResponse'
  type: PushType
  index: number
  ledgerEndIndex: number
  xTerm: number
  xIndex: number
}

export type PushMessage = PushEntryRequest | PushEntryResponse

export function pushResponseTo(req: PushEntryRequest, fields: Partial<Omit<PushEntryResponse, 'kind' | 'type'>>): PushEntryResponse {
  return {
    group: req.group,
    remoteId: req.remoteId,
    localId: req.localId,
    leaderId: req.leaderId,
    term: req.term,
    reqId: req.reqId,
    code: RESPONSE_CODES.SUCCESS,
    index: -1,
    ledgerEndIndex: -1,
    xTerm: -1,
    xIndex: -1,
    ...fields,
    kind: 'PushEntryResponse',
    type: req.type,
  }
}

/** What a client gets for one append: SUCCESS with the entries' index and term, or why not. */
export interface AppendAck {
  /** the caller's handle for this append */
  ticket: string
  code: number
  entries: {index: number; term: number}[]
  leaderId: string | null
}

/** The answer a driver hands the replicator when a push could not be delivered or timed out (as `networkErrorResponse`). */
export function networkErrorPushResponse(req: PushEntryRequest): PushEntryResponse {
  return pushResponseTo(req, {code: RESPONSE_CODES.NETWORK_ERROR})
}
