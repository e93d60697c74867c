/**
 * The simulated cluster: N real election cores (`Elector`) on a simulated clock, network and
 * disk, all chosen by one seed, with launch, kill and restart, the network faults, the commands
 * an operator or a client would send (client.ts), and ONE delivery path for every core step:
 * persist → route → log → check. A crash drops the core and every message on its way to it and
 * keeps its durable record; a restart builds a new core from that record with a fresh random
 * stream. A request to a crashed member is refused: the sender's side answers NETWORK_ERROR after
 * one delay. A cut, a partition or loss drops a message silently, so the core's own round
 * deadlines fire.
 */
import {Elector, type ElectorView, type MemberSnapshot, type StepOutput} from '../core/elector.js'
import {feedElector} from '../core/ledger-feed.js'
import {Replicator, type ReplicatorOutput} from '../core/replicator.js'
import {buildSettings, type Peer, type Settings} from '../core/settings.js'
import {isRequest, type Message, networkErrorResponse, type NodeId, type Request, type Role} from '../core/types.js'

import {Checkers, type Violation} from './checkers.js'
import {SimClient} from './client.js'
import {Disk} from './disk.js'
import {type DropReason, type InFlight, Network, type SimMessage} from './network.js'
import {Observer} from './observer.js'
import {DEFAULT_DELAY_MS, type SimOptions, SimOptionsError, type TraceLine, validateSimOptions} from './options.js'
import {Rng} from './random.js'
import {type ClientAppend, CLIENT_ID, isPush, type MessageCounts, nextTickMs, type SimNode, SimulationError} from './sim-node.js'

export {CLIENT_ID, type MessageCounts, SimulationError} from './sim-node.js'

export class Cluster {
  readonly ids: NodeId[]
  readonly peers: Peer[]
  readonly seed: number
  readonly disk: Disk
  readonly network: Network
  readonly checkers: Checkers
  readonly observer = new Observer()
  readonly options: SimOptions
  now = 0
  readonly messages: MessageCounts = {sent: 0, dropped: 0, refused: 0, delivered: 0}
  /** total core steps */
  steps = 0

  private readonly nodes: SimNode[]
  private readonly byId = new Map<NodeId, SimNode>()
  private readonly traceSink: ((line: TraceLine) => void) | undefined
  private readonly maxStepsPerMs: number
  private stepsAtMs = 0
  private stepsAtMsTime = -1
  /** the simulated client (`elect`, `transfer-leader`, `append`) */
  private readonly client: SimClient

  constructor(options: SimOptions) {
    const problems = validateSimOptions(options)
    if (problems.length > 0) throw new SimOptionsError(problems)
    this.options = options
    this.disk = options.disk ?? new Disk()
    this.seed = options.seed
    this.ids = Array.from({length: options.nodes}, (_, i) => `n${i}`)
    this.peers = this.ids.map((id, i) => ({id, host: 'sim', port: 20911 + i, address: `sim:${20911 + i}`}))
    this.network = new Network(new Rng(options.seed, 'net'), {delayMs: options.delayMs ?? DEFAULT_DELAY_MS, lossProbability: options.lossProbability ?? 0})
    this.checkers = new Checkers(this.ids)
    this.traceSink = options.trace
    this.maxStepsPerMs = options.maxStepsPerMs ?? 20_000 + 2_000 * options.nodes
    this.client = new SimClient({
      observer: this.observer,
      now: () => this.now,
      tracing: this.traceSink !== undefined,
      trace: (fields) => this.trace(fields),
      leadingMember: () => this.leadingMember(),
      highestLiveTerm: () => this.highestLiveTerm(),
      node: (id) => this.node(id),
      apply: (n, out) => this.apply(n, out),
      handle: (n, m) => this.handle(n, m),
      checkAck: (from, entries) => this.recordViolations(this.checkers.observe({kind: 'ack', node: from, entries}, this.now)),
    })
    const {preferredLeaderIds, ...timing} = options.settings ?? {}
    this.nodes = this.ids.map((id) => {
      const settings = buildSettings({selfId: id, peers: this.peers, ...timing, ...(preferredLeaderIds ? {preferredLeaderIds} : {})})
      return {id, settings, elector: null, replicator: null, committedIndex: -1, incarnations: 0, deadlineMs: Number.POSITIVE_INFINITY, role: null, term: -1, paused: false, resumeAtMs: Number.POSITIVE_INFINITY, held: [], stopByMs: null}
    })
    for (const n of this.nodes) this.byId.set(n.id, n)
    const down = new Set(options.down ?? [])
    for (const id of down) if (!this.byId.has(id)) throw new SimOptionsError([`unknown member "${id}" in down`])
    for (const n of this.nodes) if (!down.has(n.id)) this.launch(n)
    this.refreshView()
  }

