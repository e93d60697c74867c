/**
 * The elector: DLedger's DLedgerLeaderElector (the maintainer, handleVote, handleHeartBeat,
 * leadership transfer, take-leadership, checkPreferredLeader) as a pure state machine.
 *
 * Inputs: `tick(nowMs)`, `receive(message, nowMs)` and the commands (`revote`, `stepDown`,
 * `setPreferredLeaders`, `setLedgerEnd`, `setPeerWaterMark`). Each returns a StepOutput: the durable
 * record to write first (spec S1), then the messages to send and the vote-log events. Time and
 * randomness come only from the caller (spec S2). DLedger's blocking waits (a ballot, a heartbeat
 * round) are explicit round state here: responses update the counters and the round is parsed
 * when an early exit holds or a tick reaches its deadline.
 */
import type {VoteLogEvent} from './events.js'
import {MemberState} from './member-state.js'
import type {Settings} from './settings.js'
import {
  assertNever,
  codeName,
  type DurableState,
  type HeartBeatRequest,
  type HeartBeatResponse,
  type LeadershipTransferRequest,
  type LeadershipTransferResponse,
  type Message,
  type NodeId,
  type ParseResult,
  RESPONSE_CODES,
  type ResponseCodeName,
  responseTo,
  type Role,
  type VoteRequest,
  type VoteResponse,
} from './types.js'

/** What one step asks the driver to do, in this order: persist, then send, then log. */
export interface StepOutput {
  /** the durable record, when it changed; write it (atomically, durably) before sending anything */
  persist: DurableState | null
  messages: Message[]
  events: VoteLogEvent[]
}

/** A uniform random number in [0, 1), injected (spec S2). */
export type Random = () => number

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

const NEVER = Number.NEGATIVE_INFINITY

interface Ballot {
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

interface HeartbeatRound {
  term: number
  startedAtMs: number
  rpcDeadlineMs: number
  /** after the latch (released or `interval - 10`) DLedger sleeps 10 ms, then decides */
  decideAtMs: number
  allNum: number
  succNum: number
  notReadyNum: number
  maxTerm: number
  inconsistLeader: boolean
  pending: Map<string, NodeId>
  released: boolean
}

/** A transfer this node (as leader) started: answered when the transferee replies or the deadline passes (spec S6). */
interface OutgoingTransfer {
  transfereeId: NodeId
  term: number
  deadlineMs: number
  takeLeadershipReqId: string
  /** the client's request to answer; null when checkPreferredLeader started it */
  client: LeadershipTransferRequest | null
}

export class Elector {
  readonly settings: Settings
  readonly state: MemberState
  private readonly random: Random
  private readonly incarnation: string
  private reqCounter = 0

  private lastLeaderHeartBeatTimeMs = NEVER
  private lastSendHeartBeatTimeMs = NEVER
  private lastSuccHeartBeatTimeMs = NEVER
  private nextTimeToRequestVoteMs = NEVER
  private needIncreaseTermImmediately = false
  private lastParseResult: ParseResult = 'WAIT_TO_REVOTE'
  /** DLedger's maintainer sleeps tickMs after every pass */
  private maintainerReadyAtMs = NEVER
  private nextPreferredCheckAtMs: number

  private ballot: Ballot | null = null
  private heartbeatRound: HeartbeatRound | null = null
  private outgoingTransfer: OutgoingTransfer | null = null
  /** the transferee's pending take-leadership request (TakeLeadershipTask) */
  private takeLeadershipTask: LeadershipTransferRequest | null = null
  /** a take-leadership request waiting for this node's log to catch up */
  private catchUp: {request: LeadershipTransferRequest; deadlineMs: number} | null = null
  private readonly peerWaterMarks = new Map<NodeId, number>()
  /**
   * Heartbeats awaiting their reply or RPC timeout, also after their round was decided: DLedger
   * writes peersLiveTable from every completion, whenever it comes (reference §3.3 step 3).
   */
  private readonly heartbeatsInFlight = new Map<string, {peer: NodeId; deadlineMs: number}>()

  private out: StepOutput = emptyOutput()
  private now = 0

  constructor(settings: Settings, durable: DurableState, random: Random, nowMs: number) {
    this.settings = {...settings, preferredLeaderIds: [...settings.preferredLeaderIds]}
    this.state = new MemberState(settings.group, settings.selfId, settings.peers, durable)
    this.random = random
    this.incarnation = Math.floor(random() * 0x100000000).toString(36)
    this.now = nowMs
    this.nextPreferredCheckAtMs = nowMs + settings.checkPreferredLeaderIntervalMs
  }

  // ---------------------------------------------------------------- inputs

  /** Runs whatever is due at `nowMs`: the maintainer, round deadlines, transfer and preferred-leader checks. */
  tick(nowMs: number): StepOutput {
    return this.step(nowMs, () => this.runDue())
  }

