/**
 * DLedger's LeaderElectorTest (reference §6.1), ported to the simulator: the same set-ups, faults,
 * sleeps and assertions, in simulated time, with default timing. "Poll ≤X" is DLedger's loop of
 * 100 ms steps. Each scenario runs over many seeds and must hold for every one. The appends of
 * testSingleServer and testThreeServer are left out: dledger has no log yet.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {awaitLeader, cluster, describe, parseServers, seeds, soleLeader} from './helpers.js'

const SEEDS = seeds(50)
const HEARTBEAT_MS = 2000

test('testSingleServer: a single member leads, and after a restart it leads again in the same term', () => {
  for (const seed of SEEDS) {
    const sim = cluster(1, seed)
    sim.runFor(1000)
    assert.equal(sim.role('n0'), 'LEADER', describe(sim))
    const term = sim.term('n0')
    sim.kill(['n0'])
    sim.restart(['n0'])
    sim.runFor(1000)
    assert.equal(sim.role('n0'), 'LEADER', describe(sim))
    assert.equal(sim.term('n0'), term, `term changed across the restart: ${describe(sim)}`)
    assert.deepEqual(sim.violations, [])
  }
})

test('testThreeServer: ten forced elections, each won by the forced member', () => {
  for (const seed of SEEDS) {
    const sim = cluster(3, seed)
    sim.runFor(2000)
    let {leaders, followers} = parseServers(sim)
    assert.equal(leaders.length, 1, describe(sim))
    assert.equal(followers.length, 2, describe(sim))
    for (let i = 0; i < 10; i++) {
      const candidate = sim.ids[i % 3]
      const maxTerm = Math.max(...sim.ids.map((id) => sim.term(id)))
      const term = sim.elect(candidate) // DLedger's testRevote(maxTerm + 1)
      assert.equal(term, maxTerm + 1)
      sim.runFor(2000)
      ;({leaders, followers} = parseServers(sim))
      assert.deepEqual(leaders, [candidate], `iteration ${i}: ${describe(sim)}`)
      assert.equal(followers.length, 2, `iteration ${i}: ${describe(sim)}`)
    }
    assert.deepEqual(sim.violations, [])
  }
})

test('testThreeServerAndRestartFollower: a restarted follower rejoins as follower without a term bump', () => {
  for (const seed of SEEDS) {
    const sim = cluster(3, seed)
    sim.runFor(1000)
    const {leaders, followers} = parseServers(sim)
    assert.equal(leaders.length, 1, describe(sim))
    assert.equal(followers.length, 2, describe(sim))
    const leader = leaders[0]
    const term = sim.term(leader)
    for (const follower of followers) {
      sim.kill([follower])
      sim.restart([follower])
      sim.runFor(2000)
      assert.equal(sim.role(follower), 'FOLLOWER', `restarted ${follower}: ${describe(sim)}`)
      assert.equal(sim.role(leader), 'LEADER', describe(sim))
      assert.equal(sim.term(follower), term, `restarted ${follower}: ${describe(sim)}`)
    }
    assert.deepEqual(sim.violations, [])
  }
})

test('testThreeServerAndShutdownLeader: the two survivors elect a new leader', () => {
  for (const seed of SEEDS) {
    const sim = cluster(3, seed)
    assert.ok(awaitLeader(sim, 1000), describe(sim))
    sim.runFor(1000)
    const before = parseServers(sim)
    assert.equal(before.leaders.length, 1, describe(sim))
    assert.equal(before.followers.length, 2, describe(sim))
    const leader = before.leaders[0]
    sim.kill([leader])
    sim.runFor(1500)
    const survivors = sim.ids.filter((id) => id !== leader)
    assert.ok(awaitLeader(sim, 5 * HEARTBEAT_MS, survivors), describe(sim))
    sim.runFor(1000)
    const after = parseServers(sim, survivors)
    assert.equal(after.leaders.length, 1, describe(sim))
    assert.equal(after.followers.length, 1, describe(sim))
    assert.deepEqual(sim.violations, [])
  }
})

test('testThreeServerAndShutdownFollowers: the lone leader steps down to CANDIDATE in the same term', () => {
  for (const seed of SEEDS) {
    const sim = cluster(3, seed)
    assert.ok(awaitLeader(sim, 1000), describe(sim))
    sim.runFor(1000)
    const {leaders, followers} = parseServers(sim)
    assert.equal(leaders.length, 1, describe(sim))
    assert.equal(followers.length, 2, describe(sim))
    const leader = leaders[0]
    const term = sim.term(leader)
    sim.kill(followers)
    sim.waitFor(() => sim.role(leader) !== 'LEADER', 4 * HEARTBEAT_MS)
    assert.equal(sim.role(leader), 'CANDIDATE', describe(sim))
    assert.equal(sim.term(leader), term, describe(sim))
    // and alone it never increments its term (ballots without a quorum of answers: outcome 3)
    sim.runFor(60_000)
    assert.equal(sim.role(leader), 'CANDIDATE', describe(sim))
    assert.equal(sim.term(leader), term, describe(sim))
    assert.deepEqual(sim.violations, [])
  }
})

test('testThreeServerAndPreferredLeader: leadership goes to the preferred member, and back to it after its restart', () => {
  for (const seed of SEEDS) {
    const sim = cluster(3, seed, {settings: {preferredLeaderIds: ['n2']}})
    assert.ok(awaitLeader(sim, 1000), describe(sim))
    sim.runFor(3000)
    let {leaders, followers} = parseServers(sim)
    assert.deepEqual(leaders, ['n2'], describe(sim))
    assert.equal(followers.length, 2, describe(sim))

    sim.kill(['n2'])
    sim.runFor(1500)
    const survivors = ['n0', 'n1']
    assert.ok(awaitLeader(sim, 3 * HEARTBEAT_MS, survivors), describe(sim))
    sim.runFor(300)
    ;({leaders, followers} = parseServers(sim, survivors))
    assert.equal(leaders.length, 1, describe(sim))
    assert.equal(followers.length, 1, describe(sim))
    const oldTerm = sim.term(leaders[0])

    sim.restart(['n2'])
    assert.ok(
      sim.waitFor(() => {
        const l = soleLeader(sim)
        return l !== null && sim.term(l) !== oldTerm
      }, 3000),
      describe(sim),
    )
    sim.runFor(1500)
    ;({leaders, followers} = parseServers(sim))
    assert.deepEqual(leaders, ['n2'], describe(sim))
    assert.ok(followers.length >= 1, describe(sim))
    assert.deepEqual(sim.violations, [])
  }
})