  // ---------------------------------------------------------------- inspection

  /** client appends acknowledged SUCCESS / refused or failed */
  get appends(): {acked: number; failed: number} {
    return this.client.appends
  }

  get violations(): Violation[] {
    return this.checkers.violations
  }

  isAlive(id: NodeId): boolean {
    return this.node(id).elector !== null
  }

  /** A live member's status, or null when it is down. */
  member(id: NodeId): MemberSnapshot | null {
    return this.node(id).elector?.snapshot(this.now) ?? null
  }

  /** A live member's state (frozen), or null when it is down. */
  view(id: NodeId): ElectorView | null {
    return this.node(id).elector?.view ?? null
  }

  role(id: NodeId): Role | null {
    return this.node(id).role
  }

  /** A live member's term, or a down member's durable term. */
  term(id: NodeId): number {
    const n = this.node(id)
    return n.elector === null ? this.disk.read(id).currTerm : n.term
  }

  /** The settings a member was configured with. */
  settingsOf(id: NodeId): Settings {
    return this.node(id).settings
  }

  /** Live members with the given role. */
  withRole(role: Role, among: readonly NodeId[] = this.ids): NodeId[] {
    return among.filter((id) => this.role(id) === role)
  }

  /** The member that leads at this moment: the live leader with the highest term, or null. */
  leadingMember(): NodeId | null {
    let best: SimNode | null = null
    for (const n of this.nodes) if (n.elector !== null && n.role === 'LEADER' && (best === null || n.term > best.term)) best = n
    return best?.id ?? null
  }

  /** The highest term of a live member (0 when every member is down). */
  highestLiveTerm(): number {
    let max = 0
    for (const n of this.nodes) if (n.elector !== null) max = Math.max(max, n.term)
    return max
  }

  /** The live member whose core is due first, and when. */
  nextCoreDeadline(): {atMs: number; id: NodeId | null} {
    let next: {atMs: number; id: NodeId | null} = {atMs: Number.POSITIVE_INFINITY, id: null}
    for (const n of this.nodes) if (n.deadlineMs < next.atMs) next = {atMs: n.deadlineMs, id: n.id}
    return next
  }

  // ---------------------------------------------------------------- the clock and the delivery path

  /** Moves the clock (never back); counts steps per millisecond against the safety valve. */
  protected moveClock(t: number): void {
    if (t !== this.stepsAtMsTime) {
      this.stepsAtMsTime = t
      this.stepsAtMs = 0
    }
    this.now = t
  }

  /** Ticks a member's core now. */
  tick(id: NodeId): void {
    const n = this.node(id)
    if (n.paused) {
      if (this.now >= n.resumeAtMs) this.resume([id])
      return
    }
    if (n.stopByMs !== null && n.elector !== null && (!n.elector.transferInProgress || this.now >= n.stopByMs)) {
      this.kill([id], 'stop')
      return
    }
    if (n.elector !== null) this.apply(n, n.elector.tick(this.now))
    if (n.replicator !== null && n.replicator.nextDeadlineMs() <= this.now) this.applyLedger(n, n.replicator.tick(this.now))
  }

