/**
 * The elector: DLedger's DLedgerLeaderElector (the maintainer, handleVote, handleHeartBeat,
 * leadership transfer, take-leadership, checkPreferredLeader) as a pure state machine. One
 * Elector for every role: DLedger's handlers work in every role and a ballot outlives its role.
 * It sequences the rule modules (vote-rules, ballot and candidacy, heartbeat-round and
 * leader-heartbeats, transfer) and owns the state they read; only a frozen view and the member
 * snapshot leave it.
 *
 * Inputs: `tick(nowMs)`, `receive(message, nowMs)` and the commands (`revote`, `stepDown`,
 * `transferLeadership`, `setPreferredLeaders`, `setLedgerEnd`). Each returns a StepOutput: the
 * durable record to write first (spec S1), then the messages to send and the vote-log events.
 * Time and randomness come only from the caller (spec S2). DLedger's blocking waits (a ballot, a
 * heartbeat round) are explicit round state: responses update the counters and the round is
 * decided when an early exit holds or a tick reaches its deadline.
 */
import {invariant} from './assert.js'
import {Candidacy} from './candidacy.js'
import type {EventDraft, VoteLogEvent} from './events.js'
import {checkHeartBeat} from './heartbeat-round.js'
import {LeaderHeartbeats} from './leader-heartbeats.js'
import {MemberState} from './member-state.js'
import {followerTimeoutMs, type Settings} from './settings.js'
import {type ElectorHost, type ElectorView, type MemberSnapshot, NEVER, type Random, sameDurable, snapshotOf, type StepOutput, viewOf, voterStateOf} from './step.js'
import type {RoleView} from './replicator.js'
import {LeadershipTransfer} from './transfer.js'
import {assertNever, type Base, type DurableState, type HeartBeatRequest, type Message, type NodeId, RESPONSE_CODES, responseTo, type Role, type VoteRequest} from './types.js'
import {checkAddressee, checkVote, type VoterState} from './vote-rules.js'

export type {ElectorView, MemberSnapshot, Random, StepOutput} from './step.js'

/** A bound on maintainer passes in one step: a pass that makes another due may repeat, never spin. */
const MAX_PASSES_PER_STEP = 8

export class Elector {
  readonly settings: Settings
  private readonly state: MemberState
  private readonly random: Random
  private readonly incarnation: string
  private readonly transfer: LeadershipTransfer
  private readonly heartbeats: LeaderHeartbeats
  private readonly candidacy: Candidacy
  private reqCounter = 0

  private lastLeaderHeartBeatTimeMs = NEVER
  /** DLedger's maintainer sleeps tickMs after every pass */
  private maintainerReadyAtMs = NEVER
  private nextPreferredCheckAtMs: number

  private out: StepOutput = {persist: null, messages: [], events: []}
  private now = 0

  constructor(settings: Settings, durable: DurableState, random: Random, nowMs: number) {
    this.settings = {...settings, preferredLeaderIds: [...settings.preferredLeaderIds]}
    this.state = new MemberState(settings.group, settings.selfId, settings.peers, durable)
    this.random = random
    this.incarnation = Math.floor(random() * 0x100000000).toString(36)
    this.now = nowMs
    this.nextPreferredCheckAtMs = nowMs + settings.checkPreferredLeaderIntervalMs
    const host: ElectorHost = {
      state: this.state,
      settings: this.settings,
      now: () => this.now,
      emit: (event: EventDraft) => this.emit(event),
      send: (message: Message) => this.send(message),
      newReqId: () => this.newReqId(),
    }
    const maintainerReturns = () => {
      this.maintainerReadyAtMs = this.now + this.settings.tickMs
      return this.maintainerReadyAtMs
    }
    this.candidacy = new Candidacy({
      ...host,
      randomInt: (bound) => Math.floor(this.random() * bound),
      isTakingLeadership: () => this.transfer.isTakingLeadership(),
      selfVote: (req) => this.vote(req, true),
      toLeader: (term, reason) => this.changeRoleToLeader(term, reason),
      toCandidate: (term, reason) => this.changeRoleToCandidate(term, reason),
      maintainerReturns,
    })
    this.heartbeats = new LeaderHeartbeats({
      ...host,
      demote: (term, reason) => this.changeRoleToCandidate(term, reason),
      maintainerReturns,
    })
    this.transfer = new LeadershipTransfer({
      ...host,
      campaignFor: (term, reason) => this.campaignFor(term, reason),
    })
  }

  // ---------------------------------------------------------------- inputs

  /** Runs whatever is due at `nowMs`: the maintainer, round deadlines, transfer and preferred-leader checks. */
  tick(nowMs: number): StepOutput {
    return this.step(nowMs, () => this.runDue())
  }

