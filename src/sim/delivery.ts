/**
 * The simulated members and the ONE delivery path of their core steps: N real election cores
 * (`Elector`) and ledgers (`Replicator`) on a simulated clock, network and disk, all chosen by one
 * seed. Every step goes persist → route → log → check. A request to a crashed member is refused:
 * the sender's side answers NETWORK_ERROR after one delay. A cut, a partition or loss drops a
 * message silently, so the core's own round deadlines fire. The cluster (cluster.ts) adds the
 * faults and the commands on top; the client's requests and answers are in client.ts.
 */
import {Elector, type StepOutput} from '../core/elector.js'
import {feedElector} from '../core/ledger-feed.js'
import {Replicator, type ReplicatorOutput} from '../core/replicator.js'
import {buildSettings, type Peer} from '../core/settings.js'
import {isRequest, networkErrorResponse, type NodeId, type Request} from '../core/types.js'

import {Checkers, type Violation} from './checkers.js'
import {SimClient} from './client.js'
import {Disk} from './disk.js'
import {type DropReason, type InFlight, Network, type SimMessage} from './network.js'
import {Observer} from './observer.js'
import {DEFAULT_DELAY_MS, type SimOptions, SimOptionsError, type TraceLine, validateSimOptions} from './options.js'
import {Rng} from './random.js'
import {type ClientAppend, CLIENT_ID, isPush, type MessageCounts, nextTickMs, type SimNode, SimulationError} from './sim-node.js'

export class DeliveryPath {
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

  protected readonly nodes: SimNode[]
  private readonly byId = new Map<NodeId, SimNode>()
  private readonly traceSink: ((line: TraceLine) => void) | undefined
  private readonly maxStepsPerMs: number
  private stepsAtMs = 0
  private stepsAtMsTime = -1
  /** the simulated client (`elect`, `transfer-leader`, `append`) */
  protected readonly client: SimClient

  constructor(options: SimOptions) {
    const problems = validateSimOptions(options)
    if (problems.length > 0) throw new SimOptionsError(problems)
    this.options = options
    this.disk = options.disk ?? new Disk()
    this.seed = options.seed
    this.ids = Array.from({length: options.nodes}, (_, i) => `n${i}`)
    this.peers = this.ids.map((id, i) => ({id, host: 'sim', port: 20911 + i, address: `sim:${20911 + i}`}))
    this.network = new Network(new Rng(options.seed, 'net'), {delayMs: options.delayMs ?? DEFAULT_DELAY_MS, lossProbability: options.lossProbability ?? 0}, new Rng(options.seed, 'late'))
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

  /** client appends acknowledged SUCCESS / refused or failed */
  get appends(): {acked: number; failed: number} {
    return this.client.appends
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

  // ---------------------------------------------------------------- the clock and the delivery path

  /** Moves the clock (never back); counts steps per millisecond against the safety valve. */
  protected moveClock(t: number): void {
    if (t !== this.stepsAtMsTime) {
      this.stepsAtMsTime = t
      this.stepsAtMs = 0
    }
    this.now = t
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
  protected handle(n: SimNode, m: SimMessage | ClientAppend): void {
    if (n.elector === null) return
    if (m.kind === 'ClientAppend') this.applyLedger(n, (n.replicator as Replicator).append(m.bodies, m.ticket, this.now))
    else if (isPush(m)) this.applyLedger(n, (n.replicator as Replicator).receive(m, this.now))
    else this.apply(n, n.elector.receive(m, this.now))
  }

  /** Called after every core step, once the step is persisted, routed, logged and checked. */
  protected afterStep(): void {}

  /** The one delivery path of a core step: persist, then route, then log; then the checkers. */
  protected apply(n: SimNode, out: StepOutput): void {
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
  protected applyLedger(n: SimNode, out: ReplicatorOutput, recovering = false): void {
    const r = n.replicator
    const e = n.elector
    if (r === null || e === null) return
    const logChanged = out.truncateFrom !== null || out.append.length > 0
    if (logChanged) {
      this.disk.writeLog(n.id, out.truncateFrom, out.append)
      this.trace({kind: 'ledger', node: n.id, truncateFrom: out.truncateFrom, appended: out.append.length, ledgerEndIndex: r.ledgerEndIndex, ledgerEndTerm: r.ledgerEndTerm})
      this.recordViolations(this.checkers.observe({kind: 'log', node: n.id, truncateFrom: out.truncateFrom, append: out.append}, this.now))
    }
    if (n.role === 'LEADER') this.recordViolations(this.checkers.observe({kind: 'marks', node: n.id, term: n.term, marks: r.waterMarks()}, this.now))
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
    const item = this.network.enqueue(this.now + this.network.drawDelay() + this.network.extraDelay(from, to) + this.network.drawLate(), from, to, m)
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

  protected drop(from: NodeId, to: NodeId, m: SimMessage, reason: DropReason, atSend = false): void {
    this.messages.dropped++
    if (this.traceSink) this.trace({kind: 'message', from, to, fate: reason, ...(atSend ? {} : {inFlight: true}), message: m})
  }

  // ---------------------------------------------------------------- internals

  /** Writes a trace line (when tracing) at the current simulated time, or at `atMs`. */
  trace(fields: Record<string, unknown> & {kind: string}, atMs = this.now): void {
    if (this.traceSink === undefined) return
    this.traceSink({ts: new Date(atMs).toISOString(), atMs, ...fields})
  }

  protected node(id: NodeId): SimNode {
    const n = this.byId.get(id)
    if (n === undefined) throw new RangeError(`unknown member "${id}"`)
    return n
  }

  protected launch(n: SimNode): void {
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

  /** Tells the observer the highest term of a live member and the live leader of that term. */
  protected refreshView(): void {
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
