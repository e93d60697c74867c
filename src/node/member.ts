/**
 * The member runtime (`dledger start`): hosts one election core and does its I/O.
 *
 * The loop, for every input (a tick of the monotonic clock, a peer's message, a peer's answer or
 * a synthetic NETWORK_ERROR, an admin command):
 *   step the core → write the durable record, and only if that succeeded send the messages →
 *   append the events to the vote log (architecture.md "How the core is driven", spec S1).
 * A failed record write sends nothing and stops the member (fail-stop): continuing could hand
 * out a vote that a restart forgets.
 *
 * Inputs are queued while a step runs (a send can produce an immediate NETWORK_ERROR), so the
 * core is never re-entered. No exception escapes into the event loop: each is logged and counted.
 */
import {chmodSync, mkdirSync, readFileSync} from 'node:fs'

import {Elector, type StepOutput} from '../core/elector.js'
import type {VoteLogEvent} from '../core/events.js'
import {MAX_TERM} from '../core/limits.js'
import {type Settings, validateSettings} from '../core/settings.js'
import {isRequest, type Message, type NodeId, type Request} from '../core/types.js'
import {type AdminRequest, type AdminResponse, encodeFrame, type LogEventFrame, parseFrame} from '../wire/frames.js'
import {STOP_SIGNALS, STOP_WITHOUT_HANDOFF_SIGNAL} from '../wire/signals.js'
import type {MemberStatus} from '../wire/status.js'
import {type Clock, realClock, Ticker} from './clock.js'
import {DataDirLock} from './data-dir-lock.js'
import {errorMessage, StartupError} from './errors.js'
import {FaultLayer, handleFaultsOp} from './fault-layer.js'
import {createLogger, type Logger} from './logger.js'
import {type DropReason, Metrics} from './metrics.js'
import {RoleHookRunner} from './role-hook.js'
import {type InboundConnection, MemberServer} from './server.js'
import {type DurableStore, StateStore} from './state-store.js'
import {Transport} from './transport.js'
import {describeIds, PreferredStore} from './preferred-store.js'
import {rollbackProblem, ROLLBACK_HINT} from './rollback.js'
import {newestLoggedVote, VoteLog} from './vote-log.js'

export {StartupError} from './errors.js'

export interface MemberOptions {
  /** from buildSettings(), already validated (validated again before anything listens) */
  settings: Settings
  /** created if missing (mkdir -p) */
  dataDir: string
  /** cluster token; undefined = no auth */
  token?: string
  /** shell command run (not awaited) on every role change, with DLEDGER_* variables describing it */
  onRoleChange?: string
  /**
   * start even when the vote log proves the term/vote record was rolled back or lost (the
   * operator knows this member may vote again in those terms); default false: refuse
   */
  acceptRolledBackState?: boolean
  /** default: a stderr logger named after the member id */
  log?: Logger
  // ---- for tests and embedding
  clock?: Clock
  random?: () => number
  /** default: StateStore(dataDir) */
  stateStore?: DurableStore
  /** default 10 MiB */
  voteLogMaxBytes?: number
}

export interface RunningMember {
  readonly settings: Settings
  /** the port the member listens on */
  readonly port: number
  readonly dataDir: string
  /** the same object GET /status returns */
  status(): MemberStatus
  /**
   * Clean stop: close the server and peer sockets, flush the vote log; idempotent. With
   * `handoff`, a leader first transfers leadership to its most caught-up live follower (spec §2)
   * and waits for the outcome (at most the transfer deadline) before it closes anything.
   */
  stop(options?: StopOptions): Promise<void>
  /** settles when the member has stopped: null after stop(), the cause after a fail-stop */
  readonly closed: Promise<Error | null>
}

export interface StopOptions {
  /** a leader hands leadership to its most caught-up live follower first (default false) */
  handoff?: boolean
}

