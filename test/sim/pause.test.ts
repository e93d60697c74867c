/**
 * `pause X [for T]`, `resume X` and `stop X` in simulated time (issue 10, items 2-3): a paused member is a
 * SIGSTOPped process — it handles nothing, what reaches it waits, its timers fire late.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseScript} from '../../src/sim/script.js'
import {Simulation} from '../../src/sim/simulation.js'

import {seeds} from './helpers.js'

const PAUSED_LEADER = `
at 2s pause leader for 5s
at 2s expect leader any
at 2.1s expect term >= 2 within 3s
at 7.5s expect leader any
`

test('a paused leader is replaced, and steps down on resume: never two leaders in one term', () => {
  for (const seed of seeds(20)) {
    const sim = new Simulation({nodes: 3, seed, durationMs: 9000, settings: {timing: 'fast'}, script: PAUSED_LEADER}).run()
    assert.deepEqual(sim.violations, [], `seed ${seed}`)
    assert.ok(sim.expectations.every((e) => e.ok), `seed ${seed}: ${JSON.stringify(sim.expectations)}`)
    const paused = sim.leaderChanges[0].leaderId
    assert.ok(sim.leaderChanges.some((c) => c.leaderId !== paused && c.term > 1), `seed ${seed}: another member leads a later term`)
    assert.ok(sim.failovers.some((f) => f.cause === 'pause' && f.from === paused && f.recovered), `seed ${seed}: the pause opens a failover`)
    assert.notEqual(sim.role(paused), 'LEADER', `seed ${seed}: ${paused} stepped down after resuming`)
  }
})

test('a paused member handles nothing until resume, then catches up', () => {
  const sim = new Simulation({nodes: 3, seed: 5, durationMs: 6000, settings: {timing: 'fast'}, script: 'at 1s pause n1\nat 4s resume n1\n'})
  sim.runUntil(3900)
  const termWhilePaused = sim.term('n1')
  assert.ok(sim.isPaused('n1'))
  sim.runUntil(6000)
  assert.ok(!sim.isPaused('n1'))
  assert.ok(sim.term('n1') >= termWhilePaused)
  assert.equal(sim.term('n1'), sim.highestLiveTerm(), 'after resuming it follows the current term')
})

test('pause and resume parse with targets and an optional "for"', () => {
  const {lines} = parseScript('at 1s pause leader for 5s\nat 2s pause n0,n1\nat 3s resume n0\n', ['n0', 'n1', 'n2'])
  assert.deepEqual(
    lines.map((l) => l.action),
    [
      {type: 'pause', targets: {kind: 'leader'}, forMs: 5000},
      {type: 'pause', targets: {kind: 'ids', ids: ['n0', 'n1']}, forMs: null},
      {type: 'resume', targets: {kind: 'ids', ids: ['n0']}},
    ],
  )
  assert.throws(() => parseScript('at 1s pause n0 for\n', ['n0']), /line 1: .*for/)
})

test('a stopped leader hands leadership to a follower before it goes down: no failover, no election timeout', () => {
  for (const seed of seeds(10)) {
    const sim = new Simulation({nodes: 3, seed, durationMs: 3000, settings: {timing: 'fast'}, script: 'at 1s stop leader\n'})
    sim.runUntil(1000)
    const leader = sim.leadingMember()!
    sim.runUntil(3000)
    assert.equal(sim.isAlive(leader), false, `seed ${seed}: ${leader} went down`)
    assert.notEqual(sim.leadingMember(), null, `seed ${seed}: another member leads`)
    assert.deepEqual(sim.failovers, [], `seed ${seed}: a hand-off is not a failover`)
    assert.deepEqual(sim.violations, [])
  }
})