  /** Handles one message from a peer or a client, then runs whatever became due. */
  receive(message: Message, nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      this.dispatch(message)
      this.runDue()
    })
  }

  /** DLedger's testRevote(term): become candidate and campaign for `term` at once (`dledger elect --node`). */
  revote(term: number, nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      // a forced election does not wait for an open ballot or heartbeat round to end
      this.ballot = null
      this.heartbeatRound = null
      this.maintainerReadyAtMs = NEVER
      this.changeRoleToCandidate(term, `forced election for term ${term}`)
      this.lastParseResult = 'WAIT_TO_VOTE_NEXT'
      this.nextTimeToRequestVoteMs = NEVER
      this.runDue()
    })
  }

  /**
   * A leader steps down in its term and holds back its own ballot long enough for another member
   * to win the next election (`dledger elect` without --node). No-op on a non-leader.
   */
  stepDown(nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      if (this.state.role !== 'LEADER') return
      this.changeRoleToCandidate(this.state.currTerm, 'step down requested')
      this.lastParseResult = 'WAIT_TO_VOTE_NEXT'
      // hold back past the followers' timeout, their failed same-term ballot and their next one,
      // so that one of them, not this member, wins the next term (unless a ballot wakes it first)
      const s = this.settings
      this.nextTimeToRequestVoteMs = this.now + this.followerTimeoutMs() + s.voteTimeoutMs + 2 * s.maxVoteIntervalMs
      this.runDue()
    })
  }

  /**
   * Starts a leadership transfer from this leader to `transfereeId` without a client waiting
   * (the graceful hand-off of a clean stop). The outcome arrives as a LEADERSHIP_TRANSFER event.
   */
  transferLeadership(transfereeId: NodeId, nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      const s = this.state
      if (s.role !== 'LEADER' || !s.isPeerMember(transfereeId) || transfereeId === s.selfId) return
      this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'REQUESTED', transferee: transfereeId, code: 'SUCCESS', detail: 'hand-off'})
      this.startTransfer(transfereeId, s.currTerm, null)
      this.runDue()
    })
  }

  /** The live follower with the smallest lag (ties: peers order), or null: the hand-off target. */
  mostCaughtUpFollower(): NodeId | null {
    const s = this.state
    if (s.role !== 'LEADER') return null
    let best: NodeId | null = null
    let bestLag = Number.POSITIVE_INFINITY
    for (const id of s.peerIds) {
      if (id === s.selfId || s.peersLiveTable.get(id) !== true) continue
      const lag = this.peerLag(id)
      if (lag < bestLag) {
        best = id
        bestLag = lag
      }
    }
    return best
  }

  /** Whether a transfer this node started is still waiting for its outcome. */
  get transferInProgress(): boolean {
    return this.outgoingTransfer !== null
  }

  /** Replaces the preferred leaders at run time (`transfer-leader --preferred`). */
  setPreferredLeaders(ids: readonly NodeId[], nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      this.settings.preferredLeaderIds = [...ids]
      this.runDue()
    })
  }

  /** The ledger end is an input: the (future) replicated log sets it on every change (spec S8). */
  setLedgerEnd(ledgerEndIndex: number, ledgerEndTerm: number, nowMs: number): StepOutput {
    return this.step(nowMs, () => {
      this.state.ledgerEndIndex = ledgerEndIndex
      this.state.ledgerEndTerm = ledgerEndTerm
      this.runDue()
    })
  }

  /** The replication watermark of a peer, used by the transfer lag checks. */
  setPeerWaterMark(peer: NodeId, index: number): void {
    this.peerWaterMarks.set(peer, index)
  }

  /** The earliest time at which `tick` has something to do. A driver may sleep until then. */
  nextDeadlineMs(): number {
    const ready = this.maintainerReadyAtMs
    let next = Number.POSITIVE_INFINITY
    const at = (t: number) => {
      next = Math.min(next, t)
    }
    // while a ballot or a heartbeat round is open the maintainer thread is blocked in it, whatever
    // the role has become meanwhile (reference §3.2): only the round's own deadlines count
    const blocked = this.ballot !== null || this.heartbeatRound !== null
    switch (this.state.role) {
      case 'CANDIDATE':
        if (blocked) break
        at(this.needIncreaseTermImmediately ? ready : Math.max(ready, this.nextTimeToRequestVoteMs))
        break
      case 'FOLLOWER':
        if (blocked) break
        at(Math.max(ready, this.lastLeaderHeartBeatTimeMs + this.followerTimeoutMs() + 1))
        break
      case 'LEADER':
        if (blocked) break
        at(Math.max(ready, this.lastSendHeartBeatTimeMs + this.settings.heartbeatIntervalMs + 1))
        break
      default:
        assertNever(this.state.role)
    }
    if (this.ballot !== null) at(this.ballot.pending.size > 0 ? Math.min(this.ballot.waitUntilMs, this.ballot.rpcDeadlineMs) : this.ballot.waitUntilMs)
    if (this.heartbeatRound !== null) {
      const r = this.heartbeatRound
      at(r.pending.size > 0 ? Math.min(r.decideAtMs, r.rpcDeadlineMs) : r.decideAtMs)
    }
    if (this.outgoingTransfer !== null) at(this.outgoingTransfer.deadlineMs)
    if (this.catchUp !== null) at(this.catchUp.deadlineMs)
    // checkPreferredLeader only acts on a leader that is not itself preferred (reference §3.9.1)
    const preferred = this.settings.preferredLeaderIds
    if (this.state.role === 'LEADER' && preferred.length > 0 && !preferred.includes(this.state.selfId)) at(this.nextPreferredCheckAtMs)
    return next
  }

  snapshot(nowMs: number): MemberSnapshot {
    const s = this.state
    let lastHeartbeatAgoMs: number | null = null
    if (s.role === 'FOLLOWER' && this.lastLeaderHeartBeatTimeMs !== NEVER) lastHeartbeatAgoMs = nowMs - this.lastLeaderHeartBeatTimeMs
    if (s.role === 'LEADER' && this.lastSuccHeartBeatTimeMs !== NEVER) lastHeartbeatAgoMs = nowMs - this.lastSuccHeartBeatTimeMs
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
      preferredLeaderIds: [...this.settings.preferredLeaderIds],
      transferee: s.transferee,
      lastHeartbeatAgoMs,
    }
  }

  // ---------------------------------------------------------------- plumbing

  private step(nowMs: number, body: () => void): StepOutput {
    // a monotonic clock never goes back; guard against a driver that does
    this.now = Math.max(this.now, nowMs)
    this.out = emptyOutput()
    body()
    const out = this.out
    if (this.state.durableDirty) {
      out.persist = this.state.durable()
      this.state.durableDirty = false
    }
    this.out = emptyOutput()
    return out
  }

  private send(message: Message): void {
    this.out.messages.push(message)
  }

  private emit(event: DistributiveOmit<VoteLogEvent, 'atMs' | 'node' | 'term'> & {term?: number}): void {
    this.out.events.push({atMs: this.now, node: this.state.selfId, term: this.state.currTerm, ...event} as VoteLogEvent)
  }

  private newReqId(): string {
    this.reqCounter += 1
    return `${this.state.selfId}.${this.incarnation}.${this.reqCounter}`
  }

  private followerTimeoutMs(): number {
    return this.settings.maxHeartbeatLeak * this.settings.heartbeatIntervalMs
  }

  private randomInt(bound: number): number {
    return Math.floor(this.random() * bound)
  }

  /** Runs everything due at `now`, including a maintainer pass; loops while a pass makes more due (bounded). */
  private runDue(): void {
    for (let i = 0; i < 8; i++) {
      if (this.outgoingTransfer !== null && this.now >= this.outgoingTransfer.deadlineMs) this.transferTimedOut()
      if (this.catchUp !== null) this.checkCatchUp()
      this.expireHeartbeats()
      if (this.now >= this.nextPreferredCheckAtMs) {
        this.nextPreferredCheckAtMs += this.settings.checkPreferredLeaderIntervalMs * Math.max(1, Math.ceil((this.now - this.nextPreferredCheckAtMs + 1) / this.settings.checkPreferredLeaderIntervalMs))
        this.checkPreferredLeader()
      }
      this.checkRoundDeadlines()
      if (this.nextDeadlineMs() > this.now) return
      this.maintainState()
    }
  }

  /** A heartbeat without a reply by its RPC timeout completes with NETWORK_ERROR: the peer is not live. */
  private expireHeartbeats(): void {
    for (const [reqId, h] of this.heartbeatsInFlight) {
      if (this.now < h.deadlineMs) continue
      this.heartbeatsInFlight.delete(reqId)
      this.state.peersLiveTable.set(h.peer, false)
    }
  }

  private checkRoundDeadlines(): void {
    const b = this.ballot
    if (b !== null) {
      if (b.pending.size > 0 && this.now >= b.rpcDeadlineMs) {
        for (const [reqId, voter] of [...b.pending]) this.countVote(b, reqId, voter, 'UNKNOWN', -1)
      }
      if (this.ballot === b && (b.released || this.now >= b.waitUntilMs)) this.parseBallot(b)
    }
    const r = this.heartbeatRound
    if (r !== null) {
      if (r.pending.size > 0 && this.now >= r.rpcDeadlineMs) {
        for (const [reqId, peer] of [...r.pending]) this.countHeartbeat(r, reqId, peer, RESPONSE_CODES.NETWORK_ERROR, -1)
      }
      if (this.now >= r.decideAtMs) this.decideHeartbeatRound(r)
    }
  }

  /** One StateMaintainer pass, then the tickMs sleep (reference §3.2). */
  private maintainState(): void {
    if (this.ballot !== null || this.heartbeatRound !== null) return
    this.maintainerReadyAtMs = this.now + this.settings.tickMs
    switch (this.state.role) {
      case 'LEADER':
        this.maintainAsLeader()
        break
      case 'FOLLOWER':
        this.maintainAsFollower()
        break
      case 'CANDIDATE':
        this.maintainAsCandidate()
        break
      default:
        assertNever(this.state.role)
    }
  }

  private dispatch(message: Message): void {
    switch (message.kind) {
      case 'VoteRequest':
        this.send(this.handleVote(message, false))
        return
      case 'HeartBeatRequest':
        this.send(this.handleHeartBeat(message))
        return
      case 'LeadershipTransferRequest': {
        const reply = this.handleLeadershipTransferRpc(message)
        if (reply !== null) this.send(reply)
        return
      }
      case 'VoteResponse': {
        const b = this.ballot
        const voter = b?.pending.get(message.reqId)
        if (b && voter !== undefined) this.countVote(b, message.reqId, voter, message.voteResult, message.term)
        return
      }
      case 'HeartBeatResponse': {
        const inFlight = this.heartbeatsInFlight.get(message.reqId)
        if (inFlight !== undefined) {
          this.heartbeatsInFlight.delete(message.reqId)
          this.state.peersLiveTable.set(inFlight.peer, this.now < inFlight.deadlineMs && message.code !== RESPONSE_CODES.NETWORK_ERROR)
        }
        const r = this.heartbeatRound
        const peer = r?.pending.get(message.reqId)
        if (r && peer !== undefined) this.countHeartbeat(r, message.reqId, peer, message.code, message.term)
        return
      }
      case 'LeadershipTransferResponse':
        this.onTakeLeadershipResponse(message)
        return
      default:
        assertNever(message)
    }
  }

  // ---------------------------------------------------------------- role changes (reference §3.8)

  private changeRoleToLeader(term: number, reason: string): void {
    if (this.state.currTerm !== term) return
    const from = this.state.role
    this.state.changeToLeader(term)
    this.lastSendHeartBeatTimeMs = NEVER
    // spec S4: a new leader's first round must not see a stale success time
    this.lastSuccHeartBeatTimeMs = this.now
    this.handleRoleChange(term, 'LEADER', from, reason)
  }

  private changeRoleToCandidate(term: number, reason: string): void {
    if (term < this.state.currTerm) return
    const from = this.state.role
    this.state.changeToCandidate(term)
    this.handleRoleChange(term, 'CANDIDATE', from, reason)
  }

  private changeRoleToFollower(term: number, leaderId: NodeId, reason: string): void {
    const from = this.state.role
    this.lastParseResult = 'WAIT_TO_REVOTE'
    this.state.changeToFollower(term, leaderId)
    this.lastLeaderHeartBeatTimeMs = this.now
    this.handleRoleChange(term, 'FOLLOWER', from, reason)
  }

  /** Why a higher term demotes this node; a leader names the transfer it completes (spec §3: `transfer to n1`). */
  private higherTermReason(term: number, from: NodeId, via: string): string {
    const why = `higher term ${term} from ${from} (${via})`
    return this.state.role === 'LEADER' && this.state.transferee === from ? `transfer to ${from}: ${why}` : why
  }

  private handleRoleChange(term: number, role: Role, from: Role, reason: string): void {
    this.checkTakeLeadershipTask(term, role)
    if (from !== role) this.emit({type: 'ROLE_CHANGE', from, to: role, leaderId: this.state.leaderId, reason})
  }

  // ---------------------------------------------------------------- leader (reference §3.3)

  private maintainAsLeader(): void {
    if (this.heartbeatRound !== null) return
    if (this.lastSendHeartBeatTimeMs !== NEVER && this.now - this.lastSendHeartBeatTimeMs <= this.settings.heartbeatIntervalMs) return
    if (this.state.role !== 'LEADER') return
    const term = this.state.currTerm
    const leaderId = this.state.selfId
    this.lastSendHeartBeatTimeMs = this.now
    const round: HeartbeatRound = {
      term,
      startedAtMs: this.now,
      rpcDeadlineMs: this.now + this.settings.rpcTimeoutMs,
      decideAtMs: this.now + this.settings.heartbeatIntervalMs - 10 + 10,
      allNum: 1,
      succNum: 1,
      notReadyNum: 0,
      maxTerm: -1,
      inconsistLeader: false,
      pending: new Map(),
      released: false,
    }
    this.heartbeatRound = round
    for (const peer of this.state.peerIds) {
      if (peer === this.state.selfId) continue
      const req: HeartBeatRequest = {
        kind: 'HeartBeatRequest',
        group: this.state.group,
        localId: this.state.selfId,
        remoteId: peer,
        leaderId,
        term,
        code: RESPONSE_CODES.SUCCESS,
        reqId: this.newReqId(),
      }
      round.pending.set(req.reqId, peer)
      this.heartbeatsInFlight.set(req.reqId, {peer, deadlineMs: round.rpcDeadlineMs})
      this.send(req)
    }
    if (this.state.isQuorum(round.succNum) || round.allNum === this.state.peerSize) this.releaseHeartbeatRound(round)
  }

  private countHeartbeat(r: HeartbeatRound, reqId: string, peer: NodeId, code: number, term: number): void {
    r.pending.delete(reqId)
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
    // DLedger writes the live table from every reply, on whatever role this node has now
    this.state.peersLiveTable.set(peer, code !== RESPONSE_CODES.NETWORK_ERROR)
    if (this.state.isQuorum(r.succNum) || this.state.isQuorum(r.succNum + r.notReadyNum)) this.releaseHeartbeatRound(r)
    r.allNum++
    if (r.allNum === this.state.peerSize) this.releaseHeartbeatRound(r)
  }

  private releaseHeartbeatRound(r: HeartbeatRound): void {
    if (r.released) return
    r.released = true
    r.decideAtMs = Math.min(r.decideAtMs, this.now + 10)
  }

  /** The four decisions at the end of a heartbeat round, in DLedger's order (reference §3.3 step 5). */
  private decideHeartbeatRound(r: HeartbeatRound): void {
    this.heartbeatRound = null
    // the blocked maintainer returns from sendHeartbeats now and sleeps tickMs before its next pass (reference §3.2)
    this.maintainerReadyAtMs = this.now + this.settings.tickMs
    const {term} = r
    if (r.maxTerm > term) {
      const why = `higher term ${r.maxTerm} in a heartbeat response`
      const transferee = this.state.role === 'LEADER' ? this.state.transferee : null
      this.changeRoleToCandidate(r.maxTerm, transferee !== null ? `transfer to ${transferee}: ${why}` : why)
      return
    }
    if (this.state.isQuorum(r.succNum)) {
      this.lastSuccHeartBeatTimeMs = this.now
      return
    }
    if (this.state.isQuorum(r.succNum + r.notReadyNum)) {
      this.lastSendHeartBeatTimeMs = NEVER
      return
    }
    if (r.inconsistLeader) {
      this.emit({type: 'HEARTBEAT_QUORUM_LOST', succNum: r.succNum, notReadyNum: r.notReadyNum, allNum: r.allNum, lastSuccessAgoMs: this.now - this.lastSuccHeartBeatTimeMs, reason: 'inconsistent leader'})
      this.changeRoleToCandidate(term, 'another leader in the same term (INCONSISTENT_LEADER)')
      return
    }
    const sinceSuccess = this.now - this.lastSuccHeartBeatTimeMs
    if (sinceSuccess > this.followerTimeoutMs()) {
      this.emit({type: 'HEARTBEAT_QUORUM_LOST', succNum: r.succNum, notReadyNum: r.notReadyNum, allNum: r.allNum, lastSuccessAgoMs: sinceSuccess, reason: 'no quorum of heartbeat acks'})
      this.changeRoleToCandidate(term, `lost the heartbeat quorum ${sinceSuccess} ms ago (${r.succNum}/${this.state.peerSize} acks)`)
    }
  }

  // ---------------------------------------------------------------- follower (reference §3.4, §3.5)

  private maintainAsFollower(): void {
    const ago = this.now - this.lastLeaderHeartBeatTimeMs
    if (this.state.role === 'FOLLOWER' && ago > this.followerTimeoutMs()) {
      this.emit({type: 'HEARTBEAT_TIMEOUT', leaderId: this.state.leaderId, lastHeartbeatAgoMs: ago})
      this.changeRoleToCandidate(this.state.currTerm, `heartbeat timeout after ${ago} ms`)
    }
  }

  handleHeartBeat(req: HeartBeatRequest): HeartBeatResponse {
    const s = this.state
    if (req.remoteId !== s.selfId) return responseTo(req, {code: RESPONSE_CODES.UNKNOWN_MEMBER, leaderId: s.leaderId})
    if (req.group !== s.group) return responseTo(req, {code: RESPONSE_CODES.UNKNOWN_GROUP, leaderId: s.leaderId})
    if (!s.isPeerMember(req.leaderId)) return responseTo(req, {code: RESPONSE_CODES.UNKNOWN_MEMBER, term: s.currTerm})
    if (req.leaderId === s.selfId) return responseTo(req, {code: RESPONSE_CODES.UNEXPECTED_MEMBER, term: s.currTerm})
    const leaderId = req.leaderId as NodeId
    if (req.term < s.currTerm) return responseTo(req, {code: RESPONSE_CODES.EXPIRED_TERM, term: s.currTerm})
    if (req.term === s.currTerm) {
      if (s.leaderId === null) {
        this.changeRoleToFollower(req.term, leaderId, `heartbeat from leader ${leaderId} in term ${req.term}`)
        return responseTo(req, {code: RESPONSE_CODES.SUCCESS, term: -1})
      }
      if (leaderId === s.leaderId) {
        this.lastLeaderHeartBeatTimeMs = this.now
        return responseTo(req, {code: RESPONSE_CODES.SUCCESS, term: -1})
      }
      return responseTo(req, {code: RESPONSE_CODES.INCONSISTENT_LEADER, term: -1})
    }
    // a higher term: do not adopt it here; let the maintainer jump (the two-step, reference §0)
    this.changeRoleToCandidate(req.term, this.higherTermReason(req.term, leaderId, 'heartbeat'))
    this.needIncreaseTermImmediately = true
    return responseTo(req, {code: RESPONSE_CODES.TERM_NOT_READY, term: -1})
  }

  // ---------------------------------------------------------------- candidate (reference §3.6)

  private isTakingLeadership(): boolean {
    const p = this.settings.preferredLeaderIds
    return p.length > 0 && this.state.termToTakeLeadership === this.state.currTerm && p.includes(this.state.selfId)
  }

  private getNextTimeToRequestVote(): number {
    const s = this.settings
    if (this.isTakingLeadership())
      return this.now + s.minTakeLeadershipVoteIntervalMs + this.randomInt(s.maxTakeLeadershipVoteIntervalMs - s.minTakeLeadershipVoteIntervalMs)
    return this.now + s.minVoteIntervalMs + this.randomInt(s.maxVoteIntervalMs - s.minVoteIntervalMs)
  }

  private maintainAsCandidate(): void {
    if (this.ballot !== null) return
    if (this.now < this.nextTimeToRequestVoteMs && !this.needIncreaseTermImmediately) return
    if (this.state.role !== 'CANDIDATE') return
    let term: number
    if (this.lastParseResult === 'WAIT_TO_VOTE_NEXT' || this.needIncreaseTermImmediately) {
      const fromTerm = this.state.currTerm
      const knownMax = this.state.knownMaxTermInGroup
      term = this.state.nextTerm()
      this.emit({
        type: 'INCREASE_TERM',
        term,
        fromTerm,
        reason: knownMax > fromTerm ? `jump to known max term ${knownMax}` : this.needIncreaseTermImmediately ? 'increase requested' : 'previous ballot: WAIT_TO_VOTE_NEXT',
      })
      this.lastParseResult = 'WAIT_TO_REVOTE'
    } else {
      term = this.state.currTerm
    }
    if (this.needIncreaseTermImmediately) {
      // the deferred campaign: adopt the term, but give the originator time to re-ask
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote()
      this.needIncreaseTermImmediately = false
      return
    }
    this.startBallot(term)
  }

  private startBallot(term: number): void {
    const s = this.state
    const ballot: Ballot = {
      term,
      startedAtMs: this.now,
      waitUntilMs: this.now + this.settings.voteTimeoutMs + this.randomInt(this.settings.maxVoteIntervalMs),
      rpcDeadlineMs: this.now + this.settings.rpcTimeoutMs,
      ledgerEndIndex: s.ledgerEndIndex,
      ledgerEndTerm: s.ledgerEndTerm,
      knownMaxTermInGroup: term,
      allNum: 0,
      validNum: 0,
      acceptedNum: 0,
      notReadyTermNum: 0,
      biggerLedgerNum: 0,
      alreadyHasLeader: false,
      pending: new Map(),
      released: false,
    }
    this.ballot = ballot
    this.emit({type: 'VOTE_REQUEST', term, ledgerEndIndex: ballot.ledgerEndIndex, ledgerEndTerm: ballot.ledgerEndTerm, peers: s.peerSize})
    const requests: VoteRequest[] = s.peerIds.map((peer) => ({
      kind: 'VoteRequest',
      group: s.group,
      localId: s.selfId,
      remoteId: peer,
      leaderId: s.selfId,
      term,
      code: RESPONSE_CODES.SUCCESS,
      ledgerEndIndex: ballot.ledgerEndIndex,
      ledgerEndTerm: ballot.ledgerEndTerm,
      reqId: this.newReqId(),
    }))
    for (const req of requests) ballot.pending.set(req.reqId, req.remoteId)
    // the self-vote is answered synchronously, before any request leaves (its record is persisted first)
    for (const req of requests) {
      if (req.remoteId !== s.selfId) continue
      const resp = this.handleVote(req, true)
      this.countVote(ballot, req.reqId, s.selfId, resp.voteResult, resp.term)
    }
    for (const req of requests) if (req.remoteId !== s.selfId) this.send(req)
  }

  private countVote(b: Ballot, reqId: string, voter: NodeId, voteResult: VoteResponse['voteResult'], term: number): void {
    if (!b.pending.delete(reqId)) return
    this.emit({type: 'VOTE_RESPONSE', term: b.term, from: voter, voteResult, responseTerm: term})
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
    if (b.alreadyHasLeader || this.state.isQuorum(b.acceptedNum) || this.state.isQuorum(b.acceptedNum + b.notReadyTermNum)) b.released = true
    b.allNum++
    if (b.allNum === this.state.peerSize) b.released = true
  }

  /** The seven outcomes, first match wins (reference §3.6). */
  private parseBallot(b: Ballot): void {
    this.ballot = null
    // the blocked maintainer wakes now and sleeps tickMs before its next pass
    this.maintainerReadyAtMs = this.now + this.settings.tickMs
    const s = this.state
    const term = b.term
    let result: ParseResult
    if (b.knownMaxTermInGroup > term) {
      result = 'WAIT_TO_VOTE_NEXT'
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote()
      this.changeRoleToCandidate(b.knownMaxTermInGroup, `higher term ${b.knownMaxTermInGroup} seen in ballot responses`)
    } else if (b.alreadyHasLeader) {
      result = 'WAIT_TO_REVOTE'
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote() + this.followerTimeoutMs()
    } else if (!s.isQuorum(b.validNum)) {
      result = 'WAIT_TO_REVOTE'
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote()
    } else if (!s.isQuorum(b.validNum - b.biggerLedgerNum)) {
      result = 'WAIT_TO_REVOTE'
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote() + this.settings.maxVoteIntervalMs
    } else if (s.isQuorum(b.acceptedNum)) {
      result = 'PASSED'
    } else if (s.isQuorum(b.acceptedNum + b.notReadyTermNum)) {
      result = 'REVOTE_IMMEDIATELY'
    } else {
      result = 'WAIT_TO_VOTE_NEXT'
      this.nextTimeToRequestVoteMs = this.getNextTimeToRequestVote()
    }
    this.lastParseResult = result
    this.emit({
      type: 'PARSE_VOTE_RESULT',
      term,
      result,
      acceptedNum: b.acceptedNum,
      notReadyTermNum: b.notReadyTermNum,
      biggerLedgerNum: b.biggerLedgerNum,
      validNum: b.validNum,
      allNum: b.allNum,
      peers: s.peerSize,
      alreadyHasLeader: b.alreadyHasLeader,
      knownMaxTermInGroup: b.knownMaxTermInGroup,
      costMs: this.now - b.startedAtMs,
      nextVoteInMs: Math.max(0, Math.max(this.nextTimeToRequestVoteMs, this.maintainerReadyAtMs) - this.now),
    })
    if (result === 'PASSED') this.changeRoleToLeader(term, `elected with ${b.acceptedNum}/${s.peerSize} votes in term ${term}`)
  }

  /** Every check of DLedger's handleVote, in order (reference §3.7). `self` = the candidate's own vote. */
  handleVote(req: VoteRequest, self: boolean): VoteResponse {
    const s = this.state
    if (!self) {
      if (req.remoteId !== s.selfId) return responseTo(req, {code: RESPONSE_CODES.UNKNOWN_MEMBER, voteResult: 'UNKNOWN', leaderId: s.leaderId})
      if (req.group !== s.group) return responseTo(req, {code: RESPONSE_CODES.UNKNOWN_GROUP, voteResult: 'UNKNOWN', leaderId: s.leaderId})
    }
    const resp = this.vote(req, self)
    if (!self) this.emit({type: 'VOTE_HANDLED', candidate: req.leaderId ?? '', voteResult: resp.voteResult, requestTerm: req.term})
    return resp
  }

  private vote(req: VoteRequest, self: boolean): VoteResponse {
    const s = this.state
    const reply = (voteResult: VoteResponse['voteResult'], term = s.currTerm) => responseTo(req, {voteResult, term})
    if (!s.isPeerMember(req.leaderId)) return reply('REJECT_UNKNOWN_LEADER')
    const candidate = req.leaderId as NodeId
    if (!self && candidate === s.selfId) return reply('REJECT_UNEXPECTED_LEADER')
    if (req.ledgerEndTerm < s.ledgerEndTerm) return reply('REJECT_EXPIRED_LEDGER_TERM')
    if (req.ledgerEndTerm === s.ledgerEndTerm && req.ledgerEndIndex < s.ledgerEndIndex) return reply('REJECT_SMALL_LEDGER_END_INDEX')
    if (req.term < s.currTerm) return reply('REJECT_EXPIRED_VOTE_TERM')
    if (req.term === s.currTerm) {
      if (s.currVoteFor !== null && s.currVoteFor !== candidate) {
        return reply(s.leaderId !== null ? 'REJECT_ALREADY_HAS_LEADER' : 'REJECT_ALREADY_VOTED')
      }
    } else {
      const oldTerm = s.currTerm
      this.changeRoleToCandidate(req.term, this.higherTermReason(req.term, candidate, 'vote request'))
      this.needIncreaseTermImmediately = true
      return reply('REJECT_TERM_NOT_READY', oldTerm)
    }
    if (req.term < s.ledgerEndTerm) return reply('REJECT_TERM_SMALL_THAN_LEDGER', s.ledgerEndTerm)
    if (!self && this.isTakingLeadership() && req.ledgerEndTerm === s.ledgerEndTerm && s.ledgerEndIndex >= req.ledgerEndIndex)
      return reply('REJECT_TAKING_LEADERSHIP')
    s.setCurrVoteFor(candidate)
    return reply('ACCEPT')
  }

  // ---------------------------------------------------------------- transfer (reference §3.9, spec S6)

  private peerLag(peer: NodeId): number {
    return this.state.ledgerEndIndex - (this.peerWaterMarks.get(peer) ?? -1)
  }

  /** DLedgerServer.handleLeadershipTransfer: the RPC entry point, both client → leader and leader → transferee. */
  private handleLeadershipTransferRpc(req: LeadershipTransferRequest): LeadershipTransferResponse | null {
    const s = this.state
    const fail = (name: ResponseCodeName, term = req.term) => responseTo(req, {code: RESPONSE_CODES[name], term, leaderId: s.leaderId})
    if (req.remoteId !== s.selfId) return fail('UNKNOWN_MEMBER')
    if (req.group !== s.group) return fail('UNKNOWN_GROUP')
    if (s.selfId === req.transferId) {
      if (!s.isPeerMember(req.transfereeId)) return fail('UNKNOWN_MEMBER')
      // DLedgerServer's errors copy the request's base info (its term) and set code and leaderId (reference §3.9.2)
      if (s.currTerm !== req.term) return fail('INCONSISTENT_TERM')
      if (s.role !== 'LEADER') return fail('NOT_LEADER')
      // spec S6: a transfer to the current leader is a no-op success
      if (req.transfereeId === s.selfId) return responseTo(req, {code: RESPONSE_CODES.SUCCESS, term: s.currTerm, leaderId: s.selfId})
      if (this.peerLag(req.transfereeId) >= this.settings.maxLeadershipTransferWaitIndex) return fail('FALL_BEHIND_TOO_MUCH')
      this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'REQUESTED', transferee: req.transfereeId, code: 'SUCCESS', detail: `requested by ${req.localId}`})
      return this.startTransfer(req.transfereeId, req.term, req)
    }
    if (s.selfId === req.transfereeId) {
      if (req.transferId !== s.leaderId) return fail('INCONSISTENT_LEADER')
      this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'TAKE_LEADERSHIP_RECEIVED', transferee: s.selfId, code: 'SUCCESS', detail: `from ${req.transferId} in term ${req.term}`})
      if (req.takeLeadershipLedgerIndex - s.ledgerEndIndex > 0) {
        if (this.takeLeadershipTask !== null || this.catchUp !== null) return fail('LEADER_TRANSFERRING', s.currTerm)
        this.catchUp = {request: req, deadlineMs: this.now + this.settings.leadershipTransferWaitTimeoutMs}
        return null
      }
      return this.handleTakeLeadership(req)
    }
    return fail('UNEXPECTED_ARGUMENT', s.currTerm)
  }

  /** The old leader's side: set the transferee and send take-leadership (reference §3.9.3). */
  private startTransfer(transfereeId: NodeId, term: number, client: LeadershipTransferRequest | null): LeadershipTransferResponse | null {
    const s = this.state
    const fail = (name: ResponseCodeName) => {
      // every REQUESTED event gets its outcome in the vote log, a refusal included
      this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'FAILED', transferee: transfereeId, code: name})
      return client ? responseTo(client, {code: RESPONSE_CODES[name], term: s.currTerm, leaderId: s.leaderId}) : null
    }
    if (s.currTerm !== term) return fail('INCONSISTENT_TERM')
    if (s.role !== 'LEADER') return fail('NOT_LEADER')
    // spec S6: a second concurrent transfer is refused, never silently replaces the first
    if (s.transferee !== null || this.outgoingTransfer !== null) return fail('LEADER_TRANSFERRING')
    s.setTransferee(transfereeId)
    const takeLeadership: LeadershipTransferRequest = {
      kind: 'LeadershipTransferRequest',
      group: s.group,
      leaderId: s.selfId,
      localId: s.selfId,
      remoteId: transfereeId,
      term,
      code: RESPONSE_CODES.SUCCESS,
      takeLeadershipLedgerIndex: s.ledgerEndIndex,
      transferId: s.selfId,
      transfereeId,
      reqId: this.newReqId(),
    }
    this.outgoingTransfer = {transfereeId, term, deadlineMs: this.now + this.settings.leadershipTransferTimeoutMs, takeLeadershipReqId: takeLeadership.reqId, client}
    this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'TAKE_LEADERSHIP_SENT', transferee: transfereeId, code: 'SUCCESS'})
    this.send(takeLeadership)
    return null
  }

  private onTakeLeadershipResponse(resp: LeadershipTransferResponse): void {
    const t = this.outgoingTransfer
    if (t === null || resp.reqId !== t.takeLeadershipReqId) return
    this.outgoingTransfer = null
    const s = this.state
    if ((resp.code !== RESPONSE_CODES.SUCCESS || (s.currTerm === t.term && s.transferee !== null)) && s.role === 'LEADER') s.setTransferee(null)
    // spec S6: success only when the named transferee leads in a newer term
    const succeeded = resp.code === RESPONSE_CODES.SUCCESS && resp.term > t.term
    const code: ResponseCodeName = succeeded ? 'SUCCESS' : resp.code === RESPONSE_CODES.SUCCESS ? 'TAKE_LEADERSHIP_FAILED' : codeName(resp.code)
    this.finishTransfer(t, code, succeeded ? resp.term : Math.max(resp.term, s.currTerm))
  }

  private transferTimedOut(): void {
    const t = this.outgoingTransfer
    if (t === null) return
    this.outgoingTransfer = null
    const s = this.state
    if (s.role === 'LEADER' && s.transferee === t.transfereeId) s.setTransferee(null)
    this.finishTransfer(t, 'TIMEOUT', s.currTerm)
  }

  private finishTransfer(t: OutgoingTransfer, code: ResponseCodeName, term: number): void {
    this.emit({type: 'LEADERSHIP_TRANSFER', phase: code === 'SUCCESS' ? 'COMPLETED' : 'FAILED', transferee: t.transfereeId, code})
    if (t.client !== null)
      this.send(responseTo(t.client, {code: RESPONSE_CODES[code], term, leaderId: code === 'SUCCESS' ? t.transfereeId : this.state.leaderId}))
  }

  private checkCatchUp(): void {
    const c = this.catchUp
    if (c === null) return
    if (c.request.takeLeadershipLedgerIndex - this.state.ledgerEndIndex <= 0) {
      this.catchUp = null
      const reply = this.handleTakeLeadership(c.request)
      if (reply !== null) this.send(reply)
    } else if (this.now >= c.deadlineMs) {
      this.catchUp = null
      this.send(responseTo(c.request, {code: RESPONSE_CODES.TAKE_LEADERSHIP_FAILED, term: c.request.term, leaderId: this.state.leaderId}))
    }
  }

  /** The transferee's side (reference §3.9.4): campaign for term + 1; answered on a later role change. */
  private handleTakeLeadership(req: LeadershipTransferRequest): LeadershipTransferResponse | null {
    const s = this.state
    if (s.currTerm !== req.term) return responseTo(req, {code: RESPONSE_CODES.INCONSISTENT_TERM, term: s.currTerm})
    // spec S6: never silently replace a pending take-leadership
    if (this.takeLeadershipTask !== null) return responseTo(req, {code: RESPONSE_CODES.LEADER_TRANSFERRING, term: s.currTerm})
    const targetTerm = req.term + 1
    s.termToTakeLeadership = targetTerm
    this.takeLeadershipTask = req
    this.changeRoleToCandidate(targetTerm, `transfer from ${req.transferId}: taking leadership for term ${targetTerm}`)
    this.needIncreaseTermImmediately = true
    return null
  }

  /** TakeLeadershipTask.check: runs on every role change (reference §3.9.4 table). */
  private checkTakeLeadershipTask(term: number, role: Role): void {
    const task = this.takeLeadershipTask
    const t = this.state.termToTakeLeadership
    if (task === null || t === -1) return
    let code: ResponseCodeName | null = null
    let replyTerm = this.state.currTerm
    if (term > t) {
      code = 'EXPIRED_TERM'
      replyTerm = term
    } else if (term === t) {
      if (role === 'LEADER') {
        code = 'SUCCESS'
        replyTerm = t
      } else if (role === 'FOLLOWER') code = 'TAKE_LEADERSHIP_FAILED'
    } else {
      code = role === 'FOLLOWER' ? 'TAKE_LEADERSHIP_FAILED' : 'INTERNAL_ERROR'
    }
    if (code === null) return
    this.takeLeadershipTask = null
    this.state.termToTakeLeadership = -1
    this.send(responseTo(task, {code: RESPONSE_CODES[code], term: replyTerm}))
  }

  /** Every checkPreferredLeaderIntervalMs on a leader: hand leadership to a live preferred member (reference §3.9.1, spec S7). */
  private checkPreferredLeader(): void {
    const s = this.state
    const preferred = this.settings.preferredLeaderIds
    if (s.role !== 'LEADER' || preferred.length === 0 || s.transferee !== null || this.outgoingTransfer !== null || preferred.includes(s.selfId)) return
    let best: NodeId | null = null
    let bestLag = Number.POSITIVE_INFINITY
    for (const id of preferred) {
      if (!s.isPeerMember(id) || s.peersLiveTable.get(id) !== true) continue
      const lag = this.peerLag(id)
      if (lag >= this.settings.maxLeadershipTransferWaitIndex) continue
      if (lag < bestLag) {
        best = id
        bestLag = lag
      }
    }
    if (best === null) return
    this.emit({type: 'LEADERSHIP_TRANSFER', phase: 'PREFERRED_LEADER', transferee: best, code: 'SUCCESS', detail: `preferred leader ${best} is live and ${bestLag} entries behind`})
    this.startTransfer(best, s.currTerm, null)
  }
}

function emptyOutput(): StepOutput {
  return {persist: null, messages: [], events: []}
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
