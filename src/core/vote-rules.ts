/**
 * The voter's rules as data in, verdict out: DLedgerServer's addressee checks and the ten checks
 * of DLedgerLeaderElector.handleVote, in DLedger's order, first match wins (reference §3.7).
 * Nothing here changes state; the elector applies the verdict's effect.
 */
import type {NodeId, VoteRequest, VoteResult} from './types.js'

/** What a voter's checks read: its term, vote, leader, log end and membership. */
export interface VoterState {
  readonly group: string
  readonly selfId: NodeId
  readonly peerIds: readonly NodeId[]
  readonly currTerm: number
  readonly currVoteFor: NodeId | null
  readonly leaderId: NodeId | null
  readonly ledgerEndIndex: number
  readonly ledgerEndTerm: number
  /** DLedger's isTakingLeadership(): a preferred member campaigning for its take-over term */
  readonly takingLeadership: boolean
}

/** What the voter does besides answering. */
export type VoteEffect =
  /** nothing: the request is rejected */
  | 'none'
  /** record the vote for the candidate (durable) */
  | 'grant'
  /** a higher term: become candidate for it and increase the term on the next pass (the two-step, reference §0) */
  | 'adopt-higher-term'

export interface VoteVerdict {
  voteResult: VoteResult
  /** the term the response carries */
  term: number
  effect: VoteEffect
}

/** DLedgerServer's checks before any handler: the request must be for this member and group. */
export function checkAddressee(state: Pick<VoterState, 'selfId' | 'group'>, req: {remoteId: NodeId; group: string}): 'UNKNOWN_MEMBER' | 'UNKNOWN_GROUP' | null {
  if (req.remoteId !== state.selfId) return 'UNKNOWN_MEMBER'
  if (req.group !== state.group) return 'UNKNOWN_GROUP'
  return null
}

/**
 * The ten vote checks of handleVote (reference §3.7). `self` is the candidate's own vote, which
 * skips REJECT_UNEXPECTED_LEADER and REJECT_TAKING_LEADERSHIP.
 */
export function checkVote(state: VoterState, req: VoteRequest, self: boolean): VoteVerdict {
  const reject = (voteResult: VoteResult, term = state.currTerm): VoteVerdict => ({voteResult, term, effect: 'none'})
  const candidate = req.leaderId
  if (candidate === null || !state.peerIds.includes(candidate)) return reject('REJECT_UNKNOWN_LEADER')
  if (!self && candidate === state.selfId) return reject('REJECT_UNEXPECTED_LEADER')
  if (req.ledgerEndTerm < state.ledgerEndTerm) return reject('REJECT_EXPIRED_LEDGER_TERM')
  if (req.ledgerEndTerm === state.ledgerEndTerm && req.ledgerEndIndex < state.ledgerEndIndex) return reject('REJECT_SMALL_LEDGER_END_INDEX')
  if (req.term < state.currTerm) return reject('REJECT_EXPIRED_VOTE_TERM')
  if (req.term > state.currTerm) return {voteResult: 'REJECT_TERM_NOT_READY', term: state.currTerm, effect: 'adopt-higher-term'}
  if (state.currVoteFor !== null && state.currVoteFor !== candidate)
    return reject(state.leaderId !== null ? 'REJECT_ALREADY_HAS_LEADER' : 'REJECT_ALREADY_VOTED')
  if (req.term < state.ledgerEndTerm) return reject('REJECT_TERM_SMALL_THAN_LEDGER', state.ledgerEndTerm)
  if (!self && state.takingLeadership && req.ledgerEndTerm === state.ledgerEndTerm && state.ledgerEndIndex >= req.ledgerEndIndex)
    return reject('REJECT_TAKING_LEADERSHIP')
  return {voteResult: 'ACCEPT', term: state.currTerm, effect: 'grant'}
}
