/**
 * The simulation driver: N real election cores (`Elector`) on a simulated clock, network and
 * disk, all chosen by one seed. The clock jumps to the earliest of (next script line, next
 * message delivery, next core deadline), so idle time costs nothing. After every step of a core
 * the driver writes its durable record first, then hands its messages to the network, logs its
 * events, and runs the checkers.
 *
 * Faults: a crash drops the core and every message on its way to it, and keeps its durable
 * record; a restart builds a new core from that record with a fresh random stream. A request to
 * a crashed member is refused: the sender's side answers NETWORK_ERROR after one delay. A cut,
 * a partition or loss drops a message silently, so the core's own round deadlines fire.
 */
import {Elector, type MemberSnapshot, type StepOutput} from '../core/elector.js'
import type {VoteLogEvent} from '../core/events.js'
import {buildSettings, type Peer, type Settings, type Timing} from '../core/settings.js'
import {
  codeName,
  isRequest,
  type LeadershipTransferRequest,
  type Message,
  networkErrorResponse,
  type NodeId,
  type Request,
  RESPONSE_CODES,
  type Role,
} from '../core/types.js'

import {Checkers, type Violation} from './checkers.js'
import {Disk} from './disk.js'
import {type DropReason, type InFlight, Network} from './network.js'
import {Rng} from './random.js'
import {type Action, describeExpectation, type Expectation, formatTime, parseScript, type Script, type ScriptLine, type Target} from './script.js'

export const MIN_NODES = 1
export const MAX_NODES = 51
export const DEFAULT_DELAY_MS: readonly [number, number] = [1, 5]
/** The id the simulated CLI client uses for `transfer`; member ids never contain `-`. */
export const CLIENT_ID = 'sim-client'

/** Settings overrides for every member (the shape of the CLI's timingOverrides). */
export interface SimSettings extends Partial<Timing> {
  timing?: string
  preferredLeaderIds?: NodeId[]
}

export interface SimOptions {
  /** members n0…n(N-1), 1–51 */
  nodes: number
  seed: number
  durationMs: number
  /** a parsed script, or its text (parsed against the member ids; throws ScriptError) */
  script?: Script | string
  /** initial loss probability [0, 1]; default 0 */
  lossProbability?: number
  /** inclusive per-message delay range; default 1–5 ms */
  delayMs?: readonly [number, number]
  settings?: SimSettings
  /** members that are down from the start (restart them to launch them) */
  down?: NodeId[]
  /** receives every trace line (messages, events, persists, faults, …) */
  trace?: (line: TraceLine) => void
  /** the simulated disk (tests pass a faulty one to see the checkers catch it) */
  disk?: Disk
  /** safety valve: steps allowed at one simulated millisecond before the run is aborted */
  maxStepsPerMs?: number
}

/** One JSON line of `--trace`. `ts` is the simulated time as an ISO date (ms from the epoch). */
export type TraceLine = {ts: string; atMs: number; kind: string} & Record<string, unknown>

export interface LeaderChange {
  atMs: number
  leaderId: NodeId
  term: number
}

export interface Failover {
  /** when the leader was killed or isolated */
  atMs: number
  /** until the next member became leader (or the run ended) */
  leaderlessMs: number
  /** false when no member became leader before the run ended */
  recovered: boolean
  cause: 'kill' | 'isolate'
  /** the leader that was killed or isolated, and the one that replaced it */
  from: NodeId
  to: NodeId | null
  /** the last heartbeat of `from` that one of its followers accepted before the fault (null: none) */
  lastHeartbeatAtMs: number | null
}

export interface ExpectationResult {
  line: number
  ok: boolean
  detail: string
  atMs: number
}

export interface TimelineEntry {
  atMs: number
  kind: 'leader' | 'step-down' | 'script' | 'transfer' | 'violation' | 'expectation'
  text: string
}

export interface MessageCounts {
  /** every message a member handed to the network */
  sent: number
  /** lost, cut, refused, or dropped by a crash */
  dropped: number
  /** requests to a crashed member, answered NETWORK_ERROR by the sender's side */
  refused: number
  delivered: number
}

/** The cluster as the run's report sees it: the highest term of a live member, and its live leader. */
export interface ClusterView {
  term: number | null
  leaderId: NodeId | null
}