  /** Handles one message from a peer or a client, then runs whatever became due. */
  receive(message: Message, nowMs: number): StepOutput {
    return this.command(nowMs, () => this.dispatch(message))
  }

  /**
   * DLedger's testRevote(term): become candidate and campaign for `term` at once (`dledger elect
   * --node`). Unlike DLedger it also abandons an open ballot or heartbeat round (a deliberate
   * difference, docs/differences.md). A term below the current one changes nothing.
   */
  revote(term: number, nowMs: number): StepOutput {
    return this.command(nowMs, () => {
      if (term < this.state.currTerm) return
      this.candidacy.force()
      this.heartbeats.abandonRound()
      this.maintainerReadyAtMs = NEVER
      this.changeRoleToCandidate(term, `forced election for term ${term}`)
    })
  }

  /**
   * A leader steps down in its term and holds back its own ballot long enough for another member
   * to win the next election (`dledger elect` without --node). No-op on a non-leader.
   */
  stepDown(nowMs: number): StepOutput {
    return this.command(nowMs, () => {
      if (this.state.role !== 'LEADER') return
      this.changeRoleToCandidate(this.state.currTerm, 'step down requested')
      // hold back past the followers' timeout, their failed same-term ballot and their next one,
      // so that one of them, not this member, wins the next term (unless a ballot wakes it first)
      const s = this.settings
      this.candidacy.holdBack(this.now + followerTimeoutMs(s) + s.voteTimeoutMs + 2 * s.maxVoteIntervalMs)
    })
  }

  /**
   * Starts a leadership transfer from this leader to `transfereeId` without a client waiting
   * (the graceful hand-off of a clean stop). The outcome arrives as a LEADERSHIP_TRANSFER event.
   */
  transferLeadership(transfereeId: NodeId, nowMs: number): StepOutput {
    return this.command(nowMs, () => this.transfer.handOff(transfereeId))
  }

  /** The live follower with the smallest lag (ties: peers order), or null: the hand-off target. */
  mostCaughtUpFollower(): NodeId | null {
    return this.transfer.mostCaughtUpFollower()
  }

  /** Whether a transfer this node started is still waiting for its outcome. */
  get transferInProgress(): boolean {
    return this.transfer.inProgress
  }

  /** Replaces the preferred leaders at run time (`transfer-leader --preferred`). */
  setPreferredLeaders(ids: readonly NodeId[], nowMs: number): StepOutput {
    return this.command(nowMs, () => {
      this.settings.preferredLeaderIds = [...ids]
    })
  }

  /** The ledger end is an input: the replicator (src/core/replicator.ts, through the member) sets it on every change (spec S8). */
  setLedgerEnd(ledgerEndIndex: number, ledgerEndTerm: number, nowMs: number): StepOutput {
    return this.command(nowMs, () => {
      this.state.ledgerEndIndex = ledgerEndIndex
      this.state.ledgerEndTerm = ledgerEndTerm
    })
  }

  /** The committed index the replicator reached (shown by `dledger status`; no rule reads it). */
  setCommittedIndex(index: number): void {
    this.state.committedIndex = index
  }

  /** The replication watermark of a peer, used by the transfer lag checks. */
  setPeerWaterMark(peer: NodeId, index: number): void {
    this.transfer.setPeerWaterMark(peer, index)
  }

  /** The earliest time at which `tick` has something to do. A driver may sleep until then. */
  nextDeadlineMs(): number {
    const ready = this.maintainerReadyAtMs
    const due: number[] = [...this.transfer.deadlines()]
    // while a ballot or a heartbeat round is open the maintainer thread is blocked in it, whatever
    // the role has become meanwhile (reference §3.2): only the round's own deadlines count
    if (this.candidacy.ballotOpen) due.push(this.candidacy.ballotDueMs())
    else if (this.heartbeats.roundOpen) due.push(this.heartbeats.dueMs())
    else due.push(this.maintainerDueMs(ready))
    // checkPreferredLeader only acts on a leader that is not itself preferred (reference §3.9.1)
    const preferred = this.settings.preferredLeaderIds
    if (this.state.role === 'LEADER' && preferred.length > 0 && !preferred.includes(this.state.selfId)) due.push(this.nextPreferredCheckAtMs)
    return Math.min(Number.POSITIVE_INFINITY, ...due)
  }

  /** What `dledger status` shows of this member. */
  snapshot(nowMs: number): MemberSnapshot {
    const s = this.state
    let ago: number | null = null
    if (s.role === 'FOLLOWER' && this.lastLeaderHeartBeatTimeMs !== NEVER) ago = nowMs - this.lastLeaderHeartBeatTimeMs
    if (s.role === 'LEADER') ago = this.heartbeats.sinceSuccessMs(nowMs)
    return snapshotOf(s, this.settings.preferredLeaderIds, ago)
  }