/** Starts a member; resolves once it listens. Throws StartupError (one line + hint) when it cannot. */
export async function startMember(opts: MemberOptions): Promise<RunningMember> {
  const member = new Member(opts)
  await member.start()
  return member
}

/** How long an inbound request's route back to its socket is kept (deferred transfer answers). */
const ROUTE_TTL_MS = 60_000
const MAX_ROUTES = 4096
/** The admin error code of a term above MAX_TERM (the drop reason has the same name). */
const TERM_OUT_OF_RANGE = 'TERM_OUT_OF_RANGE'
/** At most one warning per drop reason in this period; the rest go to debug. */
const DROP_WARN_EVERY_MS = 10_000
/** A stopping leader's hand-off is tried at most this often, all within one transfer deadline. */
const HANDOFF_ATTEMPTS = 3

export const VERSION = readVersion()

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version?: unknown}
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

interface Route {
  conn: InboundConnection
  expiresAtMs: number
}

class Member implements RunningMember {
  readonly settings: Settings
  readonly dataDir: string
  port = 0
  readonly closed: Promise<Error | null>

  private readonly log: Logger
  private readonly clock: Clock
  private readonly store: DurableStore
  private readonly preferredStore: PreferredStore
  private readonly voteLog: VoteLog
  private readonly roleHook: RoleHookRunner | null
  private readonly peerIds: ReadonlySet<NodeId>
  private readonly address: string
  private readonly host: string
  private core!: Elector
  private metrics!: Metrics
  private server!: MemberServer
  private transport!: Transport
  private ticker!: Ticker
  private readonly routes = new Map<string, Route>()
  private readonly subscriptions = new Map<InboundConnection, () => void>()
  private readonly queue: {fn: (nowMs: number) => StepOutput; what: string}[] = []
  private draining = false
  private state: 'new' | 'running' | 'stopped' = 'new'
  private stopping: Promise<void> | null = null
  private resolveClosed!: (cause: Error | null) => void
  private startedAtMs = 0
  private startedAtIso = ''
  private readonly lastDropWarnMs = new Map<string, number>()
  private lock: DataDirLock | null = null
  /** injected network faults on peer traffic (`dledger fault`); volatile */
  private readonly faults: FaultLayer

  constructor(private readonly opts: MemberOptions) {
    this.settings = opts.settings
    this.dataDir = opts.dataDir
    this.log = opts.log ?? createLogger({name: opts.settings.selfId})
    this.clock = opts.clock ?? realClock()
    this.store = opts.stateStore ?? new StateStore(opts.dataDir)
    this.preferredStore = new PreferredStore(opts.dataDir)
    this.voteLog = new VoteLog({
      dir: opts.dataDir,
      toIso: (ms) => this.clock.toIso(ms),
      maxBytes: opts.voteLogMaxBytes,
      log: this.log,
      onWriteError: () => this.metrics && this.metrics.voteLogWriteFailures++,
    })
    // --on-role-change: bounded, one run at a time, never blocking the loop (role-hook.ts)
    this.roleHook = opts.onRoleChange !== undefined && opts.onRoleChange.trim() !== '' ? new RoleHookRunner({command: opts.onRoleChange, log: this.log}) : null
    this.peerIds = new Set(opts.settings.peers.map((p) => p.id))
    this.faults = new FaultLayer(opts.random, this.peerIds)
    const self = opts.settings.peers.find((p) => p.id === opts.settings.selfId)
    this.address = self?.address ?? ''
    this.host = self?.host ?? '127.0.0.1'
    this.port = self?.port ?? 0
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
  }

  // ---------------------------------------------------------------- life cycle

