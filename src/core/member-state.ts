/**
 * MemberState: term, vote, role, leader, ledger end and knownMaxTermInGroup, with DLedger's role
 * transitions and their preconditions (reference §2). Private to src/core: it changes nothing on
 * its own, the elector calls it, and only a readonly snapshot of it leaves the core. The elector
 * finds out whether the durable record changed by comparing `durable()` before and after a step.
 */
import {MAX_TERM} from './limits.js'
import type {Peer} from './settings.js'
import {quorumOf} from './settings.js'
import type {DurableState, NodeId, Role} from './types.js'

/** DLedger's DLedgerException(ILLEGAL_MEMBER_STATE): a transition whose precondition failed. */
export class IllegalMemberStateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'IllegalMemberStateError'
  }
}

export class MemberState {
  readonly group: string
  readonly selfId: NodeId
  readonly peerIds: readonly NodeId[]
  private readonly peerSet: ReadonlySet<NodeId>

  role: Role = 'CANDIDATE'
  leaderId: NodeId | null = null
  private _currTerm: number
  private _currVoteFor: NodeId | null
  ledgerEndIndex = -1
  ledgerEndTerm = -1
  knownMaxTermInGroup = -1
  committedIndex = -1
  /** non-null only on a leader that is transferring leadership; blocks writes */
  transferee: NodeId | null = null
  /** set on a transferee to request.term + 1; -1 when no take-leadership is pending */
  termToTakeLeadership = -1
  /** written only by the leader from heartbeat replies; read by checkPreferredLeader */
  readonly peersLiveTable = new Map<NodeId, boolean>()

  constructor(group: string, selfId: NodeId, peers: readonly Peer[], durable: DurableState) {
    this.group = group
    this.selfId = selfId
    this.peerIds = peers.map((p) => p.id)
    this.peerSet = new Set(this.peerIds)
    this._currTerm = durable.currTerm
    this._currVoteFor = durable.currVoteFor
  }

  get currTerm(): number {
    return this._currTerm
  }

  get currVoteFor(): NodeId | null {
    return this._currVoteFor
  }

  get peerSize(): number {
    return this.peerIds.length
  }

  durable(): DurableState {
    return {currTerm: this._currTerm, currVoteFor: this._currVoteFor}
  }

  isPeerMember(id: NodeId | null | undefined): boolean {
    return id !== null && id !== undefined && this.peerSet.has(id)
  }

  isQuorum(n: number): boolean {
    return n >= quorumOf(this.peerSize)
  }

  changeToLeader(term: number): void {
    if (this._currTerm !== term) throw new IllegalMemberStateError(`changeToLeader(${term}) at term ${this._currTerm}`)
    this.role = 'LEADER'
    this.leaderId = this.selfId
    this.peersLiveTable.clear()
  }

  changeToFollower(term: number, leaderId: NodeId): void {
    if (this._currTerm !== term) throw new IllegalMemberStateError(`changeToFollower(${term}) at term ${this._currTerm}`)
    this.role = 'FOLLOWER'
    this.leaderId = leaderId
    this.transferee = null
  }

  /** Raises knownMaxTermInGroup; does NOT change currTerm or currVoteFor (reference §2.4). */
  changeToCandidate(term: number): void {
    if (term < this._currTerm) throw new IllegalMemberStateError(`changeToCandidate(${term}) at term ${this._currTerm}`)
    // the runtime refuses such terms at every boundary; this is the last line (issue 7)
    if (term > MAX_TERM) throw new IllegalMemberStateError(`changeToCandidate(${term}): above the largest term ${MAX_TERM}`)
    this.knownMaxTermInGroup = Math.max(this.knownMaxTermInGroup, term)
    this.role = 'CANDIDATE'
    this.leaderId = null
    this.transferee = null
  }

  /** Jumps to knownMaxTermInGroup if larger, else +1; clears the vote; persists. */
  nextTerm(): number {
    if (this.role !== 'CANDIDATE') throw new IllegalMemberStateError(`nextTerm() as ${this.role}`)
    if (this._currTerm >= MAX_TERM && this.knownMaxTermInGroup <= this._currTerm) throw new IllegalMemberStateError(`nextTerm() at the largest term ${MAX_TERM}`)
    this._currTerm = this.knownMaxTermInGroup > this._currTerm ? this.knownMaxTermInGroup : this._currTerm + 1
    this._currVoteFor = null
    return this._currTerm
  }

  setCurrVoteFor(id: NodeId | null): void {
    this._currVoteFor = id
  }

  /** Like DLedger, only a leader may set (or clear) its transferee. */
  setTransferee(id: NodeId | null): void {
    if (this.role !== 'LEADER') throw new IllegalMemberStateError(`setTransferee as ${this.role}`)
    this.transferee = id
  }
}
