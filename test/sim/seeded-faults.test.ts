/**
 * Swarm runs (VOPR-style): the fixed seeds, 300 per size on 3 and 5 members, plus a batch of
 * fresh seeds each run (size drawn from the seed), each a short run with `fast` timing under
 * loss, delay, partitions, one-way cuts, crashes, restarts, transfers and forced elections,
 * every checker on; each ends with a healed phase that must elect a leader. A failing seed is
 * printed with the one command that replays it; keep it in regressions.test.ts.
 */
import assert from 'node:assert/strict'
import {randomInt} from 'node:crypto'
import {test} from 'node:test'

import {checkSwarmSeed, describeSweep, replayCommand, type SwarmConfig, swarmRun, sweep} from '../../src/sim/swarm.js'

const FIXED_SEEDS_PER_SIZE = 300
const FRESH_SEEDS = 200

function report(from: number, to: number, config: SwarmConfig): string[] {
  return sweep(from, to, config).map((f) => `seed ${f.seed} (${f.nodes} members) failed: ${f.problem}\n  replay: ${f.replay}`)
}

for (const nodes of [3, 5]) {
  test(`${FIXED_SEEDS_PER_SIZE} fixed swarm seeds on ${nodes} members: no violation, and a leader after healing`, () => {
    const failures = report(1, FIXED_SEEDS_PER_SIZE, {nodes})
    for (const f of failures) console.error(f)
    assert.deepEqual(failures, [], `${failures.length} failing seeds; keep each in test/sim/regressions.test.ts`)
  })
}

test(`${FRESH_SEEDS} fresh swarm seeds (a new batch every run, printed): no violation, and a leader after healing`, (t) => {
  const from = randomInt(1_000_000, 2 ** 31 - FRESH_SEEDS)
  const to = from + FRESH_SEEDS - 1
  t.diagnostic(`fresh swarm seeds ${from}-${to}: dledger sim --swarm --seeds ${from}-${to}`)
  console.log(`# fresh swarm seeds ${from}-${to} (replay all: dledger sim --swarm --seeds ${from}-${to})`)
  const failures = report(from, to, {})
  for (const f of failures) console.error(f)
  assert.deepEqual(failures, [], `${failures.length} failing seeds; keep each in test/sim/regressions.test.ts`)
})

test('a swarm run is seeded: the same seed gives the same run, another seed another', () => {
  assert.deepEqual(swarmRun(17, {nodes: 5}), swarmRun(17, {nodes: 5}))
  assert.notEqual(swarmRun(17, {nodes: 5}).script, swarmRun(18, {nodes: 5}).script)
  const text = swarmRun(17, {nodes: 5}).script
  for (const verb of ['kill', 'restart', 'heal', 'expect leader any within']) assert.ok(text.includes(verb), verb)
})

test('one seed chooses the member count too, and the replay command names only the seed', () => {
  const sizes = new Set(Array.from({length: 40}, (_, i) => swarmRun(i + 1).nodes))
  assert.ok(sizes.size >= 3, `sizes drawn: ${[...sizes].join(', ')}`)
  assert.equal(swarmRun(9).replay, 'dledger sim --swarm --seed 9')
  assert.equal(replayCommand(9, {nodes: 3}), 'dledger sim --swarm --seed 9 --nodes 3')
  assert.equal(checkSwarmSeed(9), checkSwarmSeed(9))
})

test('a sweep lists every failing seed with its one-line replay command', () => {
  const failures = [
    {seed: 7, nodes: 5, problem: '1200 ms ONE_LEADER_PER_TERM: n1 and n3 lead term 4', replay: replayCommand(7)},
    {seed: 9, nodes: 3, problem: 'line 14: expected leader any, but no leader (highest term 6)', replay: replayCommand(9, {nodes: 3})},
  ]
  assert.equal(
    describeSweep(1, 10, failures),
    [
      'swarm: 2 of 10 seeds failed:',
      '  seed 7 (5 members): 1200 ms ONE_LEADER_PER_TERM: n1 and n3 lead term 4',
      '    replay: dledger sim --swarm --seed 7',
      '  seed 9 (3 members): line 14: expected leader any, but no leader (highest term 6)',
      '    replay: dledger sim --swarm --seed 9 --nodes 3',
    ].join('\n'),
  )
  assert.equal(describeSweep(1, 10, []), 'swarm: seeds 1-10: all 10 passed (no violation, a leader after healing)')
})
