import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {closest, editDistance} from '../../src/cli/suggest.js'

const COMMANDS = ['down', 'elect', 'init', 'leader', 'logs', 'sim', 'start', 'status', 'transfer-leader', 'up', 'version']

describe('closest', () => {
  it('a swap of two neighbouring letters is one edit, so `stauts` means status, not start', () => {
    assert.equal(editDistance('stauts', 'status'), 1)
    assert.equal(editDistance('stauts', 'start'), 2)
    assert.equal(closest('stauts', COMMANDS), 'status')
  })

  it('a word that starts a longer command suggests it', () => {
    assert.equal(closest('transfer', COMMANDS), 'transfer-leader')
  })

  it('a short word is allowed one edit only: two would turn any two letters into `up`', () => {
    assert.equal(closest('pu', COMMANDS), 'up')
    assert.equal(closest('x', COMMANDS), null)
    assert.equal(closest('ab', COMMANDS), null)
  })

  it('a word far from every candidate suggests nothing', () => {
    assert.equal(closest('xyzzy', COMMANDS), null)
    assert.equal(closest('jsn', ['json', 'home', 'peers', 'token']), 'json')
    assert.equal(closest('too', ['to', 'preferred', 'timeout']), 'to')
  })
})
