/**
 * The ledger's push frames in the one schema module: they round-trip field for field, and a
 * malformed, oversized or out-of-range one is dropped with its reason, like every frame.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {PushEntryRequest, PushEntryResponse} from '../../src/core/push.js'
import {encodeFrame, isMessageFrame, isPushFrame, MAX_FRAME_BYTES, parseFrame} from '../../src/wire/frames.js'

const request: PushEntryRequest = {
  kind: 'PushEntryRequest',
  group: 'default',
  remoteId: 'n1',
  localId: 'n0',
  code: 200,
  leaderId: 'n0',
  term: 3,
  reqId: 'push.1',
  type: 'APPEND',
  preLogIndex: 4,
  preLogTerm: 2,
  commitIndex: 4,
  entries: [{index: 5, term: 3, body: 'héllo'}],
}

const response: PushEntryResponse = {
  kind: 'PushEntryResponse',
  group: 'default',
  remoteId: 'n1',
  localId: 'n0',
  code: 406,
  leaderId: 'n0',
  term: 3,
  reqId: 'push.1',
  type: 'COMPARE',
  index: -1,
  ledgerEndIndex: 2,
  xTerm: 2,
  xIndex: 1,
}

describe('push frames', () => {
  it('a push request and its response round-trip field for field', () => {
    for (const frame of [request, response]) {
      const parsed = parseFrame(encodeFrame(frame))
      assert.deepEqual(parsed, {ok: true, frame})
      assert.ok(parsed.ok && isPushFrame(parsed.frame) && !isMessageFrame(parsed.frame))
    }
  })

  it("a TRUNCATE carries the term of the leader's next entry, and one from an older leader without it still parses", () => {
    const truncate: PushEntryRequest = {...request, type: 'TRUNCATE', entries: [], nextLogTerm: 2}
    assert.deepEqual(parseFrame(encodeFrame(truncate)), {ok: true, frame: truncate})
    const {nextLogTerm: _, ...older} = truncate
    assert.deepEqual(parseFrame(encodeFrame(older)), {ok: true, frame: older})
    const parsed = parseFrame(JSON.stringify({...truncate, nextLogTerm: -1}))
    assert.equal(!parsed.ok && parsed.reason, 'malformed')
  })

  it('a push without its preLogIndex is malformed', () => {
    const {preLogIndex: _, ...rest} = request
    const parsed = parseFrame(JSON.stringify(rest))
    assert.equal(parsed.ok, false)
    assert.equal(!parsed.ok && parsed.reason, 'malformed')
  })

  it('a push of an unknown type is malformed', () => {
    const parsed = parseFrame(JSON.stringify({...request, type: 'INSTALL_SNAPSHOT'}))
    assert.equal(!parsed.ok && parsed.reason, 'malformed')
  })

  it('an entry term above the largest term is term_out_of_range', () => {
    const parsed = parseFrame(JSON.stringify({...request, entries: [{index: 5, term: 2 ** 51, body: ''}]}))
    assert.equal(!parsed.ok && parsed.reason, 'term_out_of_range')
  })

  it('a push over MAX_FRAME_BYTES is oversized', () => {
    const parsed = parseFrame(JSON.stringify({...request, entries: [{index: 5, term: 3, body: 'x'.repeat(MAX_FRAME_BYTES)}]}))
    assert.equal(!parsed.ok && parsed.reason, 'oversized')
  })
})
