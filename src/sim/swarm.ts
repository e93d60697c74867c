/**
 * Swarm runs (after TigerBeetle's VOPR): one seed rebuilds a whole random run — the member count,
 * the message delays and loss, the preferred leaders and a fault script (kills, restarts,
 * partitions, one-way cuts, isolation, loss, transfers, forced elections, client appends, late
 * messages) followed by a healed phase that must elect a leader. The appends and the late messages
 * come from their own random streams, so a seed's faults are the ones it had before them.
 * Members run the `fast` timing preset. A failing seed replays with one command:
 * `dledger sim --swarm --seed N` (plus `--nodes K` when the size was fixed).
 */
import type {SimOptions} from './options.js'
import {Rng} from './random.js'
import {Simulation} from './simulation.js'

/** The member counts a seed chooses from when the size is not fixed (the fault script needs two). */
const SWARM_SIZES: readonly number[] = [2, 3, 3, 4, 5, 5, 7]
/** How long faults are injected, then how long the healed cluster has to elect a leader. */
const SWARM_FAULT_PHASE_MS = 12_000
const SWARM_RECOVER_WITHIN_MS = 5_000
/** The most seeds one sweep runs. */
const MAX_SWEEP_SEEDS = 1_000_000

export interface SwarmRun {
  seed: number
  nodes: number
  /** the fault script, plain `dledger sim` text */
  script: string
  options: SimOptions
  /** the one-line command that replays the run */
  replay: string
}

export interface SwarmConfig {
  /** fix the member count instead of drawing it from the seed */
  nodes?: number
}

/** The whole run of one seed. */
export function swarmRun(seed: number, config: SwarmConfig = {}): SwarmRun {
  const nodes = config.nodes ?? new Rng(seed, 'swarm').pick(SWARM_SIZES)
  const faultPhaseMs = SWARM_FAULT_PHASE_MS
  const recoverWithinMs = SWARM_RECOVER_WITHIN_MS
  const rng = new Rng(seed, `fault-gen:${nodes}`)
  const ids = Array.from({length: nodes}, (_, i) => `n${i}`)
  const someIds = () => {
    const k = 1 + rng.int(Math.max(1, nodes >> 1))
    const pool = [...ids]
    const out: string[] = []
    for (let i = 0; i < k; i++) out.push(pool.splice(rng.int(pool.length), 1)[0])
    return out.sort()
  }
  const target = () => rng.pick(['leader', 'follower', 'followers', rng.pick(ids), someIds().join(',')])
  // the header line is built last: it names options drawn after the script
  const lines: string[] = []
  let t = 300 + rng.int(1500)
  while (t < faultPhaseMs) {
    const r = rng.next()
    if (r < 0.18) lines.push(`at ${t}ms kill ${rng.pick(['leader', 'leader', 'follower', rng.pick(ids)])}`)
    else if (r < 0.32) lines.push(`at ${t}ms restart ${rng.pick(['killed', 'killed', rng.pick(ids)])}`)
    else if (r < 0.44) {
      const shuffled = [...ids].sort(() => rng.next() - 0.5)
      const cutAt = 1 + rng.int(nodes - 1)
      lines.push(`at ${t}ms partition ${shuffled.slice(0, cutAt).join(' ')} | ${shuffled.slice(cutAt).join(' ')}`)
    } else if (r < 0.54) {
      const from = rng.pick(ids)
      const to = rng.pick(ids.filter((id) => id !== from))
      lines.push(`at ${t}ms cut ${rng.chance(0.3) ? 'leader' : from} -> ${to}`)
    } else if (r < 0.62) lines.push(`at ${t}ms isolate ${rng.pick(['leader', 'follower', rng.pick(ids)])}`)
    else if (r < 0.74) lines.push(`at ${t}ms heal`)
    else if (r < 0.82) lines.push(`at ${t}ms loss ${rng.pick(['0', '0.05', '0.1', '0.2', '0.35'])}`)
    else if (r < 0.9) lines.push(`at ${t}ms transfer ${rng.pick(ids)}`)
    else lines.push(`at ${t}ms elect ${rng.pick([rng.pick(ids), 'follower'])}`)
    // a target keyword or list now and then, to cover resolution
    if (rng.chance(0.05)) lines.push(`at ${t}ms kill ${target()}`)
    t += 100 + rng.int(2500)
  }
  const appends = new Rng(seed, 'appends')
  for (let at = 200 + appends.int(800); at < faultPhaseMs + recoverWithinMs; at += 150 + appends.int(1200))
    lines.push(`at ${at}ms append ${appends.pick([1, 1, 2, 5, 20])}`)
  // a quarter of the runs deliver a few messages 1-2.5 s late, past the push timeout and after
  // later ones (their own stream too); the healed phase ends it
  const late = new Rng(seed, 'late-gen')
  if (late.chance(0.25)) lines.push(`at ${300 + late.int(2000)}ms late ${late.pick(['0.01', '0.02', '0.05'])}`, `at ${faultPhaseMs}ms late 0`)
  lines.push(`at ${faultPhaseMs}ms heal`, `at ${faultPhaseMs}ms loss 0`, `at ${faultPhaseMs}ms restart killed`)
  lines.push(`at ${faultPhaseMs}ms expect leader any within ${recoverWithinMs}ms`)
  const delayMs = rng.pick<[number, number]>([
    [1, 5],
    [1, 20],
    [0, 40],
  ])
  const lossProbability = rng.pick([0, 0, 0.05, 0.15])
  // a third of the runs have preferred leaders, so the leader's periodic hand-off runs under faults
  const preferredLeaderIds = rng.chance(1 / 3) ? someIds() : []
  const options: SimOptions = {nodes, seed, durationMs: faultPhaseMs + recoverWithinMs + 1000, delayMs, lossProbability, settings: {timing: 'fast', preferredLeaderIds}}
  const replay = replayCommand(seed, config)
  // one comment line, so the script's line numbers are the same with and without --swarm
  const header = `# ${replay} — the same run as: dledger sim ${equivalentFlags(seed, nodes, options)} --script FILE`
  const script = `${[header, ...lines].join('\n')}\n`
  return {seed, nodes, script, options: {...options, script}, replay}
}

