/**
 * What the simulated cluster keeps per member and the small types around it: a member's core,
 * ledger, clock deadline, pause and stop state; the client's id; the message counters.
 */
import type {Elector} from '../core/elector.js'
import type {PushMessage} from '../core/push.js'
import type {Replicator} from '../core/replicator.js'
import type {Settings} from '../core/settings.js'
import type {NodeId, Role} from '../core/types.js'

import type {SimMessage} from './network.js'

/** The id the simulated CLI client uses for `transfer`; member ids never contain `-`. */
export const CLIENT_ID = 'sim-client'

export interface MessageCounts {
  /** every message a member handed to the network */
  sent: number
  /** lost, cut, refused, or dropped by a crash */
  dropped: number
  /** requests to a crashed member, answered NETWORK_ERROR by the sender's side */
  refused: number
  delivered: number
}

/** A run stopped because it could not make progress in simulated time. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SimulationError'
  }
}

export interface SimNode {
  id: NodeId
  settings: Settings
  elector: Elector | null
  /** the member's ledger, on the simulated disk; null when down */
  replicator: Replicator | null
  /** its committed index after its last ledger step */
  committedIndex: number
  /** how many cores this member has had (the next restart's random stream) */
  incarnations: number
  /** the core's nextDeadlineMs() after its last step (+∞ when down) */
  deadlineMs: number
  /** role and term after its last step, to notice a change of the cluster view */
  role: Role | null
  term: number
  /** stopped like SIGSTOP: it handles nothing and its timers wait until it resumes */
  paused: boolean
  /** when a `pause … for T` ends (+∞: at an explicit resume) */
  resumeAtMs: number
  /** what reached it while paused, handled in order when it resumes */
  held: (SimMessage | ClientAppend)[]
  /** a clean stop in progress (`stop`): it goes down when its hand-off ends or at this time */
  stopByMs: number | null
}

/** A client's append that reached a paused leader: it is read when the process continues. */
export interface ClientAppend {
  kind: 'ClientAppend'
  bodies: string[]
  ticket: string
}

export function isPush(m: SimMessage | ClientAppend): m is PushMessage {
  return m.kind === 'PushEntryRequest' || m.kind === 'PushEntryResponse'
}

/** When a member next needs a tick: its core's or replicator's deadline, or its clean stop's. */
export function nextTickMs(n: SimNode, nowMs: number): number {
  const e = n.elector
  if (e === null) return Number.POSITIVE_INFINITY
  const own = Math.min(e.nextDeadlineMs(), n.replicator?.nextDeadlineMs() ?? Number.POSITIVE_INFINITY)
  if (n.stopByMs === null) return own
  // a stopping member goes down once its hand-off ends, at the latest at stopByMs
  return e.transferInProgress ? Math.min(own, n.stopByMs) : nowMs
}
