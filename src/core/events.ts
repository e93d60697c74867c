/**
 * The vote-log events (spec §3) the core emits. A driver adds the wall-clock `ts`; the core only
 * knows `atMs`, the injected monotonic time.
 */
import type {NodeId, ParseResult, ResponseCodeName, Role, VoteResult} from './types.js'

interface EventBase {
  /** injected monotonic time of the step that produced the event */
  atMs: number
  node: NodeId
  term: number
}

export type VoteLogEvent = EventBase &
  (
    | {type: 'INCREASE_TERM'; fromTerm: number; reason: string}
    | {type: 'VOTE_REQUEST'; ledgerEndIndex: number; ledgerEndTerm: number; peers: number}
    | {type: 'VOTE_RESPONSE'; from: NodeId; voteResult: VoteResult; responseTerm: number}
    | {type: 'VOTE_HANDLED'; candidate: NodeId; voteResult: VoteResult; requestTerm: number}
    | {
        type: 'PARSE_VOTE_RESULT'
        result: ParseResult
        acceptedNum: number
        notReadyTermNum: number
        biggerLedgerNum: number
        validNum: number
        allNum: number
        /** the members of the group, self included: the quorum is floor(peers / 2) + 1 */
        peers: number
        alreadyHasLeader: boolean
        knownMaxTermInGroup: number
        costMs: number
        nextVoteInMs: number
      }
    | {type: 'ROLE_CHANGE'; from: Role; to: Role; leaderId: NodeId | null; reason: string}
    | {type: 'HEARTBEAT_TIMEOUT'; leaderId: NodeId | null; lastHeartbeatAgoMs: number}
    | {type: 'HEARTBEAT_QUORUM_LOST'; succNum: number; notReadyNum: number; allNum: number; lastSuccessAgoMs: number; reason: string}
    | {
        type: 'LEADERSHIP_TRANSFER'
        phase: 'REQUESTED' | 'TAKE_LEADERSHIP_SENT' | 'TAKE_LEADERSHIP_RECEIVED' | 'COMPLETED' | 'FAILED' | 'PREFERRED_LEADER'
        transferee: NodeId
        code: ResponseCodeName
        detail?: string
      }
    /** the member's injected network faults changed (`dledger fault`); `faults` describes them, `none` after a heal */
    | {type: 'FAULTS'; faults: string; by: string}
  )

export type VoteLogEventType = VoteLogEvent['type']

export const VOTE_LOG_EVENT_TYPES: readonly VoteLogEventType[] = [
  'INCREASE_TERM',
  'VOTE_REQUEST',
  'VOTE_RESPONSE',
  'VOTE_HANDLED',
  'PARSE_VOTE_RESULT',
  'ROLE_CHANGE',
  'HEARTBEAT_TIMEOUT',
  'HEARTBEAT_QUORUM_LOST',
  'LEADERSHIP_TRANSFER',
  'FAULTS',
]

/** Omit applied to each member of a union (Omit on the union itself keeps only the shared keys). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** An event as the core's modules raise it: the elector adds atMs, node and (unless given) the current term. */
export type EventDraft = DistributiveOmit<VoteLogEvent, 'atMs' | 'node' | 'term'> & {term?: number}
