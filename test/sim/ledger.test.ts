/**
 * The ledger on simulated clusters: every member runs the replicator on the simulated disk. The
 * appends of DLedger's testSingleServer and testThreeServer, the stale member that cannot win an
 * election (the property DLedger exists for), the ledger checkers, and swarm seeds with appends.
 */
import assert from 'node:assert/strict'
import {describe as suite, test} from 'node:test'

import type {NodeId} from '../../src/core/types.js'
import {Checkers} from '../../src/sim/checkers.js'
import type {PushMessage} from '../../src/core/push.js'
import {Simulation} from '../../src/sim/simulation.js'
import {checkSwarmSeed, swarmRun} from '../../src/sim/swarm.js'
import type {TraceLine} from '../../src/sim/simulation.js'

import {awaitLeader, cluster, describe, seeds} from './helpers.js'

function ledgerOf(sim: ReturnType<typeof cluster>, id: NodeId) {
  const l = sim.ledger(id)
  assert.ok(l, `${id} is down`)
  return l
}

suite('appends on a simulated cluster', () => {
  test('a single member commits its appends at once (testSingleServer)', () => {
    const sim = cluster(1, 1, {settings: {timing: 'fast'}})
    assert.ok(awaitLeader(sim, 3000), describe(sim))
    sim.append(10)
    const l = ledgerOf(sim, 'n0')
    assert.equal(l.entries.length, 10)
    assert.equal(l.committedIndex, 9)
    assert.equal(sim.appends.acked, 10)
  })

  for (const seed of seeds(5)) {
    test(`three members replicate and commit every append (testThreeServer appends), seed ${seed}`, () => {
      const sim = cluster(3, seed, {settings: {timing: 'fast'}})
      assert.ok(awaitLeader(sim, 3000), describe(sim))
      for (let i = 0; i < 5; i++) sim.append(4)
      assert.ok(sim.waitFor(() => sim.ids.every((id) => ledgerOf(sim, id).committedIndex === 19), 3000, 10), describe(sim))
      const leader = sim.leadingMember() as NodeId
      const term = sim.term(leader)
      for (const id of sim.ids) assert.deepEqual(ledgerOf(sim, id).entries.map((e) => e.term), Array(20).fill(term))
      assert.equal(sim.member(leader)?.ledgerEndIndex, 19)
      assert.equal(sim.member(leader)?.committedIndex, 19)
      assert.deepEqual(sim.violations, [])
    })
  }

  test('a member that missed appends cannot win the next election, and catches up afterwards', () => {
    for (const seed of seeds(5)) {
      const events: TraceLine[] = []
      const sim = cluster(3, seed, {settings: {timing: 'fast'}, trace: (l) => events.push(l)})
      assert.ok(awaitLeader(sim, 3000), describe(sim))
      const leader = sim.leadingMember() as NodeId
      const stale = sim.ids.find((id) => id !== leader) as NodeId
      // the same term's entries on every member first: then the voters' check is the index one
      sim.append(5)
      assert.ok(sim.waitFor(() => sim.ids.every((id) => ledgerOf(sim, id).entries.length === 5), 3000, 10), describe(sim))
      sim.kill([stale])
      sim.append(10)
      assert.ok(sim.waitFor(() => ledgerOf(sim, leader).committedIndex === 14, 3000, 10), describe(sim))
      sim.restart([stale])
      sim.kill([leader])
      assert.ok(awaitLeader(sim, 5000), describe(sim))
      const next = sim.leadingMember() as NodeId
      assert.notEqual(next, stale, `seed ${seed}: the stale member won: ${describe(sim)}`)
      const refused = events.filter((l) => l.kind === 'event' && l.type === 'VOTE_HANDLED' && l.candidate === stale && l.voteResult === 'REJECT_SMALL_LEDGER_END_INDEX')
      assert.ok(refused.length > 0, `seed ${seed}: no REJECT_SMALL_LEDGER_END_INDEX for ${stale}`)
      assert.ok(sim.waitFor(() => ledgerOf(sim, stale).entries.length >= 15, 3000, 10), describe(sim))
      assert.deepEqual(sim.violations, [])
    }
  })

  test('an append while a transfer is in progress is refused with LEADER_TRANSFERRING', () => {
    const sim = cluster(3, 2, {settings: {timing: 'fast'}})
    assert.ok(awaitLeader(sim, 3000), describe(sim))
    const leader = sim.leadingMember() as NodeId
    sim.transfer(sim.ids.find((id) => id !== leader) as NodeId)
    sim.append(1)
    assert.ok(sim.timeline.some((t) => t.kind === 'append' && t.text.includes('LEADER_TRANSFERRING')), sim.timeline.map((t) => t.text).join('\n'))
  })

  test('a crash keeps the durable log: a restarted member recovers its ledger end', () => {
    const sim = cluster(3, 3, {settings: {timing: 'fast'}})
    assert.ok(awaitLeader(sim, 3000), describe(sim))
    sim.append(7)
    assert.ok(sim.waitFor(() => sim.ids.every((id) => ledgerOf(sim, id).committedIndex === 6), 3000, 10), describe(sim))
    const follower = sim.ids.find((id) => id !== sim.leadingMember()) as NodeId
    sim.kill([follower])
    sim.restart([follower])
    assert.equal(sim.member(follower)?.ledgerEndIndex, 6)
  })
})

