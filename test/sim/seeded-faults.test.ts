/**
 * Seeded fault runs (VOPR-style): hundreds of seeds, each a short run with `fast` timing on 3 or
 * 5 members under loss, delay, partitions, one-way cuts, crashes, restarts, transfers and forced
 * elections, every checker on; each ends with a healed phase that must elect a leader. A failing
 * seed is printed with the command that replays it; keep it in regressions.test.ts.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {checkFaultRun, describeFailure, faultRun} from './fault-gen.js'

const SEEDS_PER_SIZE = 300

for (const nodes of [3, 5]) {
  test(`${SEEDS_PER_SIZE} seeded fault runs on ${nodes} members: no violation, and a leader after healing`, () => {
    const failures: string[] = []
    for (let seed = 1; seed <= SEEDS_PER_SIZE; seed++) {
      const problem = checkFaultRun(seed, nodes)
      if (problem === null) continue
      const report = describeFailure(seed, nodes, problem)
      console.error(report)
      failures.push(report)
    }
    assert.deepEqual(failures, [], `${failures.length} failing seeds; keep each in test/sim/regressions.test.ts`)
  })
}

test('the fault generator is seeded: the same seed gives the same script', () => {
  assert.equal(faultRun(17, 5).script, faultRun(17, 5).script)
  assert.notEqual(faultRun(17, 5).script, faultRun(18, 5).script)
  const text = faultRun(17, 5).script
  for (const verb of ['kill', 'restart', 'heal', 'expect leader any within']) assert.ok(text.includes(verb), verb)
})
