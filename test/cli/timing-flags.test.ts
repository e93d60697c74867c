import assert from 'node:assert/strict'
import {test} from 'node:test'

import {timingFlags, timingOverrides} from '../../src/cli/timing-flags.js'
import {buildSettings} from '../../src/core/settings.js'

test('timingFlags names every timing flag of the spec table', () => {
  assert.deepEqual(Object.keys(timingFlags).sort(), [
    'heartbeat-ms',
    'max-heartbeat-leak',
    'max-take-leadership-ms',
    'max-vote-interval-ms',
    'min-take-leadership-ms',
    'min-vote-interval-ms',
    'preferred-leader',
    'rpc-timeout-ms',
    'timing',
    'vote-timeout-ms',
  ])
})

test('timingOverrides maps only the given flags, and explicit flags override a preset', () => {
  assert.deepEqual(timingOverrides({}), {})
  const overrides = timingOverrides({timing: 'fast', 'heartbeat-ms': 200, 'rpc-timeout-ms': 900, 'preferred-leader': 'n2;n1'})
  assert.deepEqual(overrides, {timing: 'fast', heartbeatIntervalMs: 200, rpcTimeoutMs: 900, preferredLeaderIds: ['n2', 'n1']})
  const s = buildSettings({selfId: 'n0', peers: 'n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3', ...overrides})
  assert.equal(s.heartbeatIntervalMs, 200)
  assert.equal(s.minVoteIntervalMs, 50) // from the fast preset
  assert.equal(s.rpcTimeoutMs, 900)
  assert.deepEqual(s.preferredLeaderIds, ['n2', 'n1'])
})

test('every timing flag reaches its settings key', () => {
  const o = timingOverrides({
    'heartbeat-ms': 1,
    'max-heartbeat-leak': 2,
    'min-vote-interval-ms': 3,
    'max-vote-interval-ms': 4,
    'min-take-leadership-ms': 5,
    'max-take-leadership-ms': 6,
    'vote-timeout-ms': 7,
    'rpc-timeout-ms': 8,
  })
  assert.deepEqual(o, {
    heartbeatIntervalMs: 1,
    maxHeartbeatLeak: 2,
    minVoteIntervalMs: 3,
    maxVoteIntervalMs: 4,
    minTakeLeadershipVoteIntervalMs: 5,
    maxTakeLeadershipVoteIntervalMs: 6,
    voteTimeoutMs: 7,
    rpcTimeoutMs: 8,
  })
})
