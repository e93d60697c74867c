/**
 * Random fault runs for the seeded tests: from one seed, a fault script (kills, restarts,
 * partitions, one-way cuts, isolation, loss, transfers, forced elections) followed by a healed
 * phase that must elect a leader. The script is plain `dledger sim` text, so a failing seed
 * replays from the command line:
 *   dledger sim --nodes N --seed S --timing fast --delay-ms A-B --script run.txt --trace t.jsonl
 */
import {type SimOptions, Simulation} from '../../src/sim/simulation.js'
import {Rng} from '../../src/sim/random.js'

export interface FaultRun {
  seed: number
  nodes: number
  /** the script text */
  script: string
  options: SimOptions
  /** the `dledger sim` command that replays the run (the script saved as run.txt) */
  command: string
}

export interface FaultRunConfig {
  /** how long faults are injected */
  faultPhaseMs?: number
  /** the healed phase: a leader must exist within this long after healing */
  recoverWithinMs?: number
}

/** The fault script and options of one seeded run. */
export function faultRun(seed: number, nodes: number, config: FaultRunConfig = {}): FaultRun {
  const faultPhaseMs = config.faultPhaseMs ?? 12_000
  const recoverWithinMs = config.recoverWithinMs ?? 5_000
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
  const lines: string[] = [`# seeded fault run: seed ${seed}, ${nodes} members`]
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
  lines.push(`at ${faultPhaseMs}ms heal`, `at ${faultPhaseMs}ms loss 0`, `at ${faultPhaseMs}ms restart killed`)
  lines.push(`at ${faultPhaseMs}ms expect leader any within ${recoverWithinMs}ms`)
  const durationMs = faultPhaseMs + recoverWithinMs + 1000
  const delayMs = rng.pick<[number, number]>([
    [1, 5],
    [1, 20],
    [0, 40],
  ])
  const lossProbability = rng.pick([0, 0, 0.05, 0.15])
  // a third of the runs have preferred leaders, so the leader's periodic hand-off runs under faults
  const preferredLeaderIds = rng.chance(1 / 3) ? someIds() : []
  const script = `${lines.join('\n')}\n`
  const options: SimOptions = {nodes, seed, durationMs, script, delayMs, lossProbability, settings: {timing: 'fast', preferredLeaderIds}}
  const preferred = preferredLeaderIds.length > 0 ? ` --preferred-leader '${preferredLeaderIds.join(';')}'` : ''
  const command = `dledger sim --nodes ${nodes} --seed ${seed} --timing fast --delay-ms ${delayMs[0]}-${delayMs[1]} --loss ${lossProbability}${preferred} --duration ${durationMs}ms --script run.txt`
  return {seed, nodes, script, options, command}
}

/** Runs one seeded fault run; returns what went wrong (violations, failed expectations, a stuck run), or null. */
export function checkFaultRun(seed: number, nodes: number, config: FaultRunConfig = {}): string | null {
  const run = faultRun(seed, nodes, config)
  let sim: Simulation
  try {
    sim = new Simulation(run.options).run()
  } catch (error) {
    return (error as Error).message
  }
  const failed = sim.expectations.filter((e) => !e.ok)
  if (sim.violations.length === 0 && failed.length === 0) return null
  return [...sim.violations.map((v) => `${v.atMs} ms ${v.invariant}: ${v.detail}`), ...failed.map((e) => `line ${e.line}: ${e.detail}`)].join('; ')
}

/** The report printed for a failing seed: what failed and how to replay it. */
export function describeFailure(seed: number, nodes: number, problem: string, config: FaultRunConfig = {}): string {
  const run = faultRun(seed, nodes, config)
  return `seed ${seed} (${nodes} members) failed: ${problem}\n  replay: save the script below as run.txt, then\n  ${run.command} --trace t.jsonl\n${run.script}`
}