/** A run stopped because it could not make progress in simulated time. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SimulationError'
  }
}

interface SimNode {
  id: NodeId
  index: number
  settings: Settings
  elector: Elector | null
  /** how many cores this member has had (the next restart's random stream) */
  incarnations: number
  /** the core's nextDeadlineMs() after its last step (+∞ when down) */
  deadlineMs: number
  /** role and term after its last step, to notice a change of the cluster view */
  role: Role | null
  term: number
}

interface PendingExpectation {
  line: ScriptLine
  expectation: Expectation
  deadlineMs: number
}

export class Simulation {
  readonly ids: NodeId[]
  readonly peers: Peer[]
  readonly seed: number
  readonly durationMs: number
  readonly disk: Disk
  readonly network: Network
  readonly checkers: Checkers
  readonly script: Script
  readonly options: SimOptions

  now = 0
  readonly leaderChanges: LeaderChange[] = []
  readonly failovers: Failover[] = []
  readonly expectations: ExpectationResult[] = []
  readonly timeline: TimelineEntry[] = []
  readonly messages: MessageCounts = {sent: 0, dropped: 0, refused: 0, delivered: 0}
  /** total core steps */
  steps = 0

  private readonly nodes: SimNode[]
  private readonly byId = new Map<NodeId, SimNode>()
  private readonly faultRng: Rng
  private readonly trace: ((line: TraceLine) => void) | undefined
  private readonly maxStepsPerMs: number
  private scriptIndex = 0
  private pending: PendingExpectation[] = []
  private openFailover: {atMs: number; cause: 'kill' | 'isolate'; from: NodeId; lastHeartbeatAtMs: number | null} | null = null
  private view: ClusterView = {term: null, leaderId: null}
  private leaderlessSinceMs: number | null = 0
  private leaderlessTotalMs = 0
  private clientReqs = 0
  private readonly clientTransfers = new Map<string, {line: number; transfereeId: NodeId}>()
  private stepsAtMs = 0
  /** a core may have been changed outside a step: re-read deadlines and roles */
  private stale = false
  private stepsAtMsTime = -1
  private finished = false

