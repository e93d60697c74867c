/**
 * Heartbeats as data: the leader's round (DLedger's sendHeartbeats: counters, the latch, and the
 * four decisions at its end, reference §3.3) and the follower's checks of one heartbeat
 * (handleHeartBeat, reference §3.4). Nothing here changes state; the elector applies the result.
 */
import {quorumOf} from './settings.js'
import {type HeartBeatRequest, type NodeId, RESPONSE_CODES, type ResponseCodeName} from './types.js'
import {checkAddressee, type VoterState} from './vote-rules.js'

/** sendHeartbeats waits on its latch for at most `interval - LATCH_MARGIN_MS` … */
const HEARTBEAT_LATCH_MARGIN_MS = 10
/** … and then sleeps this long before it reads the counters. */
const HEARTBEAT_DECIDE_SLEEP_MS = 10

export interface HeartbeatRound {
  term: number
  startedAtMs: number
  rpcDeadlineMs: number
  /** after the latch (released, or `interval - LATCH_MARGIN_MS`) DLedger sleeps DECIDE_SLEEP_MS, then decides */
  decideAtMs: number
  allNum: number
  succNum: number
  notReadyNum: number
  maxTerm: number
  inconsistLeader: boolean
  pending: Map<string, NodeId>
  released: boolean
}

/** A round that counts the leader's own success; released at once when that alone is a quorum (one member). */
export function openRound(term: number, nowMs: number, heartbeatIntervalMs: number, rpcTimeoutMs: number): HeartbeatRound {
  return {
    term,
    startedAtMs: nowMs,
    rpcDeadlineMs: nowMs + rpcTimeoutMs,
    decideAtMs: nowMs + heartbeatIntervalMs - HEARTBEAT_LATCH_MARGIN_MS + HEARTBEAT_DECIDE_SLEEP_MS,
    allNum: 1,
    succNum: 1,
    notReadyNum: 0,
    maxTerm: -1,
    inconsistLeader: false,
    pending: new Map(),
    released: false,
  }
}

/** The round's heartbeats, one per peer. */
export function heartbeatRequests(from: {group: string; selfId: NodeId; peerIds: readonly NodeId[]}, term: number, newReqId: () => string): HeartBeatRequest[] {
  return from.peerIds
    .filter((peer) => peer !== from.selfId)
    .map((peer) => ({
      kind: 'HeartBeatRequest',
      group: from.group,
      localId: from.selfId,
      remoteId: peer,
      leaderId: from.selfId,
      term,
      code: RESPONSE_CODES.SUCCESS,
      reqId: newReqId(),
    }))
}

/** Releases the latch: the round is decided DECIDE_SLEEP_MS from now (or at its deadline, if sooner). */
function releaseRound(r: HeartbeatRound, nowMs: number): void {
  if (r.released) return
  r.released = true
  r.decideAtMs = Math.min(r.decideAtMs, nowMs + HEARTBEAT_DECIDE_SLEEP_MS)
}

/** Releases a round that is complete on its own (a single member's). */
export function releaseIfComplete(r: HeartbeatRound, peerSize: number, nowMs: number): void {
  if (r.succNum >= quorumOf(peerSize) || r.allNum === peerSize) releaseRound(r, nowMs)
}

/** Counts one reply (NETWORK_ERROR for a timeout) and releases the latch when an early exit holds. */
export function countHeartbeat(r: HeartbeatRound, code: number, term: number, peerSize: number, nowMs: number): void {
  switch (code) {
    case RESPONSE_CODES.SUCCESS:
      r.succNum++
      break
    case RESPONSE_CODES.EXPIRED_TERM:
      // spec S5: the largest term seen, not the last one
      r.maxTerm = Math.max(r.maxTerm, term)
      break
    case RESPONSE_CODES.INCONSISTENT_LEADER:
      r.inconsistLeader = true
      break
    case RESPONSE_CODES.TERM_NOT_READY:
      r.notReadyNum++
      break
    default:
      break
  }
  const quorum = quorumOf(peerSize)
  if (r.succNum >= quorum || r.succNum + r.notReadyNum >= quorum) releaseRound(r, nowMs)
  r.allNum++
  if (r.allNum === peerSize) releaseRound(r, nowMs)
}

/** The four decisions at the end of a round, in DLedger's order (reference §3.3 step 5). */
export type RoundDecision =
  | {kind: 'higher-term'; term: number}
  | {kind: 'quorum'}
  /** a quorum counting TERM_NOT_READY: heartbeat again at once */
  | {kind: 'resend-now'}
  | {kind: 'inconsistent-leader'}
  /** no quorum: step down only if the last successful round is older than the leak */
  | {kind: 'no-quorum'}

export function decideRound(r: HeartbeatRound, peerSize: number): RoundDecision {
  const quorum = quorumOf(peerSize)
  if (r.maxTerm > r.term) return {kind: 'higher-term', term: r.maxTerm}
  if (r.succNum >= quorum) return {kind: 'quorum'}
  if (r.succNum + r.notReadyNum >= quorum) return {kind: 'resend-now'}
  if (r.inconsistLeader) return {kind: 'inconsistent-leader'}
  return {kind: 'no-quorum'}
}

/** What a follower does with a heartbeat besides answering. */
export type HeartbeatEffect = 'none' | 'follow' | 'refresh' | 'adopt-higher-term'

export interface HeartbeatVerdict {
  code: ResponseCodeName
  /** the term the response carries; null keeps the request's (DLedgerServer's addressee errors) */
  term: number | null
  /** the response's leaderId; undefined keeps the request's */
  leaderId?: NodeId | null
  effect: HeartbeatEffect
}

/** DLedgerServer's checks and every response code of handleHeartBeat, in DLedger's order (reference §3.4). */
export function checkHeartBeat(state: Omit<VoterState, 'takingLeadership'>, req: {remoteId: NodeId; group: string; leaderId: NodeId | null; term: number}): HeartbeatVerdict {
  const misaddressed = checkAddressee(state, req)
  if (misaddressed !== null) return {code: misaddressed, term: null, leaderId: state.leaderId, effect: 'none'}
  const leaderId = req.leaderId
  if (leaderId === null || !state.peerIds.includes(leaderId)) return {code: 'UNKNOWN_MEMBER', term: state.currTerm, effect: 'none'}
  if (leaderId === state.selfId) return {code: 'UNEXPECTED_MEMBER', term: state.currTerm, effect: 'none'}
  if (req.term < state.currTerm) return {code: 'EXPIRED_TERM', term: state.currTerm, effect: 'none'}
  // a higher term: do not adopt it here; let the maintainer jump (the two-step, reference §0)
  if (req.term > state.currTerm) return {code: 'TERM_NOT_READY', term: -1, effect: 'adopt-higher-term'}
  if (state.leaderId === null) return {code: 'SUCCESS', term: -1, effect: 'follow'}
  if (leaderId === state.leaderId) return {code: 'SUCCESS', term: -1, effect: 'refresh'}
  return {code: 'INCONSISTENT_LEADER', term: -1, effect: 'none'}
}
