/**
 * Settings: DLedger's defaults (reference §1.1), the fast preset and overrides (spec §1), DLedger's
 * peers format (§1.2), and validation with one clear message per problem (spec S3).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {
  buildSettings,
  DEFAULT_SETTINGS,
  formatPeers,
  parsePeers,
  parsePreferredLeaderIds,
  type SettingsInput,
  SettingsError,
  TIMING_KEYS,
  validateSettings,
} from '../../src/core/settings.js'
import {PEERS3} from './helpers.js'

/** The problems buildSettings reports for n0 in PEERS3 with `extra` (none: []). */
function problems(extra: Partial<SettingsInput>): string[] {
  try {
    buildSettings({selfId: 'n0', peers: PEERS3, ...extra})
    return []
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error))
    return error.problems
  }
}

describe('defaults and presets', () => {
  test('the defaults are DLedger\'s: heartbeat 2000 ms, leak 3, vote 300–1000 ms, take-leadership 30–100 ms, vote wait 2000 ms, RPC 3000 ms', () => {
    const s = buildSettings({selfId: 'n0', peers: PEERS3})
    assert.deepEqual(
      TIMING_KEYS.map((k) => [k, s[k]]),
      [
        ['heartbeatIntervalMs', 2000],
        ['maxHeartbeatLeak', 3],
        ['minVoteIntervalMs', 300],
        ['maxVoteIntervalMs', 1000],
        ['minTakeLeadershipVoteIntervalMs', 30],
        ['maxTakeLeadershipVoteIntervalMs', 100],
        ['voteTimeoutMs', 2000],
        ['rpcTimeoutMs', 3000],
      ],
    )
    assert.deepEqual(
      [s.group, s.preferredLeaderIds, s.maxLeadershipTransferWaitIndex, s.leadershipTransferWaitTimeoutMs, s.leadershipTransferTimeoutMs, s.tickMs, s.checkPreferredLeaderIntervalMs],
      ['default', [], 1000, 1000, 3000, 10, 1000],
    )
  })

  test('the fast preset: heartbeat 100, leak 3, vote 50–150, take-leadership 10–30, vote wait 300, RPC 500; nothing else changes', () => {
    const s = buildSettings({selfId: 'n0', peers: PEERS3, timing: 'fast'})
    assert.deepEqual(TIMING_KEYS.map((k) => s[k]), [100, 3, 50, 150, 10, 30, 300, 500])
    assert.equal(s.leadershipTransferTimeoutMs, DEFAULT_SETTINGS.leadershipTransferTimeoutMs)
    assert.equal(s.tickMs, 10)
  })

  test('an explicit flag overrides the preset; an undefined one does not', () => {
    const s = buildSettings({selfId: 'n0', peers: PEERS3, timing: 'fast', heartbeatIntervalMs: 200, rpcTimeoutMs: undefined})
    assert.equal(s.heartbeatIntervalMs, 200)
    assert.equal(s.rpcTimeoutMs, 500)
    assert.equal(s.minVoteIntervalMs, 50)
  })

  test('an unknown preset is one problem that names the known ones', () => {
    assert.deepEqual(problems({timing: 'warp'}), ['unknown timing preset "warp" (known: default, fast)'])
  })
})

describe('the peers format', () => {
  test('DLedger\'s format: the id is the text before the first "-", the address the rest, the port after the last ":"', () => {
    assert.deepEqual(parsePeers('n0-127.0.0.1:20911;n1-my-host.example:20912;n2-[::1]:20913'), [
      {id: 'n0', host: '127.0.0.1', port: 20911, address: '127.0.0.1:20911'},
      {id: 'n1', host: 'my-host.example', port: 20912, address: 'my-host.example:20912'},
      {id: 'n2', host: '::1', port: 20913, address: '[::1]:20913'},
    ])
  })

  test('formatPeers writes the same format back', () => {
    assert.equal(formatPeers(parsePeers(PEERS3)), PEERS3)
  })

  test('preferred leaders are ";"-separated (a "," is accepted too); none is an empty list', () => {
    assert.deepEqual(parsePreferredLeaderIds('n1;n2'), ['n1', 'n2'])
    assert.deepEqual(parsePreferredLeaderIds(' n1 , n2 '), ['n1', 'n2'])
    assert.deepEqual(parsePreferredLeaderIds(''), [])
    assert.deepEqual(parsePreferredLeaderIds(null), [])
    assert.deepEqual(parsePreferredLeaderIds(undefined), [])
  })
})

