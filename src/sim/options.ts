/**
 * The options of a simulated run, their defaults, the parsers for their text forms (the flags of
 * `dledger sim`), and the one validator that both the command and the Simulation rely on.
 */
import type {Timing} from '../core/settings.js'
import type {NodeId} from '../core/types.js'

import type {Disk} from './disk.js'
import type {Script} from './script.js'

export const MIN_NODES = 1
export const MAX_NODES = 51
export const DEFAULT_DELAY_MS: readonly [number, number] = [1, 5]
/** The longest per-message delay the flags accept. */
const MAX_DELAY_MS = 600_000

/** Settings overrides for every member (the shape of the CLI's timingOverrides). */
export interface SimSettings extends Partial<Timing> {
  timing?: string
  preferredLeaderIds?: NodeId[]
}

/** One JSON line of `--trace`. `ts` is the simulated time as an ISO date (ms from the epoch). */
export type TraceLine = {ts: string; atMs: number; kind: string} & Record<string, unknown>

export interface SimOptions {
  /** members n0…n(N-1), 1–51 */
  nodes: number
  seed: number
  durationMs: number
  /** a parsed script, or its text (parsed against the member ids; throws ScriptError) */
  script?: Script | string
  /** initial loss probability [0, 1]; default 0 */
  lossProbability?: number
  /** inclusive per-message delay range; default 1–5 ms */
  delayMs?: readonly [number, number]
  settings?: SimSettings
  /** members that are down from the start (restart them to launch them) */
  down?: NodeId[]
  /** receives every trace line (messages, events, persists, faults, …) */
  trace?: (line: TraceLine) => void
  /** the simulated disk (tests pass a faulty one to see the checkers catch it) */
  disk?: Disk
  /** safety valve: steps allowed at one simulated millisecond before the run is aborted */
  maxStepsPerMs?: number
}

/** Bad simulator options; `problems` holds one message per problem. */
export class SimOptionsError extends RangeError {
  constructor(readonly problems: string[]) {
    super(problems.join('; '))
    this.name = 'SimOptionsError'
  }
}

/** Every problem with the options, one message each (the member settings are checked by buildSettings). Empty = valid. */
export function validateSimOptions(o: Pick<SimOptions, 'nodes' | 'durationMs' | 'lossProbability' | 'delayMs' | 'seed'>): string[] {
  const problems: string[] = []
  if (!Number.isInteger(o.nodes) || o.nodes < MIN_NODES || o.nodes > MAX_NODES) problems.push(`nodes must be an integer from ${MIN_NODES} to ${MAX_NODES} (got ${o.nodes})`)
  if (!Number.isInteger(o.seed) || o.seed < 0) problems.push(`seed must be a non-negative integer (got ${o.seed})`)
  if (!Number.isInteger(o.durationMs) || o.durationMs < 0) problems.push(`durationMs must be a non-negative integer (got ${o.durationMs})`)
  const [a, b] = o.delayMs ?? DEFAULT_DELAY_MS
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= a)) problems.push(`delay range must be whole milliseconds A-B with 0 <= A <= B (got ${a}-${b})`)
  else if (b > MAX_DELAY_MS) problems.push(`delay must be at most ${MAX_DELAY_MS} ms (got ${b})`)
  const loss = o.lossProbability ?? 0
  if (!(loss >= 0 && loss <= 1)) problems.push(`loss probability must be between 0 and 1 (got ${loss})`)
  return problems
}

/** `0.1` or `10%` → 0.1; anything else → NaN (which the validator reports). */
export function parseLoss(text: string): number {
  const t = text.trim()
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t)
  if (pct) return Number(pct[1]) / 100
  return /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN
}

/** `1-5` or `5` → the inclusive delay range; null when the text is not of that form. */
export function parseDelay(text: string): [number, number] | null {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text)
  if (m === null) return null
  const a = Number(m[1])
  return [a, m[2] === undefined ? a : Number(m[2])]
}
