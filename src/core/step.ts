/**
 * What leaves the Elector: a step's output (persist, then send, then log), the member snapshot
 * `dledger status` shows, and a frozen view of the member state. Nothing mutable leaves the core.
 */
import type {EventDraft, VoteLogEvent} from './events.js'
import type {MemberState} from './member-state.js'
import type {Settings} from './settings.js'
import type {DurableState, Message, NodeId, Role} from './types.js'
import type {VoterState} from './vote-rules.js'

/** What one step asks the driver to do, in this order: persist, then send, then log. */
export interface StepOutput {
  /** the durable record, when it changed; write it (atomically, durably) before sending anything */
  persist: DurableState | null
  messages: Message[]
  events: VoteLogEvent[]
}

/** What the Elector lends the modules it owns (transfer, the leader's heartbeats): its state, clock and outputs. */
export interface ElectorHost {
  readonly state: MemberState
  readonly settings: Settings
  now(): number
  emit(event: EventDraft): void
  send(message: Message): void
  newReqId(): string
}

/** A uniform random number in [0, 1), injected (spec S2). */
export type Random = () => number

/** "Never happened": the time of an event that has not happened yet. */
export const NEVER = Number.NEGATIVE_INFINITY

/** What `dledger status` shows of one member. */
export interface MemberSnapshot {
  id: NodeId
  group: string
  role: Role
  term: number
  leaderId: NodeId | null
  votedFor: NodeId | null
  ledgerEndIndex: number
  ledgerEndTerm: number
  committedIndex: number
  knownMaxTermInGroup: number
  preferredLeaderIds: NodeId[]
  transferee: NodeId | null
  /** follower: since the last heartbeat from its leader; leader: since its last successful round */
  lastHeartbeatAgoMs: number | null
}

/** The member state in DLedger's names, frozen: what a test or a checker may read of a core. */
export interface ElectorView {
  readonly selfId: NodeId
  readonly group: string
  readonly role: Role
  readonly currTerm: number
  readonly currVoteFor: NodeId | null
  readonly leaderId: NodeId | null
  readonly knownMaxTermInGroup: number
  readonly ledgerEndIndex: number
  readonly ledgerEndTerm: number
  readonly transferee: NodeId | null
  readonly termToTakeLeadership: number
  readonly peerSize: number
  readonly peersLiveTable: ReadonlyMap<NodeId, boolean>
}

export function viewOf(s: MemberState): ElectorView {
  return Object.freeze({
    selfId: s.selfId,
    group: s.group,
    role: s.role,
    currTerm: s.currTerm,
    currVoteFor: s.currVoteFor,
    leaderId: s.leaderId,
    knownMaxTermInGroup: s.knownMaxTermInGroup,
    ledgerEndIndex: s.ledgerEndIndex,
    ledgerEndTerm: s.ledgerEndTerm,
    transferee: s.transferee,
    termToTakeLeadership: s.termToTakeLeadership,
    peerSize: s.peerSize,
    peersLiveTable: new Map(s.peersLiveTable),
  })
}

export function sameDurable(a: DurableState, b: DurableState): boolean {
  return a.currTerm === b.currTerm && a.currVoteFor === b.currVoteFor
}

export function snapshotOf(s: MemberState, preferredLeaderIds: readonly NodeId[], lastHeartbeatAgoMs: number | null): MemberSnapshot {
  return {
    id: s.selfId,
    group: s.group,
    role: s.role,
    term: s.currTerm,
    leaderId: s.leaderId,
    votedFor: s.currVoteFor,
    ledgerEndIndex: s.ledgerEndIndex,
    ledgerEndTerm: s.ledgerEndTerm,
    committedIndex: s.committedIndex,
    knownMaxTermInGroup: s.knownMaxTermInGroup,
    preferredLeaderIds: [...preferredLeaderIds],
    transferee: s.transferee,
    lastHeartbeatAgoMs,
  }
}

/** What the vote and heartbeat checks read of the member state (all but takingLeadership). */
export function voterStateOf(s: MemberState): Omit<VoterState, 'takingLeadership'> {
  const {group, selfId, peerIds, currTerm, currVoteFor, leaderId, ledgerEndIndex, ledgerEndTerm} = s
  return {group, selfId, peerIds, currTerm, currVoteFor, leaderId, ledgerEndIndex, ledgerEndTerm}
}