  constructor(options: SimOptions) {
    if (!Number.isInteger(options.nodes) || options.nodes < MIN_NODES || options.nodes > MAX_NODES)
      throw new RangeError(`nodes must be an integer from ${MIN_NODES} to ${MAX_NODES} (got ${options.nodes})`)
    if (!Number.isInteger(options.durationMs) || options.durationMs < 0) throw new RangeError(`durationMs must be a non-negative integer (got ${options.durationMs})`)
    const delay = options.delayMs ?? DEFAULT_DELAY_MS
    if (!(Number.isInteger(delay[0]) && Number.isInteger(delay[1]) && delay[0] >= 0 && delay[1] >= delay[0]))
      throw new RangeError(`delay range must be whole milliseconds A-B with 0 <= A <= B (got ${delay[0]}-${delay[1]})`)
    const loss = options.lossProbability ?? 0
    if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss probability must be between 0 and 1 (got ${loss})`)

    this.options = options
    this.disk = options.disk ?? new Disk()
    this.seed = options.seed
    this.durationMs = options.durationMs
    this.ids = Array.from({length: options.nodes}, (_, i) => `n${i}`)
    this.peers = this.ids.map((id, i) => ({id, host: 'sim', port: 20911 + i, address: `sim:${20911 + i}`}))
    this.script = typeof options.script === 'string' ? parseScript(options.script, this.ids) : (options.script ?? {lines: []})
    this.network = new Network(new Rng(options.seed, 'net'), {delayMs: delay, lossProbability: loss})
    this.faultRng = new Rng(options.seed, 'faults')
    this.checkers = new Checkers(this.ids)
    this.trace = options.trace
    this.maxStepsPerMs = options.maxStepsPerMs ?? 20_000 + 2_000 * options.nodes

    const {preferredLeaderIds, ...timing} = options.settings ?? {}
    this.nodes = this.ids.map((id, index) => {
      const settings = buildSettings({selfId: id, peers: this.peers, ...timing, ...(preferredLeaderIds ? {preferredLeaderIds} : {})})
      return {id, index, settings, elector: null, incarnations: 0, deadlineMs: Number.POSITIVE_INFINITY, role: null, term: -1}
    })
    for (const n of this.nodes) this.byId.set(n.id, n)
    const down = new Set(options.down ?? [])
    for (const id of down) if (!this.byId.has(id)) throw new RangeError(`unknown member "${id}" in down`)
    for (const n of this.nodes) if (!down.has(n.id)) this.launch(n)
    this.refreshView()
  }

  // ---------------------------------------------------------------- running

  /** Runs the whole simulation and finalizes it. */
  run(): this {
    this.runUntil(this.durationMs)
    this.finish()
    return this
  }

  /** Processes everything due up to and including `endMs`; then the clock reads `endMs`. */
  runUntil(endMs: number): void {
    if (this.finished) throw new SimulationError('the simulation has finished')
    for (;;) {
      const tScript = this.scriptIndex < this.script.lines.length ? this.script.lines[this.scriptIndex].atMs : Number.POSITIVE_INFINITY
      const tNet = this.network.nextAtMs()
      if (this.stale) this.refreshAll()
      let tNode = Number.POSITIVE_INFINITY
      let who: SimNode | null = null
      for (const n of this.nodes) {
        if (n.deadlineMs < tNode) {
          tNode = n.deadlineMs
          who = n
        }
      }
      let t = Math.min(tScript, tNet, tNode)
      if (t > endMs) break
      if (t < this.now) t = this.now
      this.advanceTo(t)
      if (tScript <= t) {
        this.runLine(this.script.lines[this.scriptIndex++])
      } else if (tNet <= t) {
        this.deliver(this.network.pop() as InFlight)
      } else if (who !== null) {
        const n = who
        this.apply(n, (n.elector as Elector).tick(this.now))
      }
    }
    this.advanceTo(Math.max(this.now, endMs))
  }

  /** Runs `ms` more simulated milliseconds. */
  runFor(ms: number): void {
    this.runUntil(this.now + ms)
  }

  /**
   * Polls `check` every `everyMs` (like DLedger's tests, 100 ms) until it holds or `timeoutMs`
   * passed; returns whether it held. The clock stops at the first poll where it held.
   */
  waitFor(check: () => boolean, timeoutMs: number, everyMs = 100): boolean {
    const deadline = this.now + timeoutMs
    for (;;) {
      if (check()) return true
      if (this.now >= deadline) return false
      this.runUntil(Math.min(deadline, this.now + everyMs))
    }
  }

  /** Ends the run: open expectations fail, open failovers and leaderless time are closed. */
  finish(): void {
    if (this.finished) return
    this.finished = true
    for (const p of this.pending) this.failExpectation(p, this.now, `not met before the run ended at ${formatTime(this.now)}`)
    this.pending = []
    if (this.openFailover !== null) {
      const f = this.openFailover
      this.failovers.push({...f, leaderlessMs: this.now - f.atMs, recovered: false, to: null})
      this.openFailover = null
    }
    if (this.leaderlessSinceMs !== null) {
      this.leaderlessTotalMs += this.now - this.leaderlessSinceMs
      this.leaderlessSinceMs = this.now
    }
  }

  get violations(): Violation[] {
    return this.checkers.violations
  }

  /** Time without a cluster leader so far (see `clusterView`). */
  get leaderlessMs(): number {
    return this.leaderlessTotalMs + (this.leaderlessSinceMs === null || this.finished ? 0 : this.now - this.leaderlessSinceMs)
  }

  // ---------------------------------------------------------------- inspection

  isAlive(id: NodeId): boolean {
    return this.byId.get(id)?.elector != null
  }

  /**
   * The live core of a member, or null when down. Tests may call its handlers or change its state
   * directly; the simulation then re-reads every core's deadline and role before its next step.
   */
  elector(id: NodeId): Elector | null {
    this.stale = true
    return this.node(id).elector
  }

  /** A live member's status, or null when it is down. */
  member(id: NodeId): MemberSnapshot | null {
    return this.node(id).elector?.snapshot(this.now) ?? null
  }

  role(id: NodeId): Role | null {
    return this.node(id).elector?.view.role ?? null
  }

  term(id: NodeId): number {
    const e = this.node(id).elector
    return e === null ? this.disk.read(id).currTerm : e.view.currTerm
  }

  /** The settings a member was configured with. */
  settingsOf(id: NodeId): Settings {
    return this.node(id).settings
  }

  /** Live members with the given role. */
  withRole(role: Role, among: readonly NodeId[] = this.ids): NodeId[] {
    return among.filter((id) => this.role(id) === role)
  }

  /** The highest term of a live member and the live leader of that term (null if none). */
  clusterView(): ClusterView {
    return {...this.view}
  }

  /** The member that leads at this moment: the live leader with the highest term, or null. */
  leadingMember(): NodeId | null {
    let best: SimNode | null = null
    for (const n of this.nodes) {
      if (n.elector === null || n.role !== 'LEADER') continue
      if (best === null || n.term > best.term) best = n
    }
    return best?.id ?? null
  }

  // ---------------------------------------------------------------- faults and commands

  /** Crashes members: volatile state and inbound messages lost, durable record kept. */
  kill(ids: readonly NodeId[], cause = 'kill'): NodeId[] {
    const leader = this.leadingMember()
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null) continue
      n.elector = null
      n.deadlineMs = Number.POSITIVE_INFINITY
      n.role = null
      done.push(id)
      const lost = this.network.dropInbound(id)
      for (const item of lost) this.drop(item.from, item.to, item.message, 'down')
      this.checkers.observe({kind: 'crash', node: id}, this.now)
      this.emitTrace({kind: 'crash', node: id, cause, inboundDropped: lost.length})
    }
    if (leader !== null && done.includes(leader)) this.startFailover('kill', leader)
    this.refreshView()
    return done
  }

  /** Restarts crashed members from their durable records, each with a fresh random stream. */
  restart(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector !== null) continue
      this.launch(n)
      done.push(id)
    }
    this.refreshView()
    return done
  }

  /** Symmetric cut between every two groups. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.network.partition(groups)
    this.emitTrace({kind: 'partition', groups: groups.map((g) => [...g])})
  }

  /** One-way cut: messages from `from` to `to` are lost. */
  cut(from: readonly NodeId[], to: readonly NodeId[]): void {
    this.network.cut(from, to)
    this.emitTrace({kind: 'cut', from: [...from], to: [...to]})
  }

  /** Cuts members off from every other member, both ways. */
  isolate(ids: readonly NodeId[]): void {
    if (ids.length === 0) return
    const leader = this.leadingMember()
    const others = this.ids.filter((id) => !ids.includes(id))
    for (const id of ids) this.network.partition([[id], this.ids.filter((o) => o !== id)])
    this.emitTrace({kind: 'isolate', nodes: [...ids], others})
    if (leader !== null && ids.includes(leader)) this.startFailover('isolate', leader)
  }

  heal(): void {
    this.network.heal()
    this.emitTrace({kind: 'heal'})
  }

  setLoss(probability: number): void {
    this.network.lossProbability = probability
    this.emitTrace({kind: 'loss', probability})
  }

  /**
   * Forces `id` to campaign for the next term now (DLedger's testRevote): the term is one more
   * than the highest term of any live member. Returns the term, or null if `id` is down.
   */
  elect(id: NodeId): number | null {
    const n = this.node(id)
    if (n.elector === null) return null
    let max = 0
    for (const m of this.nodes) if (m.elector !== null) max = Math.max(max, m.elector.view.currTerm)
    const term = max + 1
    this.emitTrace({kind: 'elect', node: id, term})
    this.apply(n, n.elector.revote(term, this.now))
    return term
  }

  /**
   * Asks the current leader, as a client would (`dledger transfer-leader`), to hand leadership to
   * `transfereeId`. Returns the leader asked, or null when there is none. The answer arrives
   * later and is logged in the timeline.
   */
  transfer(transfereeId: NodeId, line = 0): NodeId | null {
    const leader = this.leadingMember()
    if (leader === null) return null
    const n = this.node(leader)
    const e = n.elector as Elector
    const req: LeadershipTransferRequest = {
      kind: 'LeadershipTransferRequest',
      group: e.settings.group,
      localId: CLIENT_ID,
      remoteId: leader,
      leaderId: leader,
      term: e.view.currTerm,
      code: RESPONSE_CODES.SUCCESS,
      transferId: leader,
      transfereeId,
      takeLeadershipLedgerIndex: 0,
      reqId: `${CLIENT_ID}.${++this.clientReqs}`,
    }
    this.clientTransfers.set(req.reqId, {line, transfereeId})
    this.emitTrace({kind: 'message', from: CLIENT_ID, to: leader, fate: 'direct', message: req})
    this.apply(n, e.receive(req, this.now))
    return leader
  }

  /**
   * Delivers `message` straight to member `id` (no network) and returns the responses to it,
   * which are not sent on; everything else the step produced goes out as usual. For tests that
   * call a member's handlers as DLedger's protocol tests do.
   */
  inject(id: NodeId, message: Message): Message[] {
    const n = this.node(id)
    if (n.elector === null) throw new SimulationError(`${id} is down`)
    const out = n.elector.receive(message, this.now)
    const answers = out.messages.filter((m) => !isRequest(m) && m.reqId === message.reqId)
    this.apply(n, {...out, messages: out.messages.filter((m) => !answers.includes(m))})
    return answers
  }

  /** Runs one command step on a live member's core (e.g. `e.setLedgerEnd(…)`) with full bookkeeping. */
  command(id: NodeId, body: (e: Elector, nowMs: number) => StepOutput): void {
    const n = this.node(id)
    if (n.elector === null) throw new SimulationError(`${id} is down`)
    this.apply(n, body(n.elector, this.now))
  }

  // ---------------------------------------------------------------- internals

  private node(id: NodeId): SimNode {
    const n = this.byId.get(id)
    if (n === undefined) throw new RangeError(`unknown member "${id}"`)
    return n
  }

  private launch(n: SimNode): void {
    const durable = this.disk.read(n.id)
    const rng = new Rng(this.seed, `node:${n.id}:${n.incarnations}`)
    n.incarnations++
    n.elector = new Elector(n.settings, durable, rng.fn(), this.now)
    n.deadlineMs = n.elector.nextDeadlineMs()
    n.role = n.elector.view.role
    n.term = n.elector.view.currTerm
    this.emitTrace({kind: 'start', node: n.id, incarnation: n.incarnations - 1, currTerm: durable.currTerm, currVoteFor: durable.currVoteFor})
    this.checkers.observe({kind: 'state', node: n.id, role: n.elector.view.role, term: n.elector.view.currTerm}, this.now)
  }

  /** Moves the clock; fails `within` expectations whose deadline passed. */
  private advanceTo(t: number): void {
    if (t !== this.stepsAtMsTime) {
      this.stepsAtMsTime = t
      this.stepsAtMs = 0
    }
    if (this.pending.length > 0) {
      const expired = this.pending.filter((p) => p.deadlineMs < t)
      if (expired.length > 0) {
        this.pending = this.pending.filter((p) => p.deadlineMs >= t)
        for (const p of expired) this.failExpectation(p, p.deadlineMs, this.expectationMiss(p.expectation))
      }
    }
    this.now = t
  }

  /** Persist, then send, then log; then the checkers. */
  private apply(n: SimNode, out: StepOutput): void {
    this.steps++
    if (++this.stepsAtMs > this.maxStepsPerMs)
      throw new SimulationError(`more than ${this.maxStepsPerMs} steps at ${this.now} ms: the cluster makes no progress in simulated time (seed ${this.seed})`)
    const e = n.elector
    if (out.persist !== null) {
      this.disk.write(n.id, out.persist)
      this.emitTrace({kind: 'persist', node: n.id, currTerm: out.persist.currTerm, currVoteFor: out.persist.currVoteFor})
      this.recordViolations(this.checkers.observe({kind: 'persist', node: n.id, record: out.persist}, this.now))
    }
    for (const m of out.messages) this.route(n.id, m)
    for (const ev of out.events) this.onEvent(ev)
    if (e !== null) {
      this.recordViolations(this.checkers.observe({kind: 'state', node: n.id, role: e.view.role, term: e.view.currTerm}, this.now))
      n.deadlineMs = e.nextDeadlineMs()
      if (e.view.role !== n.role || e.view.currTerm !== n.term) {
        n.role = e.view.role
        n.term = e.view.currTerm
        this.refreshView()
      }
    }
    if (this.stale) this.refreshAll()
    if (this.pending.length > 0) this.checkPending()
  }

  private route(from: NodeId, m: Message): void {
    const to = isRequest(m) ? m.remoteId : m.localId
    if (to === CLIENT_ID) {
      this.onClientResponse(from, m)
      return
    }
    this.messages.sent++
    if (this.network.isCut(from, to)) return this.drop(from, to, m, 'cut', true)
    if (this.network.drawLoss()) return this.drop(from, to, m, 'loss', true)
    const target = this.byId.get(to)
    if (target === undefined || target.elector === null) {
      if (isRequest(m)) return this.refuse(from, to, m)
      return this.drop(from, to, m, 'down', true)
    }
    const item = this.network.enqueue(this.now + this.network.drawDelay(), from, to, m)
    if (this.trace) this.emitTrace({kind: 'message', from, to, fate: 'queued', deliverAtMs: item.atMs, message: m})
  }

  /** The sender's side answers a request to a crashed member with NETWORK_ERROR after one delay. */
  private refuse(from: NodeId, to: NodeId, req: Request): void {
    this.messages.dropped++
    this.messages.refused++
    const at = this.now + this.network.drawDelay()
    this.network.enqueue(at, to, from, networkErrorResponse(req), true)
    if (this.trace) this.emitTrace({kind: 'message', from, to, fate: 'refused', deliverAtMs: at, message: req})
  }

  private drop(from: NodeId, to: NodeId, m: Message, reason: DropReason, atSend = false): void {
    this.messages.dropped++
    if (this.trace) this.emitTrace({kind: 'message', from, to, fate: reason, ...(atSend ? {} : {inFlight: true}), message: m})
  }

  private deliver(item: InFlight): void {
    const target = this.byId.get(item.to)
    if (item.refusal) {
      // the requester's own NETWORK_ERROR; lost if the requester crashed meanwhile
      if (target?.elector != null) this.apply(target, target.elector.receive(item.message, this.now))
      return
    }
    if (this.network.isCut(item.from, item.to)) return this.drop(item.from, item.to, item.message, 'cut')
    if (target === undefined || target.elector === null) {
      if (isRequest(item.message)) return this.refuse(item.from, item.to, item.message)
      return this.drop(item.from, item.to, item.message, 'down')
    }
    this.messages.delivered++
    this.apply(target, target.elector.receive(item.message, this.now))
  }

  private onEvent(ev: VoteLogEvent): void {
    if (this.trace) this.emitTrace({kind: 'event', ...ev})
    if (ev.type !== 'ROLE_CHANGE') return
    if (ev.to === 'LEADER') {
      this.leaderChanges.push({atMs: this.now, leaderId: ev.node, term: ev.term})
      let text = `${ev.node} leads term ${ev.term} (${ev.reason})`
      if (this.openFailover !== null) {
        const f = this.openFailover
        const ms = this.now - f.atMs
        this.failovers.push({...f, leaderlessMs: ms, recovered: true, to: ev.node})
        this.openFailover = null
        text += `; failover ${formatTime(ms)} after the ${f.cause} of ${f.from} at ${formatTime(f.atMs)}`
        if (f.lastHeartbeatAtMs !== null) text += `, ${formatTime(this.now - f.lastHeartbeatAtMs)} after its last heartbeat`
      }
      this.note('leader', text)
    } else if (ev.from === 'LEADER') {
      this.note('step-down', `${ev.node} steps down in term ${ev.term} (${ev.reason})`)
    }
  }

  private onClientResponse(from: NodeId, m: Message): void {
    if (this.trace) this.emitTrace({kind: 'message', from, to: CLIENT_ID, fate: 'direct', message: m})
    const req = this.clientTransfers.get(m.reqId)
    if (req === undefined || m.kind !== 'LeadershipTransferResponse') return
    this.clientTransfers.delete(m.reqId)
    const where = req.line > 0 ? `line ${req.line}: ` : ''
    this.note('transfer', `${where}transfer to ${req.transfereeId} answered by ${from}: ${codeName(m.code)} (term ${m.term})`)
  }

  private startFailover(cause: 'kill' | 'isolate', leader: NodeId): void {
    if (this.openFailover !== null) return
    let lastHeartbeatAtMs: number | null = null
    for (const n of this.nodes) {
      const m = n.elector?.snapshot(this.now)
      if (m === undefined || m.role !== 'FOLLOWER' || m.leaderId !== leader || m.lastHeartbeatAgoMs === null) continue
      const at = this.now - m.lastHeartbeatAgoMs
      if (lastHeartbeatAtMs === null || at > lastHeartbeatAtMs) lastHeartbeatAtMs = at
    }
    this.openFailover = {atMs: this.now, cause, from: leader, lastHeartbeatAtMs}
  }

  /** Re-reads every live core's deadline, role and term (after a change outside a step). */
  private refreshAll(): void {
    this.stale = false
    for (const n of this.nodes) {
      if (n.elector === null) continue
      n.deadlineMs = n.elector.nextDeadlineMs()
      n.role = n.elector.view.role
      n.term = n.elector.view.currTerm
    }
    this.refreshView()
  }

  private refreshView(): void {
    let term: number | null = null
    for (const n of this.nodes) {
      if (n.elector !== null && (term === null || n.term > term)) term = n.term
    }
    let leaderId: NodeId | null = null
    if (term !== null) {
      for (const n of this.nodes) {
        if (n.elector !== null && n.role === 'LEADER' && n.term === term) {
          leaderId = n.id
          break
        }
      }
    }
    const had = this.view.leaderId !== null
    this.view = {term, leaderId}
    if (had && leaderId === null && this.leaderlessSinceMs === null) this.leaderlessSinceMs = this.now
    if (leaderId !== null && this.leaderlessSinceMs !== null) {
      this.leaderlessTotalMs += this.now - this.leaderlessSinceMs
      this.leaderlessSinceMs = null
    }
  }

  private recordViolations(found: Violation[]): void {
    for (const v of found) {
      this.note('violation', `VIOLATION ${v.invariant}: ${v.detail}`)
      this.emitTrace({kind: 'violation', invariant: v.invariant, detail: v.detail})
    }
  }

  private note(kind: TimelineEntry['kind'], text: string): void {
    this.timeline.push({atMs: this.now, kind, text})
  }

  private emitTrace(fields: Record<string, unknown> & {kind: string}): void {
    if (this.trace === undefined) return
    this.trace({ts: new Date(this.now).toISOString(), atMs: this.now, ...fields})
  }

  // ---------------------------------------------------------------- script

  private runLine(line: ScriptLine): void {
    const a = line.action
    const say = (text: string) => {
      const what = line.text.replace(/^at\s+\S+\s+/, '')
      this.note('script', `line ${line.line}: ${what}${text === '' ? '' : ` → ${text}`}`)
      this.emitTrace({kind: 'script', line: line.line, text: line.text, result: text})
    }
    const list = (ids: readonly NodeId[]) => (ids.length === 0 ? 'nobody' : ids.join(', '))
    switch (a.type) {
      case 'kill': {
        const ids = this.resolve(a.targets)
        say(list(this.kill(ids)))
        return
      }
      case 'restart': {
        const ids = this.resolve(a.targets)
        say(list(this.restart(ids)))
        return
      }
      case 'isolate': {
        const ids = this.resolve(a.targets)
        say(list(ids))
        this.isolate(ids)
        return
      }
      case 'partition': {
        const groups = a.groups.map((g) => this.resolve(g))
        // a member named in two groups after resolution (e.g. "leader | n0") stays in the first
        const seen = new Set<NodeId>()
        const disjoint = groups.map((g) => g.filter((id) => (seen.has(id) ? false : (seen.add(id), true))))
        say(disjoint.map((g) => list(g)).join(' | '))
        this.partition(disjoint)
        return
      }
      case 'cut': {
        const from = this.resolve(a.from)
        const to = this.resolve(a.to)
        say(`${list(from)} -> ${list(to)}`)
        this.cut(from, to)
        return
      }
      case 'heal':
        say('')
        this.heal()
        return
      case 'loss':
        say('')
        this.setLoss(a.probability)
        return
      case 'transfer': {
        const [id] = this.resolve(a.target)
        if (id === undefined) return say('no such member now, skipped')
        const leader = this.leadingMember()
        say(leader === null ? `to ${id}: no leader, skipped` : `asked leader ${leader} to hand over to ${id}`)
        if (leader !== null) this.transfer(id, line.line)
        return
      }
      case 'elect': {
        const [id] = this.resolve(a.target)
        if (id === undefined) return say('no such member now, skipped')
        if (!this.isAlive(id)) return say(`${id} is down, skipped`)
        say(`${id} campaigns for term ${this.highestLiveTerm() + 1}`)
        this.elect(id)
        return
      }
      case 'expect': {
        const p: PendingExpectation = {line, expectation: a.expectation, deadlineMs: this.now + a.withinMs}
        if (this.holds(a.expectation)) this.passExpectation(p)
        else if (a.withinMs === 0) this.failExpectation(p, this.now, this.expectationMiss(a.expectation))
        else this.pending.push(p)
        return
      }
      default:
        assertNeverAction(a)
    }
  }

  private highestLiveTerm(): number {
    let max = 0
    for (const n of this.nodes) if (n.elector !== null) max = Math.max(max, n.elector.view.currTerm)
    return max
  }

  /** Resolves a script target now. `follower(s)`: the live members other than the leader (if one leads), else the live FOLLOWERs. */
  resolve(t: Target): NodeId[] {
    switch (t.kind) {
      case 'ids':
        return [...t.ids]
      case 'leader': {
        const l = this.leadingMember()
        return l === null ? [] : [l]
      }
      case 'followers':
        return this.followers()
      case 'follower': {
        const f = this.followers()
        return f.length === 0 ? [] : [this.faultRng.pick(f)]
      }
      case 'killed':
        return this.ids.filter((id) => !this.isAlive(id))
    }
  }

  private followers(): NodeId[] {
    const leader = this.leadingMember()
    if (leader !== null) return this.ids.filter((id) => id !== leader && this.isAlive(id))
    return this.withRole('FOLLOWER')
  }

  private holds(e: Expectation): boolean {
    const v = this.view
    if (e.kind === 'leader') {
      if (e.leader === 'any') return v.leaderId !== null
      if (e.leader === 'none') return v.leaderId === null
      return v.leaderId !== null && e.leader.includes(v.leaderId)
    }
    if (v.term === null) return false
    switch (e.op) {
      case '>=':
        return v.term >= e.value
      case '>':
        return v.term > e.value
      case '<=':
        return v.term <= e.value
      case '<':
        return v.term < e.value
      case '==':
        return v.term === e.value
      case '!=':
        return v.term !== e.value
    }
  }

  private describeView(): string {
    const v = this.view
    if (v.term === null) return 'every member is down'
    return v.leaderId === null ? `no leader (highest term ${v.term})` : `${v.leaderId} leads term ${v.term}`
  }

  private expectationMiss(e: Expectation): string {
    return `expected ${describeExpectation(e)}, but ${this.describeView()}`
  }

  private checkPending(): void {
    const still: PendingExpectation[] = []
    for (const p of this.pending) {
      if (this.holds(p.expectation)) this.passExpectation(p)
      else still.push(p)
    }
    this.pending = still
  }

  private passExpectation(p: PendingExpectation): void {
    const detail = `${describeExpectation(p.expectation)}: ${this.describeView()} at ${formatTime(this.now)}`
    this.expectations.push({line: p.line.line, ok: true, detail, atMs: this.now})
    this.note('expectation', `line ${p.line.line}: expect ${describeExpectation(p.expectation)} → ok (${this.describeView()})`)
    this.emitTrace({kind: 'expectation', line: p.line.line, ok: true, detail})
  }

  private failExpectation(p: PendingExpectation, atMs: number, why: string): void {
    const within = p.deadlineMs > p.line.atMs ? ` within ${formatTime(p.deadlineMs - p.line.atMs)}` : ''
    const detail = `${why}${within ? ` (checked from ${formatTime(p.line.atMs)}${within})` : ` at ${formatTime(atMs)}`}`
    this.expectations.push({line: p.line.line, ok: false, detail, atMs})
    this.timeline.push({atMs, kind: 'expectation', text: `line ${p.line.line}: expect ${describeExpectation(p.expectation)}${within} → FAILED: ${why}`})
    if (this.trace) this.trace({ts: new Date(atMs).toISOString(), atMs, kind: 'expectation', line: p.line.line, ok: false, detail})
  }
}

function assertNeverAction(a: never): never {
  throw new Error(`unknown script action ${JSON.stringify(a as Action)}`)
}
