/**
 * The fault planner behind `dledger fault` and `dledger test`: operations in the simulator's
 * words become each member's drops, on both sides of every cut.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {type FaultState, parseDelay, planFaults} from '../../src/cli/faults.js'

const IDS = ['n0', 'n1', 'n2']
const none = new Map<string, FaultState | null>()
const drops = (m: Map<string, FaultState>) => Object.fromEntries([...m].map(([id, s]) => [id, [s.dropTo.join(','), s.dropFrom.join(',')]]))

test('a partition cuts every member off from the other groups, both ways', () => {
  assert.deepEqual(drops(planFaults({kind: 'partition', groups: [['n0'], ['n1', 'n2']]}, IDS, none)), {n0: ['n1,n2', 'n1,n2'], n1: ['n0', 'n0'], n2: ['n0', 'n0']})
})

test('a one-way cut drops on the sender and on the receiver, and only that way', () => {
  assert.deepEqual(drops(planFaults({kind: 'cut', from: ['n1'], to: ['n0']}, IDS, none)), {n0: ['', 'n1'], n1: ['n0', ''], n2: ['', '']})
})

test('isolate is a partition of the member against all others; faults add up until a heal', () => {
  const isolated = planFaults({kind: 'isolate', ids: ['n2']}, IDS, none)
  assert.deepEqual(drops(isolated), {n0: ['n2', 'n2'], n1: ['n2', 'n2'], n2: ['n0,n1', 'n0,n1']})
  const lossy = planFaults({kind: 'loss', probability: 0.2, nodes: ['n1']}, IDS, isolated)
  assert.equal(lossy.get('n1')!.loss, 0.2)
  assert.equal(lossy.get('n0')!.loss, 0)
  assert.deepEqual(lossy.get('n1')!.dropTo, ['n2'], 'loss keeps the isolation')
  const links = planFaults({kind: 'heal', links: true}, IDS, lossy)
  assert.deepEqual(links.get('n1'), {dropTo: [], dropFrom: [], loss: 0.2, delayMs: null}, "the script's heal keeps loss, as in the simulator")
  assert.deepEqual(planFaults({kind: 'heal'}, IDS, lossy).get('n1'), {dropTo: [], dropFrom: [], loss: 0, delayMs: null})
})

test('delays parse as inclusive ranges with a unit', () => {
  assert.deepEqual(parseDelay('20-80ms'), [20, 80])
  assert.deepEqual(parseDelay('50ms'), [50, 50])
  assert.deepEqual(parseDelay('0.1-0.3s'), [100, 300])
  assert.equal(parseDelay('0'), null)
  assert.throws(() => parseDelay('80-20ms'), /smaller value comes first/)
  assert.throws(() => parseDelay('20-80'), /unit/)
})