describe('validation: one clear message per problem', () => {
  test('valid settings have no problems', () => {
    assert.deepEqual(validateSettings(buildSettings({selfId: 'n1', peers: PEERS3, preferredLeaderIds: ['n2']})), [])
  })

  test('min >= max vote interval (DLedger would crash its maintainer on nextInt(0))', () => {
    assert.deepEqual(problems({minVoteIntervalMs: 1000}), ['minVoteIntervalMs (1000) must be less than maxVoteIntervalMs (1000)'])
    assert.deepEqual(problems({minVoteIntervalMs: 1200}), ['minVoteIntervalMs (1200) must be less than maxVoteIntervalMs (1000)'])
  })

  test('min >= max take-leadership interval', () => {
    assert.deepEqual(problems({minTakeLeadershipVoteIntervalMs: 100}), [
      'minTakeLeadershipVoteIntervalMs (100) must be less than maxTakeLeadershipVoteIntervalMs (100)',
    ])
  })

  test('every timing value must be a positive integer', () => {
    for (const key of TIMING_KEYS) {
      assert.deepEqual(problems({[key]: 0}), [`${key} must be a positive integer (got 0)`], key)
      assert.deepEqual(problems({[key]: -1}), [`${key} must be a positive integer (got -1)`], key)
    }
    assert.deepEqual(problems({rpcTimeoutMs: 1.5}), ['rpcTimeoutMs must be a positive integer (got 1.5)'])
    assert.deepEqual(problems({leadershipTransferTimeoutMs: 0}), ['leadershipTransferTimeoutMs must be a positive integer (got 0)'])
  })

  test('maxHeartbeatLeak below 1 is one problem', () => {
    assert.deepEqual(problems({maxHeartbeatLeak: 0}), ['maxHeartbeatLeak must be a positive integer (got 0)'])
  })

  test('a heartbeat interval of 10 ms or less leaves no wait for the round: one problem', () => {
    assert.deepEqual(problems({heartbeatIntervalMs: 10}), ['heartbeatIntervalMs must be greater than 10 (got 10)'])
  })

  test('a self id that is not in peers', () => {
    assert.deepEqual(problems({selfId: 'n5'}), ['self id "n5" is not in peers (n0, n1, n2)'])
  })

  test('a duplicate id and a duplicate address are one problem each', () => {
    assert.deepEqual(problems({peers: 'n0-127.0.0.1:20911;n0-127.0.0.1:20912;n1-127.0.0.1:20912'}), [
      'peer id "n0" appears twice in peers',
      'address 127.0.0.1:20912 appears twice in peers',
    ])
  })

  test('a preferred leader that is not in peers', () => {
    assert.deepEqual(problems({preferredLeaderIds: ['n7']}), ['preferred leader "n7" is not in peers (n0, n1, n2)'])
  })

  test('an empty group name', () => {
    assert.deepEqual(problems({group: ''}), ['group must be a non-empty name'])
  })

  test('bad peers: empty, no id, no port, no host, a bad port, a bad id: one message each', () => {
    assert.deepEqual(problems({peers: ''}), ['peers is empty: expected "n0-127.0.0.1:20911;n1-127.0.0.1:20912"'])
    assert.deepEqual(problems({peers: 'n0'}), ['peer "n0" must look like id-host:port, e.g. n0-127.0.0.1:20911'])
    assert.deepEqual(problems({peers: '-127.0.0.1:20911'}), ['peer "-127.0.0.1:20911" must look like id-host:port, e.g. n0-127.0.0.1:20911'])
    assert.deepEqual(problems({peers: 'n0-127.0.0.1'}), ['peer "n0-127.0.0.1" has no port (expected id-host:port)'])
    assert.deepEqual(problems({peers: 'n0-:20911'}), ['peer "n0-:20911" has no host (expected id-host:port)'])
    assert.deepEqual(problems({peers: 'n0-127.0.0.1:0'}), ['peer "n0-127.0.0.1:0" has an invalid port "0" (1-65535)'])
    assert.deepEqual(problems({peers: 'n0-127.0.0.1:http'}), ['peer "n0-127.0.0.1:http" has an invalid port "http" (1-65535)'])
    assert.deepEqual(problems({peers: 'n0-127.0.0.1:20911;n/1-127.0.0.1:20912'}), ['peer id "n/1" may only use letters, digits, "_" and "."'])
  })

  test('a wrong value reports only itself, not the comparisons it makes fail', () => {
    assert.deepEqual(problems({heartbeatIntervalMs: 0}), ['heartbeatIntervalMs must be a positive integer (got 0)'])
    assert.deepEqual(problems({maxVoteIntervalMs: 0}), ['maxVoteIntervalMs must be a positive integer (got 0)'])
    assert.deepEqual(problems({minTakeLeadershipVoteIntervalMs: -5, maxTakeLeadershipVoteIntervalMs: -10}), [
      'minTakeLeadershipVoteIntervalMs must be a positive integer (got -5)',
      'maxTakeLeadershipVoteIntervalMs must be a positive integer (got -10)',
    ])
  })

  test('all problems are reported at once, and the error message lists them', () => {
    try {
      buildSettings({selfId: 'n9', peers: PEERS3, minVoteIntervalMs: 2000, maxHeartbeatLeak: 0})
      assert.fail('expected a SettingsError')
    } catch (error) {
      assert.ok(error instanceof SettingsError)
      assert.equal(error.problems.length, 3)
      assert.equal(error.message, error.problems.join('; '))
    }
  })
})
