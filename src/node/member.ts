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
import {chmodSync, mkdirSync} from 'node:fs'

import {Elector, type StepOutput} from '../core/elector.js'
import type {VoteLogEvent} from '../core/events.js'
import type {PushEntryResponse} from '../core/push.js'
import {type Settings, validateSettings} from '../core/settings.js'
import {isRequest, type Message, type NodeId} from '../core/types.js'
import {memberStatus, type MemberStatus} from '../wire/status.js'
import {AdminHandler} from './admin.js'
import {type Clock, realClock, Ticker} from './clock.js'
import {DataDirLock} from './data-dir-lock.js'
import {errorMessage, StartupError} from './errors.js'
import {FaultLayer} from './fault-layer.js'
import {createLogger, type Logger} from './logger.js'
import {HandOff} from './handoff.js'
import {Inbound} from './inbound.js'
import {Metrics} from './metrics.js'
import {narrate} from './event-notes.js'
import {type LedgerHost, Replication} from './replication.js'
import {RoleHookRunner} from './role-hook.js'
import {MemberServer} from './server.js'
import {type DurableStore, StateStore} from './state-store.js'
import {Transport} from './transport.js'
import {describeIds, PreferredStore} from './preferred-store.js'
import {loadCheckedRecord} from './rollback.js'
import {VERSION} from './version.js'
import {VoteLog} from './vote-log.js'

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
  private ledger: Replication | null = null
  private readonly ledgerHost: LedgerHost = {
    elector: () => this.core,
    sendPush: (req) => this.transport.send(req),
    answerPush: (resp) => this.route(resp),
    failStop: (cause) => this.failStop(cause),
    internalError: (what, error) => this.internalError(what, error),
  }
  private metrics!: Metrics
  private server!: MemberServer
  private transport!: Transport
  private ticker!: Ticker
  private readonly admin: AdminHandler
  private readonly inbound: Inbound
  private readonly handOff: HandOff
  private readonly queue: {fn: (nowMs: number) => StepOutput; what: string}[] = []
  private draining = false
  private state: 'new' | 'running' | 'stopped' = 'new'
  private stopping: Promise<void> | null = null
  private resolveClosed!: (cause: Error | null) => void
  private startedAtMs = 0
  private startedAtIso = ''
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
    // what admin, the inbound side and the hand-off share of their member
    const shared = {
      settings: this.settings,
      log: this.log,
      clock: this.clock,
      peerIds: this.peerIds,
      faults: this.faults,
      core: () => this.core,
      input: (fn: (nowMs: number) => StepOutput, what: string) => this.input(fn, what),
      ledger: () => this.ledger,
      running: () => this.state === 'running',
    }
    this.admin = new AdminHandler({
      ...shared,
      preferredStore: this.preferredStore,
      voteLog: this.voteLog,
      ledgerInput: (run, what) => {
        const ledger = this.ledger
        if (ledger !== null) this.input(ledger.step(this.ledgerHost, (_r, t) => run(t)), what)
      },
      onEvents: (events) => this.onEvents(events),
      dropped: (reason, detail) => this.inbound.dropped(reason, detail),
      status: () => this.status(),
    })
    this.inbound = new Inbound({...shared, admin: this.admin, ledgerHost: this.ledgerHost, metrics: () => this.metrics, nudge: (peer) => this.transport?.nudge(peer)})
    this.handOff = new HandOff(shared)
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
    const durable = loadCheckedRecord(this.store, this.dataDir, {acceptRolledBack: this.opts.acceptRolledBackState === true, log: this.log})
    const ledger = new Replication(s, this.dataDir, this.log)
    ledger.load(this.clock.now()) // throws StartupError on a corrupt ledger, before anything opens
    this.ledger = ledger
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
        ...this.inbound.serverHandlers(),
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
        if (resp.kind === 'PushEntryResponse') this.input(ledger.step(this.ledgerHost, (r, t) => r.receive(resp, t)), resp.kind)
        else this.input((t) => this.core.receive(resp, t), resp.kind)
      },
      onDropped: (reason) => this.inbound.dropped(reason, 'on an outbound connection'),
      onPeerState: (peer, connected) => this.metrics.setPeerConnected(peer, connected),
    })
    this.ticker = new Ticker({
      clock: this.clock,
      tickMs: s.tickMs,
      nextDeadlineMs: () => Math.min(this.core.nextDeadlineMs(), ledger.replicator.nextDeadlineMs()),
      onTick: () => {
        this.input((t) => this.core.tick(t), 'tick')
        if (ledger.replicator.nextDeadlineMs() <= this.clock.now()) this.input(ledger.step(this.ledgerHost, (r, t) => r.tick(t)), 'ledger tick')
      },
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
    // recovery: the ledger end on disk reaches the elector before its first step (reference §4.1)
    this.input(ledger.step(this.ledgerHost, (r, t) => r.observe(this.core.roleView, t), true), 'ledger recovery')
    this.input((t) => this.core.tick(t), 'tick')
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping === null) this.stopping = (options.handoff ? this.handOff.run() : Promise.resolve()).then(() => this.shutdown(null))
    return this.stopping
  }

  private async shutdown(cause: Error | null): Promise<void> {
    const wasRunning = this.state === 'running'
    this.state = 'stopped'
    this.queue.length = 0
    this.handOff.settle()
    try {
      this.ticker?.stop()
      this.transport?.close()
      this.admin.close()
      await this.server?.close()
      await this.roleHook?.close()
    } catch (error) {
      this.log.warn('error while stopping', {error: errorMessage(error)})
    } finally {
      this.voteLog.close()
      this.ledger?.close()
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
    // after a change of role, term, leader or transferee the replicator follows, next in the queue
    const follow = this.ledger?.follow(this.ledgerHost)
    if (follow) this.queue.push({fn: follow, what: 'ledger follows the role'})
  }

  /** Requests go to the peer named by remoteId; responses go back on the socket their request came in on. */
  private route(m: Message | PushEntryResponse): void {
    if (m.kind !== 'PushEntryResponse' && isRequest(m)) this.transport.send(m)
    else this.inbound.answer(m)
  }

  private onEvents(events: VoteLogEvent[]): void {
    this.metrics.onEvents(events)
    this.handOff.onEvents(events)
    try {
      this.voteLog.append(events)
    } catch (error) {
      this.internalError('cannot append to the vote log', error)
    }
    for (const e of events) narrate(e, this.log, this.roleHook, this.settings.group)
  }

  private internalError(what: string, error: unknown): void {
    this.metrics.internalErrors++
    this.log.error(`${what}: ${errorMessage(error)}`)
    if (this.log.enabled('debug') && error instanceof Error && error.stack) this.log.debug(error.stack)
  }

  // ---------------------------------------------------------------- status and hooks

  status(): MemberStatus {
    const now = this.clock.now()
    const info = {address: this.address, pid: process.pid, startedAt: this.startedAtIso, uptimeMs: Math.round(now - this.startedAtMs), version: VERSION}
    return {...memberStatus(this.core.snapshot(now), info), faults: this.faults.current()}
  }
}
