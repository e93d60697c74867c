/**
 * `dledger elect --node X` against the simulator's real cores (src/cli/forced-election.ts through
 * an ElectionPort): a forced election that loses DLedger's race to another candidate goes again
 * within its one deadline, and says how many elections it took. The real-process runs are in
 * test/e2e/operator.test.ts.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {aggregateStatus, type ClusterStatus, type Probe} from '../../src/cli/cluster-client.js'
import {OperationError} from '../../src/cli/errors.js'
import {type ElectionPort, type ElectionRequest, forceElection, MAX_ELECTION_ATTEMPTS} from '../../src/cli/forced-election.js'
import type {NodeId} from '../../src/core/types.js'
import type {Simulation} from '../../src/sim/simulation.js'
import {memberStatus} from '../../src/wire/status.js'
import {awaitLeader, cluster} from '../sim/helpers.js'

/** What `GET /status` of each live simulated member would answer, folded as `dledger status` folds it. */
function simStatus(sim: Simulation): ClusterStatus {
  const probes: Probe[] = sim.ids.map((id, i) => {
    const peer = {id, host: '127.0.0.1', port: 7000 + i, address: `127.0.0.1:${7000 + i}`}
    const m = sim.member(id)
    if (m === null) return {peer, ok: false, error: 'unreachable: connection refused'}
    return {peer, ok: true, status: memberStatus(m, {address: peer.address, pid: 1, startedAt: '', uptimeMs: 0, version: 'sim'})}
  })
  return aggregateStatus(probes)
}

/**
 * The cluster as `elect` sees it, in simulated time. `rival` (when set) makes that member start
 * its own campaign for a higher term right after each of the first `losses` forced elections:
 * the race the forced candidate loses.
 */
function simPort(sim: Simulation, rival?: {id: NodeId; losses: number}): ElectionPort & {revotes: number} {
  const port = {
    revotes: 0,
    now: () => sim.now,
    status: async () => simStatus(sim),
    async ask(id: NodeId, body: ElectionRequest) {
      if (body.op === 'stepDown') sim.command(id, (e, t) => e.stepDown(t))
      else {
        const term = body.term
        sim.command(id, (e, t) => e.revote(term, t))
        if (rival !== undefined && port.revotes < rival.losses) sim.command(rival.id, (e, t) => e.revote(term + 1, t))
        port.revotes++
      }
      return {ok: true}
    },
    async waitFor(done: (s: ClusterStatus) => boolean, timeoutMs: number) {
      const held = sim.waitFor(() => done(simStatus(sim)), timeoutMs, 10)
      return {status: simStatus(sim), done: held}
    },
  }
  return port
}

function settledCluster(seed: number): Simulation {
  const sim = cluster(3, seed)
  assert.ok(awaitLeader(sim, 5000), 'a first leader is elected')
  sim.runFor(500)
  return sim
}

describe('elect --node: a forced election that loses the race goes again', () => {
  it('a forced election nobody races is won at the first attempt', async () => {
    const sim = settledCluster(1)
    const target = sim.ids.find((id) => sim.role(id) !== 'LEADER')!
    const {result} = await forceElection(simPort(sim), {node: target, timeoutMs: 10_000})
    assert.equal(result.leaderId, target)
    assert.equal(result.attempts, 1)
  })

  it('after losing to a faster candidate, the member campaigns again for a newer term and wins', async () => {
    const sim = settledCluster(2)
    const [target, rival] = sim.ids.filter((id) => sim.role(id) !== 'LEADER')
    const port = simPort(sim, {id: rival, losses: 1})
    const before = Math.max(...sim.ids.map((id) => sim.term(id)))
    const {result} = await forceElection(port, {node: target, timeoutMs: 10_000})
    assert.equal(result.leaderId, target)
    assert.equal(result.attempts, 2)
    assert.ok(result.term >= before + 3, `the second election is for a term after the rival's (term ${result.term}, was ${before})`)
  })

  it(`after ${MAX_ELECTION_ATTEMPTS} lost races, elect fails with ELECTION_LOST, naming the winner`, async () => {
    const sim = settledCluster(3)
    const [target, rival] = sim.ids.filter((id) => sim.role(id) !== 'LEADER')
    const port = simPort(sim, {id: rival, losses: MAX_ELECTION_ATTEMPTS})
    await assert.rejects(forceElection(port, {node: target, timeoutMs: 10_000}), (error: unknown) => {
      assert.ok(error instanceof OperationError)
      assert.equal(error.code, 'ELECTION_LOST')
      assert.match(error.message, new RegExp(`lost ${MAX_ELECTION_ATTEMPTS} times: ${rival} leads term`))
      return true
    })
    assert.equal(port.revotes, MAX_ELECTION_ATTEMPTS)
  })
})
