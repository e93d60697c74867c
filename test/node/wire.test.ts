import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {networkErrorResponse, type VoteRequest} from '../../src/core/types.js'
import {encodeFrame, MAX_FRAME_BYTES, parseFrame, parseMemberStatus} from '../../src/wire/frames.js'

const vote: VoteRequest = {
  kind: 'VoteRequest',
  group: 'default',
  remoteId: 'n1',
  localId: 'n0',
  code: 200,
  leaderId: 'n0',
  term: 3,
  reqId: 'n0.abc.1',
  ledgerEndIndex: -1,
  ledgerEndTerm: -1,
}

describe('wire frames', () => {
  it('round-trips every election message kind', () => {
    const frames = [
      vote,
      networkErrorResponse(vote),
      {...vote, kind: 'HeartBeatRequest' as const, ledgerEndIndex: undefined, ledgerEndTerm: undefined},
      {kind: 'LeadershipTransferRequest' as const, group: 'g', remoteId: 'n0', localId: 'cli.42', code: 200, leaderId: 'n0', term: 2, reqId: 'r', transferId: 'n0', transfereeId: 'n1', takeLeadershipLedgerIndex: -1},
    ]
    for (const f of frames) {
      const text = JSON.stringify(f)
      const parsed = parseFrame(text)
      assert.equal(parsed.ok, true, text)
      if (parsed.ok) assert.deepEqual(parsed.frame, JSON.parse(text))
    }
  })

  it('parses admin requests and encodes admin responses and log events', () => {
    const req = parseFrame('{"kind":"AdminRequest","reqId":"1","op":"setPreferredLeaders","ids":["n1","n2"]}')
    assert.deepEqual(req, {ok: true, frame: {kind: 'AdminRequest', reqId: '1', op: 'setPreferredLeaders', ids: ['n1', 'n2']}})
    const resp = encodeFrame({kind: 'AdminResponse', reqId: '1', ok: false, code: 'NOT_LEADER', error: 'n0 is FOLLOWER'})
    assert.equal(parseFrame(resp).ok, true)
    const ev = encodeFrame({kind: 'LogEvent', event: {ts: '2026-01-01T00:00:00.000Z', node: 'n0', term: 1, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: 'n0', reason: 'elected'}})
    const parsed = parseFrame(ev)
    assert.equal(parsed.ok, true)
    if (parsed.ok && parsed.frame.kind === 'LogEvent') assert.equal((parsed.frame.event as {reason?: string}).reason, 'elected')
  })

  it('classifies garbage, wrong types and unknown kinds without throwing', () => {
    const cases: [string, string][] = [
      ['not json at all', 'malformed'],
      ['', 'malformed'],
      ['[1,2,3]', 'malformed'],
      ['null', 'malformed'],
      ['42', 'malformed'],
      ['{"no":"kind"}', 'malformed'],
      ['{"kind":7}', 'malformed'],
      [JSON.stringify({...vote, term: 'three'}), 'malformed'],
      [JSON.stringify({...vote, term: 1.5}), 'malformed'],
      [JSON.stringify({...vote, term: 2 ** 60}), 'term_out_of_range'],
      [JSON.stringify({...vote, term: Number.MAX_SAFE_INTEGER}), 'term_out_of_range'],
      [JSON.stringify({...vote, ledgerEndTerm: 2 ** 50 + 1}), 'term_out_of_range'],
      [JSON.stringify({...vote, leaderId: 5}), 'malformed'],
      [JSON.stringify({...vote, reqId: ''}), 'malformed'],
      [JSON.stringify({...vote, kind: 'VoteResponse', voteResult: 'MAYBE'}), 'malformed'],
      ['{"kind":"AppendEntries","reqId":"x"}', 'unknown_kind'],
      ['{"kind":"__proto__"}', 'unknown_kind'],
      ['{"kind":"toString"}', 'unknown_kind'],
      ['{"kind":"AdminRequest","reqId":"9","op":"format-disk"}', 'malformed'],
      ['[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', 'malformed'],
      ['['.repeat(200_000), 'malformed'],
    ]
    for (const [text, reason] of cases) {
      const r = parseFrame(text)
      assert.equal(r.ok, false, text.slice(0, 80))
      if (!r.ok) assert.equal(r.reason, reason, `${text.slice(0, 80)}: ${r.detail}`)
    }
    const bad = parseFrame('{"kind":"AdminRequest","reqId":"9","op":"format-disk"}')
    assert.ok(!bad.ok && bad.reqId === '9' && bad.kind === 'AdminRequest', 'a bad admin request keeps its reqId so it can be answered')
  })

  it('calls a frame over 1 MiB oversized, whatever it holds', () => {
    const r = parseFrame(`{"kind":"VoteRequest","pad":"${'x'.repeat(MAX_FRAME_BYTES)}"}`)
    assert.ok(!r.ok && r.reason === 'oversized')
    assert.ok(!parseFrame(Buffer.alloc(MAX_FRAME_BYTES + 1)).ok)
  })

  it('never throws on arbitrary text or JSON (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({kind: 'VoteRequest', ...(typeof v === 'object' && v !== null ? v : {v})}))), (text) => {
        const r = parseFrame(text)
        assert.equal(typeof r.ok, 'boolean')
      }),
      {numRuns: 500},
    )
  })

  it('rejects a member status that lacks its fields', () => {
    assert.equal(parseMemberStatus({id: 'n0'}).ok, false)
  })
})