suite('the ledger checkers', () => {
  const entry = (index: number, term: number, body = `b${index}`) => ({index, term, body})

  test('COMMITTED_ENTRY_NEVER_CHANGES: a member drops an entry it committed', () => {
    const c = new Checkers(['n0', 'n1', 'n2'])
    c.observe({kind: 'log', node: 'n1', truncateFrom: null, append: [entry(0, 1), entry(1, 1)]}, 0)
    c.observe({kind: 'commit', node: 'n1', committedIndex: 1}, 0)
    const found = c.observe({kind: 'log', node: 'n1', truncateFrom: 1, append: []}, 5)
    assert.deepEqual(found.map((v) => v.invariant), ['COMMITTED_ENTRY_NEVER_CHANGES'])
  })

  test('COMMITTED_ENTRY_NEVER_CHANGES: two members commit different entries at one index', () => {
    const c = new Checkers(['n0', 'n1', 'n2'])
    c.observe({kind: 'log', node: 'n0', truncateFrom: null, append: [entry(0, 1, 'a')]}, 0)
    c.observe({kind: 'log', node: 'n1', truncateFrom: null, append: [entry(0, 2, 'b')]}, 0)
    c.observe({kind: 'commit', node: 'n0', committedIndex: 0}, 0)
    assert.deepEqual(c.observe({kind: 'commit', node: 'n1', committedIndex: 0}, 0).map((v) => v.invariant), ['COMMITTED_ENTRY_NEVER_CHANGES'])
  })

  test('LOG_MATCHING: two logs agree on an entry of the same index and term but not on what precedes it', () => {
    const c = new Checkers(['n0', 'n1', 'n2'])
    c.observe({kind: 'log', node: 'n0', truncateFrom: null, append: [entry(0, 1, 'a'), entry(1, 2)]}, 0)
    const found = c.observe({kind: 'log', node: 'n1', truncateFrom: null, append: [entry(0, 1, 'z'), entry(1, 2)]}, 0)
    assert.deepEqual(found.map((v) => v.invariant), ['LOG_MATCHING', 'LOG_MATCHING'])
  })

  test('COMMIT_INDEX_NEVER_DECREASES: a running member commits less than before', () => {
    const c = new Checkers(['n0', 'n1', 'n2'])
    c.observe({kind: 'log', node: 'n0', truncateFrom: null, append: [entry(0, 1), entry(1, 1)]}, 0)
    c.observe({kind: 'commit', node: 'n0', committedIndex: 1}, 0)
    assert.deepEqual(c.observe({kind: 'commit', node: 'n0', committedIndex: 0}, 0).map((v) => v.invariant), ['COMMIT_INDEX_NEVER_DECREASES'])
  })

  test('ACKED_APPEND_IN_LATER_LEADERS: a member leads without an acknowledged entry', () => {
    const c = new Checkers(['n0', 'n1', 'n2'])
    c.observe({kind: 'ack', node: 'n0', entries: [{index: 0, term: 1}]}, 0)
    for (const voter of ['n1', 'n2']) c.observe({kind: 'persist', node: voter, record: {currTerm: 2, currVoteFor: 'n2'}}, 0)
    const found = c.observe({kind: 'state', node: 'n2', role: 'LEADER', term: 2}, 0)
    assert.deepEqual(found.map((v) => v.invariant), ['ACKED_APPEND_IN_LATER_LEADERS'])
  })

  /** n0 leads term 2 and n1 follows it, both with [1, 2]; n0 counts both entries as held by n1. */
  function markedFollower(): Checkers {
    const c = new Checkers(['n0', 'n1', 'n2'])
    for (const id of ['n0', 'n1']) {
      c.observe({kind: 'state', node: id, role: id === 'n0' ? 'LEADER' : 'FOLLOWER', term: 2}, 0)
      c.observe({kind: 'log', node: id, truncateFrom: null, append: [entry(0, 1), entry(1, 2)]}, 0)
    }
    assert.deepEqual(c.observe({kind: 'marks', node: 'n0', term: 2, marks: new Map([['n1', 1], ['n2', -1]])}, 0), [])
    return c
  }

  test("WATER_MARK_HELD: a member in the leader's term drops entries the leader counts as held", () => {
    const c = markedFollower()
    const found = c.observe({kind: 'log', node: 'n1', truncateFrom: 1, append: []}, 0)
    assert.deepEqual(found.map((v) => v.invariant), ['WATER_MARK_HELD'])
  })

  test('WATER_MARK_HELD binds only members in the leader\'s term: a later leader may truncate', () => {
    const c = markedFollower()
    c.observe({kind: 'state', node: 'n1', role: 'FOLLOWER', term: 3}, 0)
    assert.deepEqual(c.observe({kind: 'log', node: 'n1', truncateFrom: 1, append: []}, 0), [])
  })
})

