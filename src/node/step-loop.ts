/**
 * The member's one input path (architecture.md "How the core is driven", spec S1): step the core
 * → write the durable record, and only if that succeeded send the messages → append the events.
 * Inputs are queued while a step runs (a send can produce an immediate NETWORK_ERROR), so the
 * core is never re-entered.
 */
import type {Elector, StepOutput} from '../core/elector.js'
import type {VoteLogEvent} from '../core/events.js'
import type {Message} from '../core/types.js'
import type {Clock} from './clock.js'
import type {DataDirLock} from './data-dir-lock.js'
import {errorMessage} from './errors.js'
import type {Metrics} from './metrics.js'
import type {DurableStore} from './state-store.js'

/** What the loop needs of its member. */
export interface StepLoopHost {
  readonly clock: Clock
  readonly store: DurableStore
  /** steps run only while the member runs */
  running(): boolean
  /** the data directory's lock, held before every write of the record (null: not taken) */
  lock(): DataDirLock | null
  metrics(): Metrics
  core(): Elector
  /** the replicator's step after a change of role, term, leader or transferee; null when nothing changed */
  follow(): ((nowMs: number) => StepOutput) | null | undefined
  /** requests to their peer, responses back on their socket */
  route(m: Message): void
  onEvents(events: VoteLogEvent[]): void
  internalError(what: string, error: unknown): void
  /** stops the member: continuing would be unsafe */
  failStop(cause: Error): void
  /** the steps may have moved the next deadline */
  poke(): void
}

export class StepLoop {
  private readonly queue: {fn: (nowMs: number) => StepOutput; what: string}[] = []
  private draining = false

  constructor(private readonly host: StepLoopHost) {}

  /** Queues one core input and runs the queue unless a step is already running. */
  input(fn: (nowMs: number) => StepOutput, what: string): void {
    if (!this.host.running()) return
    this.queue.push({fn, what})
    if (this.draining) return
    this.draining = true
    try {
      for (let next = this.queue.shift(); next !== undefined && this.host.running(); next = this.queue.shift()) this.runStep(next.fn, next.what)
    } finally {
      this.draining = false
    }
    if (this.host.running()) this.host.poke()
  }

  /** Forgets the queued inputs (the member stops). */
  clear(): void {
    this.queue.length = 0
  }

  private runStep(fn: (nowMs: number) => StepOutput, what: string): void {
    const {clock, store} = this.host
    const now = clock.now()
    let out: StepOutput
    try {
      out = fn(now)
    } catch (error) {
      this.host.internalError(`the core failed on ${what}`, error)
      return
    }
    // spec S1: the record is on disk before any message that depends on it leaves
    if (out.persist !== null) {
      const lock = this.host.lock()
      if (lock !== null && !lock.held()) {
        this.host.failStop(new Error(`the lock ${lock.file} is no longer this member's; another process took the data directory; nothing was sent`))
        return
      }
      try {
        store.write(out.persist)
      } catch (error) {
        this.host.metrics().persistFailures++
        this.host.failStop(new Error(`cannot write the term/vote record ${store.file}: ${errorMessage(error)}; nothing was sent`))
        return
      }
    }
    for (const m of out.messages) {
      try {
        this.host.route(m)
      } catch (error) {
        this.host.internalError(`cannot send ${m.kind} to ${m.remoteId}`, error)
      }
    }
    if (out.events.length > 0) this.host.onEvents(out.events)
    try {
      const snap = this.host.core().snapshot(now)
      this.host.metrics().observe({term: snap.term, role: snap.role, leaderId: snap.leaderId}, now)
    } catch (error) {
      this.host.internalError('cannot read the core state', error)
    }
    // after a change of role, term, leader or transferee the replicator follows, next in the queue
    const follow = this.host.follow()
    if (follow) this.queue.push({fn: follow, what: 'ledger follows the role'})
  }
}