/** `dledger sim --swarm --seed N` (with `--nodes K` when the size was fixed). */
export function replayCommand(seed: number, config: SwarmConfig = {}): string {
  return `dledger sim --swarm --seed ${seed}${config.nodes === undefined ? '' : ` --nodes ${config.nodes}`}`
}

/** The flags of the plain `dledger sim` run a swarm run stands for (with its script saved as FILE). */
function equivalentFlags(seed: number, nodes: number, o: SimOptions): string {
  const [a, b] = o.delayMs ?? [1, 5]
  const preferred = o.settings?.preferredLeaderIds ?? []
  const pref = preferred.length > 0 ? ` --preferred-leader '${preferred.join(';')}'` : ''
  return `--nodes ${nodes} --seed ${seed} --timing fast --delay-ms ${a}-${b} --loss ${o.lossProbability ?? 0}${pref} --duration ${o.durationMs}ms`
}

/** What went wrong in a finished run (violations, failed expectations), or null when it passed. */
export function problemsOf(sim: Simulation): string | null {
  const failed = sim.expectations.filter((e) => !e.ok)
  if (sim.violations.length === 0 && failed.length === 0) return null
  return [...sim.violations.map((v) => `${v.atMs} ms ${v.invariant}: ${v.detail}`), ...failed.map((e) => `line ${e.line}: ${e.detail}`)].join('; ')
}

/** Runs one seed; returns what went wrong (a violation, a failed expectation, a stuck run), or null. */
export function checkSwarmSeed(seed: number, config: SwarmConfig = {}): string | null {
  try {
    return problemsOf(new Simulation(swarmRun(seed, config).options).run())
  } catch (error) {
    return (error as Error).message
  }
}

export interface SwarmFailure {
  seed: number
  nodes: number
  problem: string
  replay: string
}

/**
 * Runs every seed of `from..to` (inclusive) and returns the failing ones. `onProgress` hears after
 * every seed how many ran and how many failed.
 */
export function sweep(from: number, to: number, config: SwarmConfig = {}, onProgress?: (done: number, failed: number) => void): SwarmFailure[] {
  const failures: SwarmFailure[] = []
  for (let seed = from; seed <= to; seed++) {
    const problem = checkSwarmSeed(seed, config)
    if (problem !== null) failures.push({seed, nodes: swarmRun(seed, config).nodes, problem, replay: replayCommand(seed, config)})
    onProgress?.(seed - from + 1, failures.length)
  }
  return failures
}

/** `1-10000` (or a single `7`) → the inclusive range; throws RangeError with a one-line reason. */
export function parseSeedRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text)
  if (m === null) throw new RangeError(`seeds must be a range A-B of non-negative integers, e.g. 1-10000 (got "${text}")`)
  const from = Number(m[1])
  const to = m[2] === undefined ? from : Number(m[2])
  if (to < from) throw new RangeError(`the seed range ends (${to}) before it starts (${from})`)
  if (to - from + 1 > MAX_SWEEP_SEEDS) throw new RangeError(`at most ${MAX_SWEEP_SEEDS} seeds in one sweep (got ${to - from + 1})`)
  return [from, to]
}

/** The result of a sweep as `dledger sim --swarm --seeds` prints it: one line, or every failing seed with its replay command. */
export function describeSweep(from: number, to: number, failures: readonly SwarmFailure[]): string {
  const total = to - from + 1
  if (failures.length === 0) return `swarm: seeds ${from}-${to}: all ${total} passed (no violation, a leader after healing)`
  const lines = failures.map((f) => `  seed ${f.seed} (${f.nodes} members): ${f.problem}\n    replay: ${f.replay}`)
  return [`swarm: ${failures.length} of ${total} seeds failed:`, ...lines].join('\n')
}
