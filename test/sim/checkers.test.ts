/**
 * The checkers on made-up histories: each broken history is reported under the right invariant,
 * and a sound one is not.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {Checkers, type Observation} from '../../src/sim/checkers.js'

const IDS = ['n0', 'n1', 'n2']

function feed(history: Observation[]): Checkers {
  const c = new Checkers(IDS)
  history.forEach((o, i) => c.observe(o, i * 10))
  return c
}

const vote = (node: string, currTerm: number, currVoteFor: string | null): Observation => ({kind: 'persist', node, record: {currTerm, currVoteFor}})
const state = (node: string, role: 'LEADER' | 'FOLLOWER' | 'CANDIDATE', term: number): Observation => ({kind: 'state', node, role, term})

test('a sound election is not reported', () => {
  const c = feed([vote('n0', 1, 'n0'), vote('n1', 1, 'n0'), state('n0', 'LEADER', 1), state('n1', 'FOLLOWER', 1), state('n0', 'LEADER', 1)])
  assert.deepEqual(c.violations, [])
  assert.deepEqual([...c.leadersByTerm()], [[1, 'n0']])
})

test('two leaders in one term violate ONE_LEADER_PER_TERM, even at different times', () => {
  const c = feed([
    vote('n0', 2, 'n0'),
    vote('n1', 2, 'n0'),
    state('n0', 'LEADER', 2),
    {kind: 'crash', node: 'n0'},
    vote('n2', 2, 'n2'),
    vote('n1', 2, 'n2'), // also a changed vote
    state('n2', 'LEADER', 2),
  ])
  const invariants = c.violations.map((v) => v.invariant)
  assert.ok(invariants.includes('ONE_LEADER_PER_TERM'), JSON.stringify(c.violations))
  const v = c.violations.find((x) => x.invariant === 'ONE_LEADER_PER_TERM')
  assert.equal(v?.atMs, 60)
  assert.match(v?.detail ?? '', /n2 became leader in term 2, which n0 already led/)
})

test('a term going down violates TERM_NEVER_DECREASES, across a restart too', () => {
  const live = feed([state('n1', 'FOLLOWER', 5), state('n1', 'CANDIDATE', 4)])
  assert.deepEqual(
    live.violations.map((v) => v.invariant),
    ['TERM_NEVER_DECREASES'],
  )
  assert.match(live.violations[0].detail, /n1 is at term 4 after term 5/)
  // a restart from a record older than what the member had written
  const restart = feed([vote('n1', 7, null), {kind: 'crash', node: 'n1'}, state('n1', 'CANDIDATE', 3)])
  assert.deepEqual(
    restart.violations.map((v) => v.invariant),
    ['TERM_NEVER_DECREASES'],
  )
  const durable = feed([vote('n2', 4, 'n2'), vote('n2', 3, null)])
  assert.ok(durable.violations.some((v) => v.invariant === 'TERM_NEVER_DECREASES' && /wrote term 3 after term 4/.test(v.detail)))
})

test('a durable vote that changes within a term violates VOTE_NEVER_CHANGES', () => {
  const c = feed([vote('n2', 3, 'n0'), vote('n2', 3, 'n0'), vote('n2', 3, 'n1')])
  assert.deepEqual(
    c.violations.map((v) => v.invariant),
    ['VOTE_NEVER_CHANGES'],
  )
  assert.match(c.violations[0].detail, /n2 changed its vote in term 3 from n0 to n1/)
  // a vote cleared within its term (a lost write) is a change too
  const cleared = feed([vote('n2', 3, 'n0'), vote('n2', 3, null)])
  assert.deepEqual(
    cleared.violations.map((v) => v.invariant),
    ['VOTE_NEVER_CHANGES'],
  )
  // a vote cast after none in the term, or a new vote in a new term, is fine
  assert.deepEqual(feed([vote('n2', 3, null), vote('n2', 3, 'n1'), vote('n2', 4, null), vote('n2', 4, 'n0')]).violations, [])
})

test('a leader without durable votes from a quorum violates LEADER_HAS_QUORUM', () => {
  const c = feed([vote('n0', 1, 'n0'), vote('n1', 1, 'n1'), state('n0', 'LEADER', 1)])
  assert.deepEqual(
    c.violations.map((v) => v.invariant),
    ['LEADER_HAS_QUORUM'],
  )
  assert.match(c.violations[0].detail, /n0 became leader in term 1 with durable votes from n0 \(1; a quorum is 2 of 3\)/)
  // votes for the leader in another term do not count
  const other = feed([vote('n0', 1, 'n0'), vote('n1', 1, 'n0'), vote('n0', 2, 'n0'), state('n0', 'LEADER', 2)])
  assert.deepEqual(
    other.violations.map((v) => v.invariant),
    ['LEADER_HAS_QUORUM'],
  )
})

test('each problem is reported once, not at every step', () => {
  const c = feed([state('n0', 'LEADER', 1), state('n0', 'LEADER', 1), state('n0', 'LEADER', 1)])
  assert.equal(c.violations.length, 1)
})

/**
 * A scripted double vote: the leader A is cut off, its two voters crash and come back with their
 * votes forgotten (an unsynced term file, reference §7.1 item 10). With zero delay the lower
 * member's first ballot reaches the other before that one's own first ballot, so it wins A's term.
 */
async function doubleVoteRun(disk: import('../../src/sim/disk.js').Disk | undefined, seed: number) {
  const {Simulation} = await import('../../src/sim/simulation.js')
  const sim = new Simulation({nodes: 3, seed, durationMs: 60_000, delayMs: [0, 0], settings: {timing: 'fast'}, ...(disk ? {disk} : {})})
  assert.ok(sim.waitFor(() => sim.leadingMember() !== null && sim.withRole('FOLLOWER').length === 2, 5000, 10))
  const a = sim.leadingMember() as string
  const others = sim.ids.filter((id) => id !== a)
  sim.kill(others)
  sim.partition([[a], others])
  sim.restart(others)
  sim.runFor(1000)
  return sim
}

test('in a run, a disk that forgets votes on a crash lets two leaders share a term, and the checkers say so', async () => {
  const {Disk} = await import('../../src/sim/disk.js')
  /** keeps the term but loses the vote across a crash */
  class ForgetfulDisk extends Disk {
    override read(id: string) {
      return {...super.read(id), currVoteFor: null}
    }
  }
  for (let seed = 1; seed <= 10; seed++) {
    const sim = await doubleVoteRun(new ForgetfulDisk(), seed)
    const invariants = new Set(sim.violations.map((v) => v.invariant))
    assert.ok(invariants.has('ONE_LEADER_PER_TERM'), `seed ${seed}: ${JSON.stringify(sim.violations)}`)
    assert.ok(invariants.has('VOTE_NEVER_CHANGES'), `seed ${seed}: ${JSON.stringify(sim.violations)}`)
  }
})

test('in a run, the same faults on a sound disk break nothing', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = await doubleVoteRun(undefined, seed)
    assert.deepEqual(sim.violations, [], `seed ${seed}`)
    assert.ok(sim.leaderChanges.length >= 2, `seed ${seed}: the survivors elect a leader in a later term`)
  }
})
