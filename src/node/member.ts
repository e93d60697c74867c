/**
 * The member runtime (`dledger start`): hosts one election core and wires its I/O — the
 * term/vote record and the data directory's lock, the vote log, the ledger and its replication,
 * the transport to the peers (through the fault layer), the server and what it admits
 * (inbound.ts), admin requests, metrics, the role hook and the hand-off on a clean stop.
 *
 * Every input (a tick, a peer's message or answer, a synthetic NETWORK_ERROR, an admin command)
 * goes through one loop (step-loop.ts): step the core → write the durable record, and only if
 * that succeeded send the messages → append the events to the vote log (spec S1). A failed record
 * write sends nothing and stops the member (fail-stop): continuing could hand out a vote that a
 * restart forgets. No exception escapes into the event loop: each is logged and counted.
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
import type {MemberOptions, RunningMember, StopOptions} from './member-options.js'
import {Metrics} from './metrics.js'
import {StepLoop} from './step-loop.js'
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
export type {MemberOptions, RunningMember, StopOptions} from './member-options.js'

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
  private readonly loop: StepLoop
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
    // what admin, the inbound side, the hand-off and the loop share of their member
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
      metrics: () => this.metrics,
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
    this.inbound = new Inbound({...shared, admin: this.admin, ledgerHost: this.ledgerHost, nudge: (peer) => this.transport?.nudge(peer)})
    this.handOff = new HandOff(shared)
    this.loop = new StepLoop({
      ...shared,
      store: this.store,
      lock: () => this.lock,
      follow: () => this.ledger?.follow(this.ledgerHost),
      route: (m) => this.route(m),
      onEvents: (events) => this.onEvents(events),
      internalError: (what, error) => this.internalError(what, error),
      failStop: (cause) => this.failStop(cause),
      poke: () => this.ticker.poke(),
    })
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
    this.loop.clear()
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

  /** Queues one core input (step-loop.ts). */
  private input(fn: (nowMs: number) => StepOutput, what: string): void {
    this.loop.input(fn, what)
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
