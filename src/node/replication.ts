/**
 * The member side of the ledger: the core's replicator on the ledger files. `load` recovers the
 * log at start-up; `persist` makes a replicator step durable (truncate, then append, fsync) and
 * must succeed before the step's pushes and acks leave the member. The client appends waiting for
 * their commit are kept here too, each with its own answer callback.
 */
import type {AppendAck, LogEntry} from '../core/push.js'
import {Replicator, type ReplicatorOutput} from '../core/replicator.js'
import type {Settings} from '../core/settings.js'
import {LedgerStore} from './ledger-store.js'
import type {Logger} from './logger.js'

/** Bounds the client appends one member keeps waiting (beyond it: LEADER_PENDING_FULL from the core). */
const MAX_WAITERS = 100_000

export class Replication {
  readonly store: LedgerStore
  private replicatorValue: Replicator | null = null
  private readonly waiters = new Map<string, (ack: AppendAck) => void>()
  private tickets = 0

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