  async start(): Promise<void> {
    const s = this.settings
    // everything is checked before anything listens (spec S3)
    const problems = validateSettings(s)
    if (!this.peerIds.has(s.selfId)) problems.push(`self id "${s.selfId}" is not in peers`)
    if (problems.length > 0) throw new StartupError(`invalid settings: ${problems.join('; ')}`)
    try {
      mkdirSync(this.dataDir, {recursive: true, mode: 0o700})
    } catch (error) {
      throw new StartupError(`cannot create the data directory ${this.dataDir}: ${errorMessage(error)}`, 'Pick a writable --data-dir.')
    }
    // nothing in the directory is read or written before this process holds its lock
    this.lock = DataDirLock.acquire(this.dataDir)
    try {
      await this.startLocked()
    } catch (error) {
      this.lock.release()
      throw error
    }
  }

  private async startLocked(): Promise<void> {
    const s = this.settings
    try {
      chmodSync(this.dataDir, 0o700) // the record and logs are this member's alone
    } catch (error) {
      this.log.warn(`cannot restrict the data directory ${this.dataDir} to its owner: ${errorMessage(error)}`)
    }
    const durable = this.store.load()
    const recordExists = this.store.exists?.() ?? true
    const rolledBack = rollbackProblem(this.store.file, durable, recordExists, newestLoggedVote(this.dataDir))
    if (rolledBack !== null) {
      if (this.opts.acceptRolledBackState !== true) throw new StartupError(rolledBack, ROLLBACK_HINT)
      this.log.warn(`${rolledBack}; starting from the record anyway (--accept-rolled-back-state)`)
    }
    try {
      this.store.write(durable) // proves the directory is writable (temp file, fsync, rename)
    } catch (error) {
      throw new StartupError(`the data directory ${this.dataDir} is not writable: cannot write ${this.store.file}: ${errorMessage(error)}`, 'Pick a writable --data-dir.')
    }
    this.voteLog.open()

    const now = this.clock.now()
    this.startedAtMs = now
    this.startedAtIso = this.clock.toIso(now)
    // a run-time preferred-leader choice (transfer-leader --preferred) survives restarts
    const preferred = this.preferredStore.resolve(s.preferredLeaderIds, this.peerIds)
    if (preferred.note !== undefined) this.log.warn(preferred.note)
    if (preferred.source === 'record') this.log.info(`preferred leaders ${describeIds(preferred.preferredLeaderIds)} (set at run time, from ${this.preferredStore.file})`)
    this.core = new Elector({...s, preferredLeaderIds: preferred.preferredLeaderIds}, durable, this.opts.random ?? Math.random, now)
    const snap = this.core.snapshot(now)
    this.metrics = new Metrics({term: snap.term, role: snap.role, leaderId: snap.leaderId}, now, s.peers.filter((p) => p.id !== s.selfId).map((p) => p.id))
    const pingIntervalMs = Math.max(1000, s.heartbeatIntervalMs)
    this.server = new MemberServer({
      host: this.host,
      port: this.port,
      token: this.opts.token,
      peerIds: s.peers.map((p) => p.id).filter((id) => id !== s.selfId),
      pingIntervalMs,
      log: this.log,
      handlers: {
        status: () => this.status(),
        metrics: () => this.metrics.render(this.clock.now(), {node: s.selfId, group: s.group, version: VERSION}),
        onConnection: (conn) => this.onConnection(conn),
        onFrame: (conn, data) => this.onFrame(conn, data),
        onClose: (conn) => this.onConnectionClosed(conn),
        onOversized: (conn) => this.dropped('oversized', `a frame over 1 MiB from ${describe(conn)}`),
        onDropped: (conn, reason) => this.dropped(reason, `a ${reason} frame from ${describe(conn)}`),
        onThrottled: () => this.metrics.throttled++,
        onJunkClosed: (conn) => {
          this.metrics.junkClosed++
          this.log.warn(`closed the connection from ${describe(conn)}: it keeps sending unusable frames`)
        },
        onUnauthorized: () => this.metrics.unauthorized++,
        onInternalError: () => this.metrics.internalErrors++,
      },
    })
    try {
      this.port = await this.server.listen()
    } catch (error) {
      this.voteLog.close()
      await this.server.close().catch(() => undefined)
      throw error
    }
    this.transport = new Transport({
      selfId: s.selfId,
      group: s.group,
      token: this.opts.token,
      peers: s.peers,
      rpcTimeoutMs: s.rpcTimeoutMs,
      pingIntervalMs,
      log: this.log,
      random: this.opts.random,
      faults: this.faults,
      onResponse: (resp, info) => {
        if (info.synthetic) this.metrics.requestFailures++
        else if (resp.kind === 'HeartBeatResponse' && info.rttMs !== null) this.metrics.heartbeatRtt(info.rttMs)
        this.input((t) => this.core.receive(resp, t), resp.kind)
      },
      onDropped: (reason) => this.dropped(reason, 'on an outbound connection'),
      onPeerState: (peer, connected) => this.metrics.setPeerConnected(peer, connected),
    })
    this.ticker = new Ticker({
      clock: this.clock,
      tickMs: s.tickMs,
      nextDeadlineMs: () => this.core.nextDeadlineMs(),
      onTick: () => this.input((t) => this.core.tick(t), 'tick'),
    })
    this.state = 'running'
    // `dledger start` prints the one user-facing "listening" line on stdout
    this.log.debug(`member ${s.selfId} of group ${s.group} listening on ${this.host}:${this.port}`, {
      term: durable.currTerm,
      votedFor: durable.currVoteFor,
      peers: s.peers.length,
      dataDir: this.dataDir,
      auth: this.opts.token ? 'token' : 'none',
    })
    this.transport.start()
    this.ticker.start()
    this.input((t) => this.core.tick(t), 'tick')
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping === null) this.stopping = (options.handoff ? this.handOff() : Promise.resolve()).then(() => this.shutdown(null))
    return this.stopping
  }

  /** A leader's last act (spec §2): transfer leadership, then let the caller stop. Never throws. */
  private async handOff(): Promise<void> {
    try {
      if (this.state !== 'running') return
      const deadline = this.clock.now() + this.settings.leadershipTransferTimeoutMs + 100
      let target: NodeId | null = null
      // a transferee that loses DLedger's take-leadership race leaves this member leading the next
      // term (TAKE_LEADERSHIP_FAILED): nothing changed hands, so try again within the one deadline
      for (let attempt = 1; attempt <= HANDOFF_ATTEMPTS && this.state === 'running' && this.clock.now() < deadline; attempt++) {
        target = this.core.mostCaughtUpFollower()
        if (target === null) break
        const first = attempt === 1
        this.log.info(first ? `stopping: handing leadership to ${target} first` : `stopping: the hand-off did not complete; handing leadership to ${target} again`)
        this.input((t) => this.core.transferLeadership(target!, t), 'handoff')
        while (this.state === 'running' && this.core.transferInProgress && this.clock.now() < deadline) await new Promise((r) => setTimeout(r, 5))
        if (this.core.snapshot(this.clock.now()).role !== 'LEADER') break
      }
      if (target === null) return
      const snap = this.core.snapshot(this.clock.now())
      if (snap.role === 'LEADER') this.log.warn(`the hand-off to ${target} did not complete; stopping anyway`)
      else this.log.info(`handed leadership to ${snap.leaderId ?? target} in term ${snap.term}`)
    } catch (error) {
      this.log.warn(`hand-off failed: ${errorMessage(error)}`)
    }
  }

  private async shutdown(cause: Error | null): Promise<void> {
    const wasRunning = this.state === 'running'
    this.state = 'stopped'
    this.queue.length = 0
    try {
      this.ticker?.stop()
      this.transport?.close()
      for (const unsubscribe of this.subscriptions.values()) unsubscribe()
      this.subscriptions.clear()
      await this.server?.close()
      await this.roleHook?.close()
    } catch (error) {
      this.log.warn('error while stopping', {error: errorMessage(error)})
    } finally {
      this.voteLog.close()
      this.lock?.release()
      if (wasRunning && cause === null) this.log.info(`member ${this.settings.selfId} stopped`)
      this.resolveClosed(cause)
    }
  }

  /** Stops the member because continuing would be unsafe (the durable record cannot be written). */
  private failStop(cause: Error): void {
    if (this.stopping !== null) return
    this.log.error(`stopping: ${cause.message}`)
    this.stopping = this.shutdown(cause)
  }

  // ---------------------------------------------------------------- the loop

  /** Queues one core input and runs the queue unless a step is already running. */
  private input(fn: (nowMs: number) => StepOutput, what: string): void {
    if (this.state !== 'running') return
    this.queue.push({fn, what})
    if (this.draining) return
    this.draining = true
    try {
      for (let next = this.queue.shift(); next !== undefined && this.state === 'running'; next = this.queue.shift()) this.runStep(next.fn, next.what)
    } finally {
      this.draining = false
    }
    if (this.state === 'running') this.ticker.poke()
  }

  private runStep(fn: (nowMs: number) => StepOutput, what: string): void {
    const now = this.clock.now()
    let out: StepOutput
    try {
      out = fn(now)
    } catch (error) {
      this.internalError(`the core failed on ${what}`, error)
      return
    }
    // spec S1: the record is on disk before any message that depends on it leaves
    if (out.persist !== null) {
      if (this.lock !== null && !this.lock.held()) {
        this.failStop(new Error(`the lock ${this.lock.file} is no longer this member's; another process took the data directory; nothing was sent`))
        return
      }
      try {
        this.store.write(out.persist)
      } catch (error) {
        this.metrics.persistFailures++
        this.failStop(new Error(`cannot write the term/vote record ${this.store.file}: ${errorMessage(error)}; nothing was sent`))
        return
      }
    }
    for (const m of out.messages) {
      try {
        this.route(m)
      } catch (error) {
        this.internalError(`cannot send ${m.kind} to ${m.remoteId}`, error)
      }
    }
    if (out.events.length > 0) this.onEvents(out.events)
    try {
      const snap = this.core.snapshot(now)
      this.metrics.observe({term: snap.term, role: snap.role, leaderId: snap.leaderId}, now)
    } catch (error) {
      this.internalError('cannot read the core state', error)
    }
  }

  /** Requests go to the peer named by remoteId; responses go back on the socket their request came in on. */
  private route(m: Message): void {
    if (isRequest(m)) {
      this.transport.send(m)
      return
    }
    const key = routeKey(m.localId, m.reqId)
    const route = this.routes.get(key)
    if (route === undefined) {
      this.log.debug(`no connection to answer ${m.kind} ${m.reqId} for ${m.localId} on (it closed)`)
      return
    }
    this.routes.delete(key)
    this.faults.send(m.localId, () => {
      if (!route.conn.send(encodeFrame(m))) this.log.debug(`could not answer ${m.localId}: its connection is gone`)
    })
  }

  private onEvents(events: VoteLogEvent[]): void {
    this.metrics.onEvents(events)
    try {
      this.voteLog.append(events)
    } catch (error) {
      this.internalError('cannot append to the vote log', error)
    }
    for (const e of events) {
      switch (e.type) {
        case 'ROLE_CHANGE':
          this.log.info(`${e.from} -> ${e.to} in term ${e.term}: ${e.reason}`, {leader: e.leaderId ?? undefined})
          this.roleHook?.notify({
            id: e.node,
            group: this.settings.group,
            role: e.to,
            previousRole: e.from,
            term: e.term,
            leaderId: e.leaderId,
            reason: e.reason,
          })
          break
        case 'LEADERSHIP_TRANSFER':
          this.log.info(`leadership transfer to ${e.transferee}: ${e.phase}`, {code: e.code, detail: e.detail})
          break
        case 'HEARTBEAT_TIMEOUT':
        case 'HEARTBEAT_QUORUM_LOST':
          this.log.info(e.type === 'HEARTBEAT_TIMEOUT' ? `no heartbeat from ${e.leaderId ?? 'the leader'} for ${e.lastHeartbeatAgoMs} ms` : `lost the heartbeat quorum: ${e.reason}`)
          break
        default:
          if (this.log.enabled('debug')) this.log.debug(e.type, {term: e.term})
      }
    }
  }

  private internalError(what: string, error: unknown): void {
    this.metrics.internalErrors++
    this.log.error(`${what}: ${errorMessage(error)}`)
    if (this.log.enabled('debug') && error instanceof Error && error.stack) this.log.debug(error.stack)
  }

  // ---------------------------------------------------------------- inbound

  private onConnection(conn: InboundConnection): void {
    this.log.debug(`connection from ${describe(conn)}`)
    // a member that connects to us is up: reconnect to it now instead of waiting out a backoff
    if (conn.name !== null && this.peerIds.has(conn.name) && conn.name !== this.settings.selfId) this.transport?.nudge(conn.name)
  }

  private onConnectionClosed(conn: InboundConnection): void {
    this.subscriptions.get(conn)?.()
    this.subscriptions.delete(conn)
    for (const [key, route] of this.routes) if (route.conn === conn) this.routes.delete(key)
  }

  private onFrame(conn: InboundConnection, data: Parameters<typeof parseFrame>[0]): void {
    if (this.state !== 'running') return
    const parsed = parseFrame(data)
    if (!parsed.ok) {
      this.dropped(parsed.reason, `${parsed.detail} from ${describe(conn)}`)
      if (parsed.kind === 'AdminRequest' && parsed.reqId !== undefined)
        this.adminReply(conn, parsed.reqId, {ok: false, code: parsed.reason === 'term_out_of_range' ? TERM_OUT_OF_RANGE : 'UNEXPECTED_ARGUMENT', error: parsed.detail})
      conn.junk()
      return
    }
    const frame = parsed.frame
    switch (frame.kind) {
      case 'VoteRequest':
      case 'HeartBeatRequest':
      case 'LeadershipTransferRequest':
        if (!this.admit(conn, frame) || this.faults.dropsInbound(frame.localId)) return
        this.remember(conn, frame)
        this.input((t) => this.core.receive(frame, t), frame.kind)
        return
      case 'AdminRequest':
        this.admin(conn, frame)
        return
      default:
        this.dropped('unexpected', `a ${frame.kind} on an inbound connection from ${describe(conn)}`)
    }
  }

  /**
   * Election requests must come from a member (and the one the connection named); a client
   * (the CLI, no member name) may only ask for a leadership transfer. A request for another
   * group is still answered by the core (UNKNOWN_GROUP, as DLedger does), and counted.
   */
  private admit(conn: InboundConnection, req: Request): boolean {
    const self = this.settings.selfId
    const named = conn.name !== null && conn.name !== self && this.peerIds.has(conn.name) ? conn.name : null
    if (req.kind !== 'LeadershipTransferRequest' || named !== null) {
      if (!this.peerIds.has(req.localId) || req.localId === self || (named !== null && req.localId !== named)) {
        this.dropped('non_member', `${req.kind} from "${req.localId}" on a connection from ${describe(conn)}`)
        return false
      }
    }
    if (req.group !== this.settings.group) this.dropped('wrong_group', `${req.kind} for group "${req.group}" from ${describe(conn)} (answered UNKNOWN_GROUP)`)
    return true
  }

  private remember(conn: InboundConnection, req: Request): void {
    const now = this.clock.now()
    // routes are inserted in expiry order: drop the expired ones from the front, and the oldest when full
    for (const [key, route] of this.routes) {
      if (route.expiresAtMs > now && this.routes.size < MAX_ROUTES) break
      this.routes.delete(key)
    }
    const key = routeKey(req.localId, req.reqId)
    this.routes.delete(key)
    this.routes.set(key, {conn, expiresAtMs: now + ROUTE_TTL_MS})
  }

  private dropped(reason: DropReason, detail: string): void {
    this.metrics.drop(reason)
    const now = this.clock.now()
    const last = this.lastDropWarnMs.get(reason)
    if (last === undefined || now - last >= DROP_WARN_EVERY_MS) {
      this.lastDropWarnMs.set(reason, now)
      this.log.warn(`dropped a message (${reason}): ${detail}`)
    } else {
      this.log.debug(`dropped a message (${reason}): ${detail}`)
    }
  }

  // ---------------------------------------------------------------- admin

  private adminReply(conn: InboundConnection, reqId: string, body: Omit<AdminResponse, 'kind' | 'reqId'>): void {
    conn.send(encodeFrame({kind: 'AdminResponse', reqId, ...body}))
  }

  private admin(conn: InboundConnection, req: AdminRequest): void {
    const reply = (body: Omit<AdminResponse, 'kind' | 'reqId'>) => this.adminReply(conn, req.reqId, body)
    const s = this.settings
    if (req.group !== undefined && req.group !== s.group) {
      this.dropped('wrong_group', `AdminRequest for group "${req.group}" from ${describe(conn)}`)
      return reply({ok: false, code: 'UNKNOWN_GROUP', error: `this member is in group "${s.group}", not "${req.group}"`})
    }
    const now = this.clock.now()
    const before = this.core.snapshot(now)
    const after = () => {
      const snap = this.core.snapshot(this.clock.now())
      return {term: snap.term, role: snap.role, leaderId: snap.leaderId}
    }
    switch (req.op) {
      case 'status':
        return reply({ok: true, result: this.status()})
      case 'revote': {
        const term = req.term ?? before.term + 1
        if (term > MAX_TERM) {
          this.dropped('term_out_of_range', `a forced election for term ${term} from ${describe(conn)}`)
          return reply({ok: false, code: TERM_OUT_OF_RANGE, error: `term ${term} is above the largest term ${MAX_TERM}`})
        }
        if (term < before.term) return reply({ok: false, code: 'UNEXPECTED_ARGUMENT', error: `term ${term} is older than the current term ${before.term}`})
        this.log.info(`forced election for term ${term} requested by ${describe(conn)}`)
        this.input((t) => this.core.revote(term, t), 'revote')
        return reply({ok: true, result: after()})
      }
      case 'stepDown':
        if (before.role !== 'LEADER') return reply({ok: false, code: 'NOT_LEADER', error: `${s.selfId} is ${before.role}, not the leader`, result: after()})
        this.log.info(`step down requested by ${describe(conn)}`)
        this.input((t) => this.core.stepDown(t), 'stepDown')
        return reply({ok: true, result: after()})
      case 'setPreferredLeaders': {
        const unknown = req.ids.filter((id) => !this.peerIds.has(id))
        if (unknown.length > 0) return reply({ok: false, code: 'UNKNOWN_MEMBER', error: `not members: ${unknown.join(', ')}`})
        // durable before it is applied or acknowledged, so a restart keeps it
        try {
          this.preferredStore.write({preferredLeaderIds: req.ids, configured: s.preferredLeaderIds})
        } catch (error) {
          return reply({ok: false, code: 'DISK_ERROR', error: `cannot write ${this.preferredStore.file}: ${errorMessage(error)}`})
        }
        this.log.info(`preferred leaders set to ${describeIds(req.ids)} by ${describe(conn)}`)
        this.input((t) => this.core.setPreferredLeaders(req.ids, t), 'setPreferredLeaders')
        const preferred = this.core.snapshot(this.clock.now()).preferredLeaderIds
        return reply({ok: true, result: {preferred: preferred.length > 0 ? preferred.join(';') : null}})
      }
      case 'subscribeLog': {
        const types = req.types && req.types.length > 0 ? req.types : undefined
        reply({ok: true, result: {events: this.voteLog.tail(req.tail ?? 0, types)}})
        if (req.follow === false) return
        this.subscriptions.get(conn)?.()
        const unsubscribe = this.voteLog.subscribe((event) => {
          if (types && !types.includes(event.type)) return
          const frame: LogEventFrame = {kind: 'LogEvent', event}
          if (!conn.send(encodeFrame(frame))) {
            unsubscribe()
            this.subscriptions.delete(conn)
          }
        })
        this.subscriptions.set(conn, unsubscribe)
        return
      }
      case 'faults':
        return reply(
          handleFaultsOp(this.faults, req.set, {
            selfId: s.selfId,
            peerIds: this.peerIds,
            by: describe(conn),
            log: this.log,
            record: (faults) => this.onEvents([{type: 'FAULTS', faults, by: describe(conn), atMs: now, node: s.selfId, term: before.term}]),
          }),
        )
      default: {
        const never: never = req
        return reply({ok: false, code: 'UNSUPPORTED', error: `unknown op ${JSON.stringify((never as {op?: unknown}).op)}`})
      }
    }
  }

  // ---------------------------------------------------------------- status and hooks

  status(): MemberStatus {
    const now = this.clock.now()
    const snap = this.core.snapshot(now)
    return {
      id: snap.id,
      address: this.address,
      reachable: true,
      pid: process.pid,
      role: snap.role,
      term: snap.term,
      leaderId: snap.leaderId,
      votedFor: snap.votedFor,
      ledgerEndIndex: snap.ledgerEndIndex,
      ledgerEndTerm: snap.ledgerEndTerm,
      committedIndex: snap.committedIndex,
      preferred: snap.preferredLeaderIds.length > 0 ? snap.preferredLeaderIds.join(';') : null,
      lastHeartbeatAgoMs: snap.lastHeartbeatAgoMs === null ? null : Math.round(snap.lastHeartbeatAgoMs),
      error: null,
      group: snap.group,
      knownMaxTermInGroup: snap.knownMaxTermInGroup,
      transferee: snap.transferee,
      startedAt: this.startedAtIso,
      uptimeMs: Math.round(now - this.startedAtMs),
      version: VERSION,
      faults: this.faults.current(),
    }
  }

}

