/**
 * The network faults a member's fault layer applies to its peer traffic (issue 10, item 1): what
 * the `faults` admin op sets, what `status` reports (`faults`, the FAULTS column) and what the
 * vote log records. Types and pure helpers only, shared by node and CLI.
 */
import type {NodeId} from '../core/types.js'

/** The faults in force on one member. */
export interface FaultState {
  /** peers this member's messages to are dropped (a partition, or the sending side of a one-way cut) */
  dropTo: NodeId[]
  /** peers whose messages to this member are dropped (a partition, or the receiving side of a cut) */
  dropFrom: NodeId[]
  /** probability in [0, 1] that a message to a peer is lost */
  loss: number
  /** an added delay in ms, uniform in [min, max], on every message to a peer; null: none */
  delayMs: [number, number] | null
}

/** Whether there is no fault at all. */
export function isHealthy(s: FaultState): boolean {
  return s.dropTo.length === 0 && s.dropFrom.length === 0 && s.loss === 0 && s.delayMs === null
}

/** One line for logs, the vote log and the FAULTS column: `drop to n1,n2; drop from n1; loss 0.2; delay 20-80ms`. */
export function describeFaults(s: FaultState | null | undefined): string {
  if (s === null || s === undefined || isHealthy(s)) return 'none'
  const parts: string[] = []
  const to = new Set(s.dropTo)
  const both = s.dropFrom.filter((id) => to.has(id))
  const onlyTo = s.dropTo.filter((id) => !both.includes(id))
  const onlyFrom = s.dropFrom.filter((id) => !both.includes(id))
  if (both.length > 0) parts.push(`cut off ${both.join(',')}`)
  if (onlyTo.length > 0) parts.push(`drop to ${onlyTo.join(',')}`)
  if (onlyFrom.length > 0) parts.push(`drop from ${onlyFrom.join(',')}`)
  if (s.loss > 0) parts.push(`loss ${s.loss}`)
  if (s.delayMs !== null) parts.push(`delay ${s.delayMs[0]}-${s.delayMs[1]}ms`)
  return parts.join('; ')
}
