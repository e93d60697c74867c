/**
 * Helpers for simulator tests: a cluster in simulated time, and DLedger's `parseServers`
 * (count the leaders and followers among some members).
 */
import type {NodeId} from '../../src/core/types.js'
import {type SimOptions, Simulation} from '../../src/sim/simulation.js'

/** A cluster of `nodes` members with default timing, no script, run by the test step by step. */
export function cluster(nodes: number, seed: number, options: Partial<SimOptions> = {}): Simulation {
  return new Simulation({nodes, seed, durationMs: 3_600_000, ...options})
}

/** DLedger's parseServers: the leaders and followers among `ids` (the live ones). */
export function parseServers(sim: Simulation, ids: readonly NodeId[] = sim.ids): {leaders: NodeId[]; followers: NodeId[]} {
  return {leaders: sim.withRole('LEADER', ids), followers: sim.withRole('FOLLOWER', ids)}
}

/** Exactly one leader among `ids`: its id, else null. */
export function soleLeader(sim: Simulation, ids: readonly NodeId[] = sim.ids): NodeId | null {
  const {leaders} = parseServers(sim, ids)
  return leaders.length === 1 ? leaders[0] : null
}

/** DLedger's "poll ≤X for a leader": true once some member among `ids` leads. */
export function awaitLeader(sim: Simulation, timeoutMs: number, ids: readonly NodeId[] = sim.ids): boolean {
  return sim.waitFor(() => parseServers(sim, ids).leaders.length > 0, timeoutMs)
}

/** The seeds a scenario runs over: the scenario must hold for every one of them. */
export function seeds(count: number, from = 1): number[] {
  return Array.from({length: count}, (_, i) => from + i)
}

/** A one-line description of the cluster, for assertion messages. */
export function describe(sim: Simulation): string {
  return sim.ids
    .map((id) => {
      const m = sim.member(id)
      return m === null ? `${id}:down(t${sim.term(id)})` : `${id}:${m.role}(t${m.term},leader=${m.leaderId ?? '-'},vote=${m.votedFor ?? '-'})`
    })
    .join(' ')
    .concat(` @${sim.now}ms seed=${sim.seed}`)
}