  /** Delivers the next message in flight. */
  deliverNext(): void {
    const item = this.network.pop() as InFlight
    const target = this.byId.get(item.to)
    if (item.refusal) {
      // the requester's own NETWORK_ERROR; lost if the requester crashed meanwhile
      // a push refused by a down member is not answered: the replicator's own timeout covers it
      if (isPush(item.message)) return
      if (target?.paused === true) target.held.push(item.message)
      else if (target?.elector != null) this.apply(target, target.elector.receive(item.message, this.now))
      return
    }
    if (this.network.isCut(item.from, item.to)) return this.drop(item.from, item.to, item.message, 'cut')
    if (target === undefined || target.elector === null) return this.undeliverable(item.from, item.to, item.message)
    // a stopped process's socket still takes the bytes; it reads them when it continues
    if (target.paused) return void target.held.push(item.message)
    this.messages.delivered++
    this.handle(target, item.message)
  }

  /** A live member handles one message: a push goes to its replicator, the rest to its elector. */
  private handle(n: SimNode, m: SimMessage | ClientAppend): void {
    if (n.elector === null) return
    if (m.kind === 'ClientAppend') this.applyLedger(n, (n.replicator as Replicator).append(m.bodies, m.ticket, this.now))
    else if (isPush(m)) this.applyLedger(n, (n.replicator as Replicator).receive(m, this.now))
    else this.apply(n, n.elector.receive(m, this.now))
  }

  /** Called after every core step, once the step is persisted, routed, logged and checked. */
  protected afterStep(): void {}

  /** The one delivery path of a core step: persist, then route, then log; then the checkers. */
  private apply(n: SimNode, out: StepOutput): void {
    this.steps++
    if (++this.stepsAtMs > this.maxStepsPerMs)
      throw new SimulationError(`more than ${this.maxStepsPerMs} steps at ${this.now} ms: the cluster makes no progress in simulated time (seed ${this.seed})`)
    if (out.persist !== null) {
      this.disk.write(n.id, out.persist)
      this.trace({kind: 'persist', node: n.id, currTerm: out.persist.currTerm, currVoteFor: out.persist.currVoteFor})
      this.recordViolations(this.checkers.observe({kind: 'persist', node: n.id, record: out.persist}, this.now))
    }
    for (const m of out.messages) this.route(n.id, m)
    for (const ev of out.events) {
      this.trace({kind: 'event', ...ev})
      this.observer.onEvent(ev, this.now)
    }
    const e = n.elector
    if (e !== null) {
      const {role, currTerm} = e
      this.recordViolations(this.checkers.observe({kind: 'state', node: n.id, role, term: currTerm}, this.now))
      n.deadlineMs = nextTickMs(n, this.now)
      if (role !== n.role || currTerm !== n.term) {
        n.role = role
        n.term = currTerm
        this.refreshView()
      }
    }
    this.afterStep()
    if (e !== null && n.replicator !== null) this.applyLedger(n, n.replicator.observe(e.roleView, this.now))
  }

  /**
   * The delivery path of a ledger step: the log changes to disk (they are durable once written),
   * then the pushes, then the client acks; then the checkers, and the ledger end into the elector.
   */
  private applyLedger(n: SimNode, out: ReplicatorOutput, recovering = false): void {
    const r = n.replicator
    const e = n.elector
    if (r === null || e === null) return
    const logChanged = out.truncateFrom !== null || out.append.length > 0
    if (logChanged) {
      this.disk.writeLog(n.id, out.truncateFrom, out.append)
      this.trace({kind: 'ledger', node: n.id, truncateFrom: out.truncateFrom, appended: out.append.length, ledgerEndIndex: r.ledgerEndIndex, ledgerEndTerm: r.ledgerEndTerm})
      this.recordViolations(this.checkers.observe({kind: 'log', node: n.id, truncateFrom: out.truncateFrom, append: out.append}, this.now))
    }
    for (const m of out.messages) this.route(n.id, m)
    for (const ack of out.acks) this.client.onAck(n.id, ack)
    if (r.committedIndex !== n.committedIndex || logChanged) {
      n.committedIndex = r.committedIndex
      this.recordViolations(this.checkers.observe({kind: 'commit', node: n.id, committedIndex: r.committedIndex}, this.now))
    }
    n.deadlineMs = nextTickMs(n, this.now)
    const fed = feedElector(e, r, this.now, logChanged || recovering)
    if (fed !== null) this.apply(n, fed)
  }