  /** The member's role now (a driver's cheap read, e.g. after every step). */
  get role(): Role {
    return this.state.role
  }

  /** The member's term now. */
  get currTerm(): number {
    return this.state.currTerm
  }

  /** What the replicator follows: role, term, leader and transferee (cheaper than `view`). */
  get roleView(): RoleView {
    const {role, currTerm, leaderId, transferee} = this.state
    return {role, currTerm, leaderId, transferee}
  }

  /** A frozen copy of the member state, in DLedger's names (for tests and the simulator's checks). */
  get view(): ElectorView {
    return viewOf(this.state)
  }

  // ---------------------------------------------------------------- plumbing

  private step(nowMs: number, body: () => void): StepOutput {
    // a monotonic clock never goes back; guard against a driver that does
    this.now = Math.max(this.now, nowMs)
    const before = this.state.durable()
    this.out = {persist: null, messages: [], events: []}
    body()
    const out = this.out
    // like etcd's HardState: the record is handed out when it differs from the step's start
    if (!sameDurable(before, this.state)) out.persist = this.state.durable()
    return out
  }

  /** A step that handles one input, then runs whatever became due. */
  private command(nowMs: number, body: () => void): StepOutput {
    return this.step(nowMs, () => {
      body()
      this.runDue()
    })
  }

  private send(message: Message): void {
    this.out.messages.push(message)
  }

  private emit(event: EventDraft): void {
    this.out.events.push({atMs: this.now, node: this.state.selfId, term: this.state.currTerm, ...event} as VoteLogEvent)
  }

  private newReqId(): string {
    this.reqCounter += 1
    return `${this.state.selfId}.${this.incarnation}.${this.reqCounter}`
  }

  private maintainerDueMs(ready: number): number {
    const role = this.state.role
    switch (role) {
      case 'CANDIDATE':
        return this.candidacy.dueMs(ready)
      case 'FOLLOWER':
        return Math.max(ready, this.lastLeaderHeartBeatTimeMs + followerTimeoutMs(this.settings) + 1)
      case 'LEADER':
        return Math.max(ready, this.heartbeats.dueMs())
      default:
        return assertNever(role)
    }
  }

  /** Runs everything due at `now`, including a maintainer pass; loops while a pass makes more due (bounded). */
  private runDue(): void {
    for (let i = 0; i < MAX_PASSES_PER_STEP; i++) {
      this.transfer.runDue()
      this.heartbeats.runDue()
      const every = this.settings.checkPreferredLeaderIntervalMs
      if (this.now >= this.nextPreferredCheckAtMs) {
        this.nextPreferredCheckAtMs += every * Math.max(1, Math.ceil((this.now - this.nextPreferredCheckAtMs + 1) / every))
        this.transfer.checkPreferredLeader()
      }
      this.checkRoundDeadlines()
      if (this.nextDeadlineMs() > this.now) return
      this.maintainState()
    }
  }

  private checkRoundDeadlines(): void {
    this.candidacy.checkBallot()
    this.heartbeats.checkRound()
  }

  /** One StateMaintainer pass, then the tickMs sleep (reference §3.2). */
  private maintainState(): void {
    invariant(!this.candidacy.ballotOpen && !this.heartbeats.roundOpen, 'a maintainer pass while a round is open')
    this.maintainerReadyAtMs = this.now + this.settings.tickMs
    const role = this.state.role
    switch (role) {
      case 'LEADER':
        return this.heartbeats.maintain()
      case 'FOLLOWER':
        return this.maintainAsFollower()
      case 'CANDIDATE':
        return this.candidacy.maintain()
      default:
        assertNever(role)
    }
  }

  private dispatch(message: Message): void {
    switch (message.kind) {
      case 'VoteRequest':
        return this.send(this.handleVote(message))
      case 'HeartBeatRequest':
        return this.send(this.handleHeartBeat(message))
      case 'LeadershipTransferRequest': {
        const reply = this.transfer.handleRequest(message)
        if (reply !== null) this.send(reply)
        return
      }
      case 'VoteResponse':
        return this.candidacy.onResponse(message)
      case 'HeartBeatResponse':
        return this.heartbeats.onResponse(message)
      case 'LeadershipTransferResponse':
        return this.transfer.onResponse(message)
      default:
        assertNever(message)
    }
  }

  // ---------------------------------------------------------------- role changes (reference §3.8)

