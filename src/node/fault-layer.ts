/**
 * The fault layer: injected network faults on a member's peer traffic (issue 10, item 1), the
 * real-process twin of the simulator's partitions, cuts, loss and delay.
 *
 * It sits on the four paths of election messages — requests this member sends (transport),
 * answers it receives (transport), requests it receives and answers it sends (member) — and never
 * on status, metrics or admin requests, so an operator can always see and heal a fault.
 * A dropped request is simply never sent (or never handled): the sender's RPC timeout turns it
 * into NETWORK_ERROR, exactly as a lost packet would.
 *
 * The faults are volatile: they live in this object only, so a restart clears them.
 */
import type {NodeId} from '../core/types.js'
import {describeFaults, type FaultState, isHealthy} from '../wire/faults.js'

export {describeFaults, type FaultState}

/** No fault at all. */
export const NO_FAULTS: FaultState = {dropTo: [], dropFrom: [], loss: 0, delayMs: null}

export class FaultLayer {
  private state: FaultState = NO_FAULTS

  /**
   * `peers`: the members whose traffic the faults apply to (a client such as the CLI asking for a
   * transfer is never affected); default: anyone.
   */
  constructor(
    private readonly random: () => number = Math.random,
    private readonly peers: ReadonlySet<NodeId> | null = null,
  ) {}

  /** Replaces every fault at once (an empty state heals). */
  set(next: FaultState): void {
    this.state = normalize(next)
  }

  /** The faults in force, or null when there are none (what `status` shows). */
  current(): FaultState | null {
    return isHealthy(this.state) ? null : this.state
  }

  /** Whether a message this member sends to `peer` is lost (cut, partition or loss). */
  dropsOutbound(peer: NodeId): boolean {
    if (!this.isPeer(peer)) return false
    const s = this.state
    return s.dropTo.includes(peer) || (s.loss > 0 && this.random() < s.loss)
  }

  /** Whether a message `peer` sent to this member is lost on arrival (cut or partition). */
  dropsInbound(peer: NodeId): boolean {
    return this.state.dropFrom.includes(peer)
  }

  private isPeer(id: NodeId): boolean {
    return this.peers === null || this.peers.has(id)
  }

  /**
   * Sends one message to `peer` through the faults: drops it, delays it, or calls `send` at once.
   * Delayed messages keep no order between them, as on a real network.
   */
  send(peer: NodeId, send: () => void): void {
    if (this.dropsOutbound(peer)) return
    const delay = this.state.delayMs
    if (delay === null || !this.isPeer(peer)) return send()
    const ms = delay[0] + Math.floor(this.random() * (delay[1] - delay[0] + 1))
    setTimeout(send, ms).unref()
  }
}

function normalize(s: FaultState): FaultState {
  return {
    dropTo: [...new Set(s.dropTo)].sort(),
    dropFrom: [...new Set(s.dropFrom)].sort(),
    loss: s.loss,
    delayMs: s.delayMs === null || s.delayMs[1] === 0 ? null : [s.delayMs[0], s.delayMs[1]],
  }
}

/** What the `faults` admin op needs from its member. */
export interface FaultOpContext {
  selfId: NodeId
  peerIds: ReadonlySet<NodeId>
  /** who asked, for the log and the vote-log event */
  by: string
  /** writes the FAULTS event to the vote log */
  record(description: string): void
  log: {info(msg: string): void}
}

/** The answer of the `faults` admin op (`AdminResponse` without kind and reqId). */
export type FaultOpReply = {ok: true; result: {faults: FaultState | null}} | {ok: false; code: string; error: string}

/**
 * The `faults` admin op: without `set`, reports the faults; with it, replaces them (after checking
 * the ids), logs the change and writes it to the vote log, so nobody forgets a partition.
 */
export function handleFaultsOp(layer: FaultLayer, set: FaultState | undefined, ctx: FaultOpContext): FaultOpReply {
  if (set === undefined) return {ok: true, result: {faults: layer.current()}}
  const unknown = [...set.dropTo, ...set.dropFrom].filter((id) => !ctx.peerIds.has(id) || id === ctx.selfId)
  if (unknown.length > 0) return {ok: false, code: 'UNKNOWN_MEMBER', error: `not a peer of ${ctx.selfId}: ${[...new Set(unknown)].join(', ')}`}
  const before = describeFaults(layer.current())
  layer.set(set)
  const now = describeFaults(layer.current())
  if (now !== before) {
    ctx.log.info(`network faults now ${now} (set by ${ctx.by})`)
    ctx.record(now)
  }
  return {ok: true, result: {faults: layer.current()}}
}