suite('a push that a slow link delays past maxPushTimeOutMs', () => {
  /**
   * n0 leads term 1 and takes 3 entries that never leave it (its messages are cut); n1 leads term 2
   * and commits 2 entries with n2. After the heal n1 COMPAREs n0 and sends a TRUNCATE that the
   * link n1 -> n0 holds back 1.5 s (delay 5 ms everywhere else, so the times are exact). n1 times
   * out, truncates n0 again and streams its entries; n2 goes down, so the next append commits
   * with n0 alone; the late TRUNCATE reaches n0 just before the commit index does. n1 then
   * crashes and n2 comes back: the next leader must hold the acknowledged entry 5.
   */
  const script = [
    'at 1s append 3',
    'at 2s cut n0 -> n1,n2',
    'at 2010ms append 3',
    'at 3s append 2',
    'at 3200ms heal',
    'at 3700ms delay n1 -> n0 1500ms',
    'at 3705ms delay n1 -> n0 0ms',
    'at 4750ms kill n2',
    'at 5190ms append 1',
    'at 5300ms kill n1',
    'at 5300ms restart n2',
  ].join('\n')

  test('a TRUNCATE that arrives after acknowledged APPENDs drops none of them: no committed entry is lost (D13)', () => {
    const lines: TraceLine[] = []
    const sim = new Simulation({nodes: 3, seed: 1, durationMs: 8000, delayMs: [5, 5], settings: {timing: 'fast'}, script, trace: (l) => lines.push(l)}).run()
    // the scenario did what it says: a TRUNCATE to n0 held back past the push timeout, entry 5 acknowledged
    const late = lines.filter((l) => l.kind === 'message' && l.fate === 'queued' && l.to === 'n0' && (l.message as PushMessage).type === 'TRUNCATE' && (l.deliverAtMs as number) - l.atMs >= 1500)
    assert.equal(late.length, 1)
    assert.equal(sim.appends.acked, 6)
    assert.deepEqual(sim.violations, [])
    const leader = sim.leadingMember() as NodeId
    assert.ok(leader !== null && leader !== 'n1', describe(sim))
    assert.equal(ledgerOf(sim, leader).entries[5]?.term, 2, describe(sim))
  })
})

suite('swarm runs with appends', () => {
  test('a swarm script appends at the leader', () => {
    assert.match(swarmRun(1).script, /^at \d+ms append \d+$/m)
  })

  test('seeds 1-40 end with no violation of any checker', () => {
    const failed = seeds(40)
      .map((seed) => ({seed, problem: checkSwarmSeed(seed)}))
      .filter((r) => r.problem !== null)
    assert.deepEqual(failed, [])
  })
})

suite('leadership transfer and the ledger', () => {
  test('a transfer to a lagging member waits for it to catch up, then it leads with the whole log', () => {
    for (const seed of seeds(3)) {
      const events: TraceLine[] = []
      const sim = cluster(3, seed, {settings: {timing: 'fast'}, delayMs: [5, 10], trace: (l) => events.push(l)})
      assert.ok(awaitLeader(sim, 3000), describe(sim))
      const leader = sim.leadingMember() as NodeId
      const lagging = sim.ids.find((id) => id !== leader) as NodeId
      sim.kill([lagging])
      sim.append(500)
      assert.ok(sim.waitFor(() => ledgerOf(sim, leader).committedIndex === 499, 5000, 10), describe(sim))
      sim.restart([lagging])
      assert.ok(sim.waitFor(() => sim.role(lagging) === 'FOLLOWER', 3000, 1), describe(sim))
      const lagAtTransfer = 499 - ledgerOf(sim, lagging).entries.length + 1
      assert.ok(lagAtTransfer > 0, `seed ${seed}: ${lagging} caught up before the transfer`)
      sim.transfer(lagging)
      assert.ok(sim.waitFor(() => sim.leadingMember() === lagging, 3000, 1), `seed ${seed}: ${describe(sim)}`)
      const received = events.find((l) => l.kind === 'event' && l.node === lagging && l.type === 'LEADERSHIP_TRANSFER' && l.phase === 'TAKE_LEADERSHIP_RECEIVED')
      assert.ok(received, `seed ${seed}: no take-leadership at ${lagging}`)
      assert.equal(sim.member(lagging)?.ledgerEndIndex, 499)
      assert.deepEqual(sim.violations, [])
    }
  })
})