  private route(from: NodeId, m: SimMessage): void {
    const to = isPush(m) ? (m.kind === 'PushEntryRequest' ? m.remoteId : m.localId) : isRequest(m) ? m.remoteId : m.localId
    if (to === CLIENT_ID) return this.client.onResponse(from, m)
    this.messages.sent++
    if (this.network.isCut(from, to)) return this.drop(from, to, m, 'cut', true)
    if (this.network.drawLoss()) return this.drop(from, to, m, 'loss', true)
    const target = this.byId.get(to)
    if (target === undefined || target.elector === null) return this.undeliverable(from, to, m, true)
    const item = this.network.enqueue(this.now + this.network.drawDelay(), from, to, m)
    if (this.traceSink) this.trace({kind: 'message', from, to, fate: 'queued', deliverAtMs: item.atMs, message: m})
  }

  /** A message to a crashed member: a request is refused, a response is lost. */
  private undeliverable(from: NodeId, to: NodeId, m: SimMessage, atSend = false): void {
    // a push to a crashed member is lost: the leader's push timeout covers it
    if (isPush(m) || !isRequest(m)) return this.drop(from, to, m, 'down', atSend)
    // the sender's side answers a request to a crashed member with NETWORK_ERROR after one delay
    this.messages.dropped++
    this.messages.refused++
    const at = this.now + this.network.drawDelay()
    this.network.enqueue(at, to, from, networkErrorResponse(m as Request), true)
    if (this.traceSink) this.trace({kind: 'message', from, to, fate: 'refused', deliverAtMs: at, message: m})
  }

  private drop(from: NodeId, to: NodeId, m: SimMessage, reason: DropReason, atSend = false): void {
    this.messages.dropped++
    if (this.traceSink) this.trace({kind: 'message', from, to, fate: reason, ...(atSend ? {} : {inFlight: true}), message: m})
  }

  // ---------------------------------------------------------------- faults

