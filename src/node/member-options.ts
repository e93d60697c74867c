/**
 * What `startMember` (member.ts) takes, and the running member it returns.
 */
import type {Settings} from '../core/settings.js'
import type {MemberStatus} from '../wire/status.js'
import type {Clock} from './clock.js'
import type {Logger} from './logger.js'
import type {DurableStore} from './state-store.js'

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
