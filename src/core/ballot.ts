/**
 * A candidate's ballot as data: the counters DLedger's voteForQuorumResponses fills, the latch
 * that releases it early, and its judgement, one of the seven outcomes in DLedger's order with
 * the wait before the next ballot (reference §3.6).
 */
import {quorumOf} from './settings.js'
import {type NodeId, type ParseResult, RESPONSE_CODES, type VoteRequest, type VoteResult} from './types.js'

export interface Ballot {
  term: number
  startedAtMs: number
  /** the latch wait: voteTimeoutMs + random[0, maxVoteIntervalMs) */
  waitUntilMs: number
  rpcDeadlineMs: number
  ledgerEndIndex: number
  ledgerEndTerm: number
  /** the ballot-local knownMaxTermInGroup (distinct from MemberState's) */
  knownMaxTermInGroup: number
  allNum: number
  validNum: number
  acceptedNum: number
  notReadyTermNum: number
  biggerLedgerNum: number
  alreadyHasLeader: boolean
  /** reqId → voter, for requests still unanswered */
  pending: Map<string, NodeId>
  released: boolean
}

export function openBallot(p: Pick<Ballot, 'term' | 'startedAtMs' | 'waitUntilMs' | 'rpcDeadlineMs' | 'ledgerEndIndex' | 'ledgerEndTerm'>): Ballot {
  return {
    ...p,
    knownMaxTermInGroup: p.term,
    allNum: 0,
    validNum: 0,
    acceptedNum: 0,
    notReadyTermNum: 0,
    biggerLedgerNum: 0,
    alreadyHasLeader: false,
    pending: new Map(),
    released: false,
  }
}

/** Counts one answer (a NETWORK_ERROR or a timeout counts as UNKNOWN) and releases the latch when an early exit holds. */
export function countVote(b: Ballot, voteResult: VoteResult, term: number, peerSize: number): void {
  if (voteResult !== 'UNKNOWN') b.validNum++
  switch (voteResult) {
    case 'ACCEPT':
      b.acceptedNum++
      break
    case 'REJECT_ALREADY_HAS_LEADER':
      b.alreadyHasLeader = true
      break
    case 'REJECT_TERM_SMALL_THAN_LEDGER':
    case 'REJECT_EXPIRED_VOTE_TERM':
      b.knownMaxTermInGroup = Math.max(b.knownMaxTermInGroup, term)
      break
    case 'REJECT_EXPIRED_LEDGER_TERM':
    case 'REJECT_SMALL_LEDGER_END_INDEX':
      b.biggerLedgerNum++
      break
    case 'REJECT_TERM_NOT_READY':
      b.notReadyTermNum++
      break
    default:
      break
  }
  const quorum = quorumOf(peerSize)
  if (b.alreadyHasLeader || b.acceptedNum >= quorum || b.acceptedNum + b.notReadyTermNum >= quorum) b.released = true
  b.allNum++
  if (b.allNum === peerSize) b.released = true
}

/** The seven outcomes of parsing a ballot, numbered as in reference §3.6. */
export type BallotOutcome = 1 | 2 | 3 | 4 | 5 | 6 | 7

export interface BallotJudgement {
  outcome: BallotOutcome
  result: ParseResult
  /**
   * The next ballot's wait on top of getNextTimeToRequestVote()'s random interval, or null when
   * the next time is left as it is (PASSED, REVOTE_IMMEDIATELY).
   */
  extraWaitMs: number | null
}

/** What the latch waits pad the next ballot with: DLedger's heartbeat leak and the longest vote interval. */
export interface BallotWaits {
  /** maxHeartBeatLeak × heartBeatTimeIntervalMs */
  heartbeatLeakMs: number
  maxVoteIntervalMs: number
}

/** The seven outcomes, first match wins (reference §3.6). */
export function judgeBallot(b: Ballot, peerSize: number, waits: BallotWaits): BallotJudgement {
  const quorum = quorumOf(peerSize)
  if (b.knownMaxTermInGroup > b.term) return {outcome: 1, result: 'WAIT_TO_VOTE_NEXT', extraWaitMs: 0}
  if (b.alreadyHasLeader) return {outcome: 2, result: 'WAIT_TO_REVOTE', extraWaitMs: waits.heartbeatLeakMs}
  if (b.validNum < quorum) return {outcome: 3, result: 'WAIT_TO_REVOTE', extraWaitMs: 0}
  if (b.validNum - b.biggerLedgerNum < quorum) return {outcome: 4, result: 'WAIT_TO_REVOTE', extraWaitMs: waits.maxVoteIntervalMs}
  if (b.acceptedNum >= quorum) return {outcome: 5, result: 'PASSED', extraWaitMs: null}
  if (b.acceptedNum + b.notReadyTermNum >= quorum) return {outcome: 6, result: 'REVOTE_IMMEDIATELY', extraWaitMs: null}
  return {outcome: 7, result: 'WAIT_TO_VOTE_NEXT', extraWaitMs: 0}
}

/** The ballot's requests, one per member (self included: its vote is answered first, synchronously). */
export function ballotRequests(
  from: {group: string; selfId: NodeId; peerIds: readonly NodeId[]},
  b: Pick<Ballot, 'term' | 'ledgerEndIndex' | 'ledgerEndTerm'>,
  newReqId: () => string,
): VoteRequest[] {
  return from.peerIds.map((peer) => ({
    kind: 'VoteRequest',
    group: from.group,
    localId: from.selfId,
    remoteId: peer,
    leaderId: from.selfId,
    term: b.term,
    code: RESPONSE_CODES.SUCCESS,
    ledgerEndIndex: b.ledgerEndIndex,
    ledgerEndTerm: b.ledgerEndTerm,
    reqId: newReqId(),
  }))
}
