import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {wallClockMs} from '../../src/cli/wall-clock.js'

describe('the commands\' wall clock', () => {
  it('is the real time when DLEDGER_NOW is unset or empty', () => {
    const before = Date.now()
    for (const env of [{}, {DLEDGER_NOW: ''}]) {
      const ms = wallClockMs(env)
      assert.ok(ms >= before && ms <= Date.now())
    }
  })

  it('is pinned by DLEDGER_NOW as an ISO time or as ms since the epoch', () => {
    assert.equal(wallClockMs({DLEDGER_NOW: '2026-11-25T12:00:00.000Z'}), Date.parse('2026-11-25T12:00:00.000Z'))
    assert.equal(wallClockMs({DLEDGER_NOW: '1764072000000'}), 1_764_072_000_000)
  })

  it('refuses a DLEDGER_NOW that is no time, naming it', () => {
    assert.throws(() => wallClockMs({DLEDGER_NOW: 'yesterday'}), /DLEDGER_NOW: "yesterday"/)
  })
})