function routeKey(requester: string, reqId: string): string {
  return `${requester}\u0000${reqId}`
}

function describe(conn: InboundConnection): string {
  return conn.name === null ? conn.remote : `${conn.name} (${conn.remote})`
}

/**
 * Runs a started member until SIGINT or SIGTERM (then stops it cleanly, handing off leadership
 * first when `handoff` is set), SIGUSR2 (a clean stop without the hand-off, what
 * `dledger down --no-handoff` sends; src/wire/signals.ts) or until it fail-stops.
 * The second argument is a Logger or `{handoff?, log?}`.
 * Resolves with the process exit code: 0 after a signal, 1 after a fail-stop. A second signal
 * while stopping exits at once with 1.
 */
export function runUntilStopped(member: RunningMember, logOrOptions: Logger | (StopOptions & {log?: Logger}) = {}): Promise<number> {
  const options: StopOptions & {log?: Logger} = isLogger(logOrOptions) ? {log: logOrOptions} : logOrOptions
  const log = options.log ?? createLogger({name: member.settings.selfId})
  return new Promise((resolve) => {
    let signalled = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn(`${signal} again: exiting without waiting`)
        process.exit(1)
      }
      signalled = true
      const handoff = options.handoff === true && signal !== STOP_WITHOUT_HANDOFF_SIGNAL
      log.info(`${signal}: stopping${options.handoff === true && !handoff ? ' without a leadership hand-off' : ''}`)
      void member.stop({handoff})
    }
    const signals = [...STOP_SIGNALS, STOP_WITHOUT_HANDOFF_SIGNAL]
    for (const s of signals) process.on(s, onSignal)
    void member.closed.then((cause) => {
      for (const s of signals) process.off(s, onSignal)
      resolve(cause === null ? 0 : 1)
    })
  })
}

function isLogger(v: unknown): v is Logger {
  return typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function' && typeof (v as Logger).child === 'function'
}
