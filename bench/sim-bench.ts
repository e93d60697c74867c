/**
 * Simulator speed: simulated time per wall second for 5 members, one simulated hour, default
 * timing, with a leader crash every minute (kill leader, restart it 17 s later). Aim: at least
 * 1000× real time. Also reports the simulated failover times of that run (DLedger's dynamics:
 * 6 s follower timeout + the ballot dance, measured from the kill).
 *
 * Run alone: node --import tsx bench/sim-bench.ts
 */
import {existsSync} from 'node:fs'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {type BenchRow, median, quantile, round} from './stats.js'

type SimulationModule = typeof import('../src/sim/simulation.js')

/**
 * The compiled simulator from dist/ (what users run; `npm run bench` builds first), else the
 * sources through tsx, whose per-function `__name` helpers slow the core down.
 */
async function loadSimulator(): Promise<{mod: SimulationModule; from: string}> {
  const dist = new URL('../dist/sim/simulation.js', import.meta.url)
  if (existsSync(fileURLToPath(dist))) return {mod: (await import(dist.href)) as SimulationModule, from: 'dist'}
  return {mod: await import('../src/sim/simulation.js'), from: 'src via tsx'}
}

const HOUR_MS = 3_600_000

/** The bench's fault script: a leader crash every minute, the crashed member back 17 s later. */
export function crashEveryMinuteScript(durationMs = HOUR_MS): string {
  const lines: string[] = []
  for (let t = 60_000; t < durationMs; t += 60_000) lines.push(`at ${t}ms kill leader`, `at ${t + 17_000}ms restart killed`)
  return lines.join('\n')
}

export async function simBench(opts: {runs?: number; seed?: number} = {}): Promise<BenchRow[]> {
  const runs = opts.runs ?? 3
  const {mod, from} = await loadSimulator()
  const {Simulation} = mod
  const script = crashEveryMinuteScript()
  const speeds: number[] = []
  let failovers: number[] = []
  let sinceHeartbeat: number[] = []
  let steps = 0
  let violations = 0
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const sim = new Simulation({nodes: 5, seed: (opts.seed ?? 1) + i, durationMs: HOUR_MS, script}).run()
    const wallMs = performance.now() - started
    speeds.push(HOUR_MS / wallMs)
    if (i === 0) {
      const recovered = sim.failovers.filter((f) => f.recovered)
      failovers = recovered.map((f) => f.leaderlessMs)
      sinceHeartbeat = recovered.filter((f) => f.lastHeartbeatAtMs !== null).map((f) => f.atMs + f.leaderlessMs - (f.lastHeartbeatAtMs as number))
      steps = sim.steps
    }
    violations += sim.violations.length
  }
  const d = `5 members, 1 simulated hour, default timing, leader killed every minute; ${runs} runs (${from})`
  return [
    {name: 'sim: simulated time per wall time (median)', value: round(median(speeds)), unit: '× real', detail: `${d}; min ${round(Math.min(...speeds))}×; ${steps} core steps per run`},
    {name: 'sim: failover after a leader crash (median)', value: round(median(failovers)), unit: 'ms', detail: `simulated, from the kill; ${failovers.length} failovers`},
    {name: 'sim: failover after a leader crash (p90)', value: round(quantile(failovers, 0.9)), unit: 'ms', detail: `max ${round(Math.max(...failovers))} ms; violations: ${violations}`},
    {
      name: 'sim: new leader after the last heartbeat (median)',
      value: round(median(sinceHeartbeat)),
      unit: 'ms',
      detail: `6000 ms follower timeout + the ballot dance; min ${round(Math.min(...sinceHeartbeat))}, max ${round(Math.max(...sinceHeartbeat))} ms`,
    },
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await simBench()
  for (const r of rows) console.log(`${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit.padEnd(7)} ${r.detail ?? ''}`)
}