  /** Crashes members: volatile state and inbound messages lost, durable record kept. */
  kill(ids: readonly NodeId[], cause = 'kill'): NodeId[] {
    const leader = this.leadingMember()
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null) continue
      n.elector = null
      n.replicator = null
      n.committedIndex = -1
      n.deadlineMs = Number.POSITIVE_INFINITY
      n.role = null
      n.paused = false
      n.held = []
      n.stopByMs = null
      done.push(id)
      const lost = this.network.dropInbound(id)
      for (const item of lost) this.drop(item.from, item.to, item.message, 'down')
      this.checkers.observe({kind: 'crash', node: id}, this.now)
      this.trace({kind: 'crash', node: id, cause, inboundDropped: lost.length})
    }
    if (leader !== null && done.includes(leader)) this.startFailover('kill', leader)
    this.refreshView()
    return done
  }

  /** Restarts crashed members from their durable records, each with a fresh random stream. */
  restart(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      if (this.isAlive(id)) continue
      this.launch(this.node(id))
      done.push(id)
    }
    this.refreshView()
    return done
  }

  /**
   * Pauses live members like SIGSTOP: each handles nothing, what reaches it waits, its timers wait.
   * With `forMs`, it resumes on its own that much later. Returns the members paused.
   */
  pause(ids: readonly NodeId[], forMs: number | null = null): NodeId[] {
    const leader = this.leadingMember()
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null || n.paused) continue
      n.paused = true
      n.resumeAtMs = forMs === null ? Number.POSITIVE_INFINITY : this.now + forMs
      n.deadlineMs = n.resumeAtMs
      done.push(id)
      this.trace({kind: 'pause', node: id, ...(forMs === null ? {} : {forMs})})
    }
    if (leader !== null && done.includes(leader)) this.startFailover('pause', leader)
    return done
  }

  /** Continues paused members: the late timers fire first, then what reached them is handled in order. */
  resume(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (!n.paused || n.elector === null) continue
      n.paused = false
      n.resumeAtMs = Number.POSITIVE_INFINITY
      const held = n.held
      n.held = []
      done.push(id)
      this.trace({kind: 'resume', node: id, held: held.length})
      this.apply(n, n.elector.tick(this.now))
      for (const m of held) {
        if (n.elector === null || n.paused) break
        this.messages.delivered++
        this.handle(n, m)
      }
    }
    return done
  }

  /**
   * Stops members cleanly (SIGTERM): a leader first hands leadership to its most caught-up
   * follower and goes down when the hand-off ends (at most the transfer deadline); the others go
   * down at once. Returns the members stopping.
   */
  stop(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null || n.paused || n.stopByMs !== null) continue
      done.push(id)
      const target = n.role === 'LEADER' ? n.elector.mostCaughtUpFollower() : null
      if (target === null) {
        this.kill([id], 'stop')
        continue
      }
      n.stopByMs = this.now + n.settings.leadershipTransferTimeoutMs
      this.trace({kind: 'stop', node: id, handoffTo: target})
      this.apply(n, n.elector.transferLeadership(target, this.now))
    }
    return done
  }

  isPaused(id: NodeId): boolean {
    return this.node(id).paused
  }

  /** Symmetric cut between every two groups. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.network.partition(groups)
    this.trace({kind: 'partition', groups: groups.map((g) => [...g])})
  }

  /** One-way cut: messages from `from` to `to` are lost. */
  cut(from: readonly NodeId[], to: readonly NodeId[]): void {
    this.network.cut(from, to)
    this.trace({kind: 'cut', from: [...from], to: [...to]})
  }

  /** Cuts members off from every other member, both ways. */
  isolate(ids: readonly NodeId[]): void {
    if (ids.length === 0) return
    const leader = this.leadingMember()
    const others = this.ids.filter((id) => !ids.includes(id))
    for (const id of ids) this.network.partition([[id], this.ids.filter((o) => o !== id)])
    this.trace({kind: 'isolate', nodes: [...ids], others})
    if (leader !== null && ids.includes(leader)) this.startFailover('isolate', leader)
  }

  heal(): void {
    this.network.heal()
    this.trace({kind: 'heal'})
  }

  setLoss(probability: number): void {
    this.network.lossProbability = probability
    this.trace({kind: 'loss', probability})
  }

  // ---------------------------------------------------------------- commands

  /** Forces `id` to campaign for the next term now (DLedger's testRevote; client.ts); null if `id` is down. */
  elect(id: NodeId): number | null {
    return this.client.elect(id)
  }

  /** Asks the current leader to hand leadership to `transfereeId` (client.ts); the leader asked, or null. */
  transfer(transfereeId: NodeId, line = 0): NodeId | null {
    return this.client.transfer(transfereeId, line)
  }

  /** A client appends `count` entries at the current leader (client.ts); the leader asked, or null. */
  append(count: number, line = 0): NodeId | null {
    return this.client.append(count, line)
  }

  /** A live member's ledger (for tests and reports): entries and committed index, or null when down. */
  ledger(id: NodeId): {entries: {index: number; term: number; body: string}[]; committedIndex: number} | null {
    const r = this.node(id).replicator
    return r === null ? null : {entries: r.entries(), committedIndex: r.committedIndex}
  }

  /**
   * Delivers `message` straight to member `id` (no network) and returns the responses to it,
   * which are not sent on; everything else the step produced goes out as usual. For tests that
   * call a member's handlers as DLedger's protocol tests do.
   */
  inject(id: NodeId, message: Message): Message[] {
    const e = this.live(id)
    const out = e.receive(message, this.now)
    const answers = out.messages.filter((m) => !isRequest(m) && m.reqId === message.reqId)
    this.apply(this.node(id), {...out, messages: out.messages.filter((m) => !answers.includes(m))})
    return answers
  }

  /** Runs one command step on a live member's core (e.g. `e.setLedgerEnd(…)`) through the delivery path. */
  command(id: NodeId, body: (e: Elector, nowMs: number) => StepOutput): void {
    this.apply(this.node(id), body(this.live(id), this.now))
  }

  // ---------------------------------------------------------------- internals

  /** Writes a trace line (when tracing) at the current simulated time, or at `atMs`. */
  trace(fields: Record<string, unknown> & {kind: string}, atMs = this.now): void {
    if (this.traceSink === undefined) return
    this.traceSink({ts: new Date(atMs).toISOString(), atMs, ...fields})
  }

  private node(id: NodeId): SimNode {
    const n = this.byId.get(id)
    if (n === undefined) throw new RangeError(`unknown member "${id}"`)
    return n
  }

  private live(id: NodeId): Elector {
    const e = this.node(id).elector
    if (e === null) throw new SimulationError(`${id} is down`)
    return e
  }

  private launch(n: SimNode): void {
    const durable = this.disk.read(n.id)
    const rng = new Rng(this.seed, `node:${n.id}:${n.incarnations}`)
    n.incarnations++
    n.elector = new Elector(n.settings, durable, rng.fn(), this.now)
    n.replicator = new Replicator(n.settings, this.disk.readLog(n.id), this.now)
    n.committedIndex = -1
    n.paused = false
    n.held = []
    n.stopByMs = null
    const {role, currTerm} = n.elector
    n.deadlineMs = nextTickMs(n, this.now)
    n.role = role
    n.term = currTerm
    this.trace({kind: 'start', node: n.id, incarnation: n.incarnations - 1, currTerm: durable.currTerm, currVoteFor: durable.currVoteFor})
    this.checkers.observe({kind: 'state', node: n.id, role, term: currTerm}, this.now)
    // recovery: the ledger end on disk feeds the elector before its first step (reference §4.1)
    this.applyLedger(n, n.replicator.observe(n.elector.roleView, this.now), true)
  }

  /** The last heartbeat of `leader` that one of its followers accepted, then the failover opens. */
  private startFailover(cause: 'kill' | 'isolate' | 'pause', leader: NodeId): void {
    let lastHeartbeatAtMs: number | null = null
    for (const n of this.nodes) {
      const m = n.elector?.snapshot(this.now)
      if (m === undefined || m.role !== 'FOLLOWER' || m.leaderId !== leader || m.lastHeartbeatAgoMs === null) continue
      const at = this.now - m.lastHeartbeatAgoMs
      if (lastHeartbeatAtMs === null || at > lastHeartbeatAtMs) lastHeartbeatAtMs = at
    }
    this.observer.startFailover(cause, leader, lastHeartbeatAtMs, this.now)
  }

  /** Tells the observer the highest term of a live member and the live leader of that term. */
  private refreshView(): void {
    const term = this.nodes.some((n) => n.elector !== null) ? this.highestLiveTerm() : null
    const leader = this.nodes.find((n) => n.elector !== null && n.role === 'LEADER' && n.term === term)
    this.observer.updateView({term, leaderId: leader?.id ?? null}, this.now)
  }

  private recordViolations(found: Violation[]): void {
    for (const v of found) {
      this.observer.note('violation', `VIOLATION ${v.invariant}: ${v.detail}`, this.now)
      this.trace({kind: 'violation', invariant: v.invariant, detail: v.detail})
    }
  }
}