  private changeRoleToLeader(term: number, reason: string): void {
    invariant(this.state.currTerm === term, () => `a ballot for term ${term} passed at term ${this.state.currTerm}`)
    const from = this.state.role
    this.state.changeToLeader(term)
    this.heartbeats.becameLeader()
    this.handleRoleChange(term, 'LEADER', from, reason)
  }

  private changeRoleToCandidate(term: number, reason: string): void {
    invariant(term >= this.state.currTerm, () => `candidate for term ${term} at term ${this.state.currTerm}`)
    const from = this.state.role
    this.state.changeToCandidate(term)
    this.handleRoleChange(term, 'CANDIDATE', from, reason)
  }

  private changeRoleToFollower(term: number, leaderId: NodeId, reason: string): void {
    const from = this.state.role
    this.candidacy.followed()
    this.state.changeToFollower(term, leaderId)
    this.lastLeaderHeartBeatTimeMs = this.now
    this.handleRoleChange(term, 'FOLLOWER', from, reason)
  }

  /** Candidate for `term`, and the term increases on the next maintainer pass (the two-step, reference §0). */
  private campaignFor(term: number, reason: string): void {
    this.changeRoleToCandidate(term, reason)
    this.candidacy.requestTermIncrease()
  }

  /** Why a higher term demotes this node; a leader names the transfer it completes (spec §3: `transfer to n1`). */
  private higherTermReason(term: number, from: NodeId, via: string): string {
    const why = `higher term ${term} from ${from} (${via})`
    return this.state.role === 'LEADER' && this.state.transferee === from ? `transfer to ${from}: ${why}` : why
  }

  /**
   * The take-leadership task sees every change with its target `term` (also candidate → candidate,
   * as DLedger's handlers do); the ROLE_CHANGE event only a change of role, with the current term
   * (docs/differences.md).
   */
  private handleRoleChange(term: number, role: Role, from: Role, reason: string): void {
    this.transfer.onRoleChange(term, role)
    if (from !== role) this.emit({type: 'ROLE_CHANGE', from, to: role, leaderId: this.state.leaderId, reason})
  }

  // ---------------------------------------------------------------- follower (reference §3.4, §3.5)

  private maintainAsFollower(): void {
    const ago = this.now - this.lastLeaderHeartBeatTimeMs
    if (ago <= followerTimeoutMs(this.settings)) return
    this.emit({type: 'HEARTBEAT_TIMEOUT', leaderId: this.state.leaderId, lastHeartbeatAgoMs: ago})
    this.changeRoleToCandidate(this.state.currTerm, `heartbeat timeout after ${ago} ms`)
  }

  private handleHeartBeat(req: HeartBeatRequest) {
    const v = checkHeartBeat(this.state, req)
    const leaderId = req.leaderId as NodeId
    if (v.effect === 'follow') this.changeRoleToFollower(req.term, leaderId, `heartbeat from leader ${leaderId} in term ${req.term}`)
    if (v.effect === 'refresh') this.lastLeaderHeartBeatTimeMs = this.now
    if (v.effect === 'adopt-higher-term') this.campaignFor(req.term, this.higherTermReason(req.term, leaderId, 'heartbeat'))
    const fields: Partial<Base> = {code: RESPONSE_CODES[v.code]}
    if (v.term !== null) fields.term = v.term
    if (v.leaderId !== undefined) fields.leaderId = v.leaderId
    return responseTo(req, fields)
  }

  // ---------------------------------------------------------------- candidate (reference §3.6)

  private voterState(): VoterState {
    return {...voterStateOf(this.state), takingLeadership: this.transfer.isTakingLeadership()}
  }

  /** A peer's ballot: DLedgerServer's addressee checks, then the ten vote checks (reference §3.7). */
  private handleVote(req: VoteRequest) {
    const misaddressed = checkAddressee(this.state, req)
    if (misaddressed !== null) return responseTo(req, {code: RESPONSE_CODES[misaddressed], voteResult: 'UNKNOWN', leaderId: this.state.leaderId})
    const resp = this.vote(req, false)
    this.emit({type: 'VOTE_HANDLED', candidate: req.leaderId ?? '', voteResult: resp.voteResult, requestTerm: req.term})
    return resp
  }

  private vote(req: VoteRequest, self: boolean) {
    const v = checkVote(this.voterState(), req, self)
    const candidate = req.leaderId as NodeId
    if (v.effect === 'grant') this.state.setCurrVoteFor(candidate)
    if (v.effect === 'adopt-higher-term') this.campaignFor(req.term, this.higherTermReason(req.term, candidate, 'vote request'))
    return responseTo(req, {voteResult: v.voteResult, term: v.term})
  }
}
