/**
 * The member side of the ledger: the core's replicator on the ledger files. `load` recovers the
 * log at start-up; `persist` makes a replicator step durable (truncate, then append, fsync) and
 * must succeed before the step's pushes and acks leave the member. The client appends waiting for
 * their commit are kept here too, each with its own answer callback.
 */
import type {Elector, StepOutput} from '../core/elector.js'
import {feedElector} from '../core/ledger-feed.js'
import type {AppendAck, LogEntry, PushEntryRequest, PushEntryResponse} from '../core/push.js'
import {Replicator, type ReplicatorOutput, type RoleView} from '../core/replicator.js'
import type {Settings} from '../core/settings.js'
import {errorMessage} from './errors.js'
import {LedgerStore} from './ledger-store.js'
import type {Logger} from './logger.js'

/** What a ledger step needs of its member: the elector it feeds, the ways out, the ways to fail. */
export interface LedgerHost {
  /** the member's elector, which the ledger end feeds */
  elector(): Elector
  /** a push to a peer (its answer comes back through the transport) */
  sendPush(req: PushEntryRequest): void
  /** an answer on the connection its push came in on */
  answerPush(resp: PushEntryResponse): void
  failStop(cause: Error): void
  internalError(what: string, error: unknown): void
}

/** Bounds the client appends one member keeps waiting (beyond it: LEADER_PENDING_FULL from the core). */
const MAX_WAITERS = 100_000

export class Replication {
  readonly store: LedgerStore
  private replicatorValue: Replicator | null = null
  private readonly waiters = new Map<string, (ack: AppendAck) => void>()
  private tickets = 0
  /** the role view the replicator last followed */
  private roleKey = ''

  constructor(
    private readonly settings: Settings,
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.store = new LedgerStore(dataDir)
  }

  /** Reads and checks the ledger files (throws StartupError on corruption); logs the repairs. */
  load(nowMs: number): Replicator {
    const {entries, warnings} = this.store.load()
    for (const w of warnings) this.log.warn(w)
    this.replicatorValue = new Replicator(this.settings, entries, nowMs)
    return this.replicatorValue
  }

  get replicator(): Replicator {
    if (this.replicatorValue === null) throw new Error('the ledger is not loaded')
    return this.replicatorValue
  }

  /**
   * One ledger input as a step of the member's loop: the replicator's step, made durable (a failed
   * write sends nothing and stops the member), then its client answers and pushes. Returns the
   * elector's step that the new ledger end caused, for the loop to handle like any other.
   */
  step(host: LedgerHost, run: (r: Replicator, nowMs: number) => ReplicatorOutput, recovering = false): (nowMs: number) => StepOutput {
    return (now) => {
      const none: StepOutput = {persist: null, messages: [], events: []}
      const out = run(this.replicator, now)
      try {
        this.persist(out)
      } catch (error) {
        host.failStop(new Error(`cannot write the ledger in ${this.store.dir}: ${errorMessage(error)}; nothing was sent`))
        return none
      }
      // a client waits on its commit, which is already durable on a quorum: answered first
      this.answer(out.acks)
      for (const m of out.messages) {
        try {
          if (m.kind === 'PushEntryRequest') host.sendPush(m)
          else host.answerPush(m)
        } catch (error) {
          host.internalError(`cannot send ${m.kind} to ${m.remoteId}`, error)
        }
      }
      return feedElector(host.elector(), this.replicator, now, recovering || out.truncateFrom !== null || out.append.length > 0) ?? none
    }
  }

  /** After a change of role, term, leader or transferee: the step in which the replicator follows; null when nothing changed. */
  follow(host: LedgerHost): ((nowMs: number) => StepOutput) | null {
    const view: RoleView = host.elector().roleView
    const key = `${view.role}|${view.currTerm}|${view.leaderId ?? ''}|${view.transferee ?? ''}`
    if (key === this.roleKey) return null
    this.roleKey = key
    return this.step(host, (r, t) => r.observe(view, t))
  }

  /** Truncates, then appends, durably; throws when the disk refuses (the member then fail-stops). */
  persist(out: ReplicatorOutput): void {
    if (out.truncateFrom !== null) this.store.truncate(out.truncateFrom)
    this.store.append(out.append)
  }

  /** A new ticket for a client append whose answer goes to `onAck`, or null when too many wait. */
  wait(onAck: (ack: AppendAck) => void): string | null {
    if (this.waiters.size >= MAX_WAITERS) return null
    const ticket = `append.${++this.tickets}`
    this.waiters.set(ticket, onAck)
    return ticket
  }

  /** Answers the client appends a step decided. */
  answer(acks: readonly AppendAck[]): void {
    for (const ack of acks) {
      const onAck = this.waiters.get(ack.ticket)
      this.waiters.delete(ack.ticket)
      try {
        onAck?.(ack)
      } catch (error) {
        this.log.debug(`could not answer an append: ${String(error)}`)
      }
    }
  }

  /** The entries from `from` to `to` (inclusive), committed ones only unless `uncommitted`. */
  read(from: number, to: number, uncommitted: boolean): LogEntry[] {
    const r = this.replicator
    const last = uncommitted ? r.ledgerEndIndex : r.committedIndex
    return r.entries(from, Math.min(to, last))
  }

  close(): void {
    this.store.close()
  }
}
