/**
 * What the one schema module refuses, field by field (spec §2: a malformed frame is dropped and
 * counted, an AdminRequest answered UNEXPECTED_ARGUMENT with the detail, a term above MAX_TERM
 * refused as out of range). The details are the ones members log and admin errors carry.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {MAX_TERM} from '../../src/core/limits.js'
import {MAX_APPEND_BODIES, MAX_LOG_TAIL, parseFrame, type ParseResult, parseMemberStatus} from '../../src/wire/frames.js'
import {type MemberStatus, memberStatus} from '../../src/wire/status.js'
import {makeNode} from '../core/helpers.js'

const base = {group: 'default', remoteId: 'n1', localId: 'n0', code: 200, leaderId: 'n0', term: 3, reqId: 'n0.a.1'}
const entries = [{index: 5, term: 3, body: 'x'}]

/** One valid frame of every kind (and admin op); each field is then spoiled in turn. */
const VALID: Record<string, Record<string, unknown>> = {
  VoteRequest: {kind: 'VoteRequest', ...base, ledgerEndIndex: -1, ledgerEndTerm: -1},
  VoteResponse: {kind: 'VoteResponse', ...base, voteResult: 'REJECT_ALREADY_VOTED'},
  HeartBeatRequest: {kind: 'HeartBeatRequest', ...base},
  HeartBeatResponse: {kind: 'HeartBeatResponse', ...base},
  LeadershipTransferRequest: {kind: 'LeadershipTransferRequest', ...base, transferId: 'n0', transfereeId: 'n1', takeLeadershipLedgerIndex: -1},
  LeadershipTransferResponse: {kind: 'LeadershipTransferResponse', ...base},
  PushEntryRequest: {kind: 'PushEntryRequest', ...base, type: 'APPEND', preLogIndex: 4, preLogTerm: 2, commitIndex: 4, entries},
  PushEntryResponse: {kind: 'PushEntryResponse', ...base, type: 'COMPARE', index: -1, ledgerEndIndex: 2, xTerm: 2, xIndex: 1},
  'AdminRequest status': {kind: 'AdminRequest', reqId: '1', op: 'status'},
  'AdminRequest revote': {kind: 'AdminRequest', reqId: '1', op: 'revote', term: 4},
  'AdminRequest setPreferredLeaders': {kind: 'AdminRequest', reqId: '1', op: 'setPreferredLeaders', ids: ['n1']},
  'AdminRequest subscribeLog': {kind: 'AdminRequest', reqId: '1', op: 'subscribeLog', tail: 5, follow: false, types: ['ROLE_CHANGE']},
  'AdminRequest append': {kind: 'AdminRequest', reqId: '1', op: 'append', bodies: ['a']},
  'AdminRequest read': {kind: 'AdminRequest', reqId: '1', op: 'read', from: 0, to: 5, uncommitted: true},
  'AdminRequest faults': {kind: 'AdminRequest', reqId: '1', op: 'faults', set: {dropTo: ['n1'], dropFrom: [], loss: 0.5, delayMs: [1, 5]}},
  AdminResponse: {kind: 'AdminResponse', reqId: '1', ok: false, code: 'NOT_LEADER', error: 'n0 is FOLLOWER'},
  LogEvent: {kind: 'LogEvent', event: {ts: '2026-01-01T00:00:00.000Z', node: 'n0', term: 1, type: 'ROLE_CHANGE'}},
}

/** The fields a frame may lack, by kind. */
const OPTIONAL: Record<string, string[]> = {
  AdminRequest: ['group', 'term', 'tail', 'follow', 'types', 'from', 'to', 'uncommitted', 'set'],
  AdminResponse: ['code', 'error', 'result'],
}

/** A value of the wrong type for each field (a number where text goes, text where a number goes, …). */
function wrongTypeFor(value: unknown): unknown {
  if (typeof value === 'string') return 42
  if (typeof value === 'number') return 'seven'
  if (typeof value === 'boolean') return 'yes'
  if (Array.isArray(value)) return 'not a list'
  return 17
}

function refused(frame: unknown): Extract<ParseResult, {ok: false}> {
  const text = typeof frame === 'string' ? frame : JSON.stringify(frame)
  const r = parseFrame(text)
  assert.equal(r.ok, false, `accepted ${text.slice(0, 200)}`)
  return r as Extract<ParseResult, {ok: false}>
}

function accepted(frame: unknown): unknown {
  const r = parseFrame(typeof frame === 'string' ? frame : JSON.stringify(frame))
  assert.ok(r.ok, `refused ${JSON.stringify(frame).slice(0, 200)}: ${r.ok ? '' : r.detail}`)
  return r.frame
}

const with_ = (name: string, fields: Record<string, unknown>) => ({...VALID[name], ...fields})

describe('wire refusals', () => {
  it('accepts one valid frame of every kind and admin op, unchanged', () => {
    for (const frame of Object.values(VALID)) assert.deepEqual(accepted(frame), frame)
  })

  it('refuses a wrong type in any field of any frame, naming the field', () => {
    for (const [name, frame] of Object.entries(VALID)) {
      for (const [field, value] of Object.entries(frame)) {
        if (field === 'kind') continue
        const r = refused({...frame, [field]: wrongTypeFor(value)})
        assert.equal(r.reason, 'malformed', `${name}.${field}`)
        assert.ok(r.detail.startsWith(`bad ${frame.kind}: ${field}`), `${name}.${field}: ${r.detail}`)
      }
    }
  })

  it('refuses a frame that lacks a field it requires, and accepts one without an optional field', () => {
    for (const [name, frame] of Object.entries(VALID)) {
      for (const field of Object.keys(frame)) {
        if (field === 'kind') continue
        const {[field]: _, ...rest} = frame
        if (OPTIONAL[frame.kind as string]?.includes(field)) accepted(rest)
        else assert.match(refused(rest).detail, new RegExp(`^bad ${frame.kind}: ${field}: `), `${name} without ${field}`)
      }
    }
  })

  it('refuses null where a field is not nullable, and accepts it where it is', () => {
    assert.equal(refused(with_('VoteRequest', {group: null})).detail, 'bad VoteRequest: group: Invalid input: expected string, received null')
    assert.equal(refused(with_('AdminRequest revote', {term: null})).detail, 'bad AdminRequest: term: Invalid input: expected number, received null')
    accepted(with_('HeartBeatRequest', {leaderId: null}))
    accepted(with_('AdminRequest faults', {set: {dropTo: [], dropFrom: [], loss: 0, delayMs: null}}))
  })

  it('drops the fields a frame does not define, but keeps a vote-log record\'s own', () => {
    assert.deepEqual(accepted({...VALID.VoteRequest, junk: {a: 1}}), VALID.VoteRequest)
    assert.deepEqual(accepted(JSON.stringify(VALID.VoteRequest).replace('{', '{"__proto__":{"x":1},')), VALID.VoteRequest)
    assert.deepEqual(accepted({...VALID.PushEntryRequest, entries: [{...entries[0], extra: true}]}), VALID.PushEntryRequest)
    assert.deepEqual(accepted({...VALID['AdminRequest status'], ids: ['n1']}), VALID['AdminRequest status'])
    const event = {...(VALID.LogEvent.event as object), from: 'CANDIDATE', to: 'LEADER', reason: 'elected'}
    assert.deepEqual(accepted({kind: 'LogEvent', event, junk: 1}), {kind: 'LogEvent', event})
    const polluted = accepted(`{"kind":"LogEvent","event":{"ts":"t","node":"n0","term":1,"type":"FAULTS","__proto__":{"admin":true}}}`) as {event: object}
    assert.equal(Object.getPrototypeOf(polluted.event), Object.prototype, 'a "__proto__" key never becomes the prototype')
    assert.equal((polluted.event as {admin?: unknown}).admin, undefined)
  })

  it('refuses numbers that are fractional, beyond the safe integers or not finite', () => {
    assert.equal(refused(with_('VoteRequest', {ledgerEndIndex: 1.5})).detail, 'bad VoteRequest: ledgerEndIndex: Invalid input: expected int, received number')
    assert.equal(refused(with_('VoteRequest', {code: 2 ** 53})).detail, 'bad VoteRequest: code: Too big: expected int to be <=9007199254740991')
    assert.equal(refused(with_('VoteRequest', {code: -(2 ** 53)})).detail, 'bad VoteRequest: code: Too small: expected int to be >=-9007199254740991')
    const infinite = JSON.stringify(VALID.VoteRequest).replace('"ledgerEndIndex":-1', '"ledgerEndIndex":1e400')
    assert.equal(refused(infinite).detail, 'bad VoteRequest: ledgerEndIndex: Invalid input: expected number, received Infinity')
    assert.equal(refused(with_('AdminRequest faults', {set: {dropTo: [], dropFrom: [], loss: '0.5', delayMs: null}})).detail, 'bad AdminRequest: set.loss: Invalid input: expected number, received string')
    assert.equal(refused(with_('AdminRequest read', {from: 2.5})).reason, 'malformed')
  })

  it('calls a term above MAX_TERM out of range wherever a term travels, and MAX_TERM itself fine', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['VoteRequest', {term: MAX_TERM + 1}, 'term'],
      ['VoteRequest', {ledgerEndTerm: 2 ** 60}, 'ledgerEndTerm'],
      ['HeartBeatResponse', {term: Number.MAX_SAFE_INTEGER}, 'term'],
      ['PushEntryRequest', {preLogTerm: MAX_TERM + 1}, 'preLogTerm'],
      ['PushEntryRequest', {nextLogTerm: MAX_TERM + 1}, 'nextLogTerm'],
      ['PushEntryRequest', {entries: [{index: 5, term: MAX_TERM + 1, body: ''}]}, 'entries.0.term'],
      ['PushEntryResponse', {xTerm: MAX_TERM * 2}, 'xTerm'],
      ['AdminRequest revote', {term: MAX_TERM + 1}, 'term'],
    ]
    for (const [name, fields, where] of cases) {
      const r = refused(with_(name, fields))
      assert.equal(r.reason, 'term_out_of_range', `${name} ${where}`)
      assert.equal(r.detail, `bad ${VALID[name].kind}: ${where} is above the largest term ${MAX_TERM}`)
    }
    for (const [name, fields] of cases) {
      const atMax = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Array.isArray(v) ? [{index: 5, term: MAX_TERM, body: ''}] : MAX_TERM]))
      accepted(with_(name, atMax))
    }
    assert.equal(refused(with_('VoteRequest', {code: 'x', term: MAX_TERM + 1})).reason, 'malformed', 'the first bad field decides: code comes before term')
    assert.equal(refused(with_('PushEntryResponse', {index: 2 ** 60})).reason, 'malformed', 'a huge index is malformed, not a term out of range')
  })

  it('refuses terms and indexes below their floor', () => {
    assert.equal(refused(with_('VoteRequest', {term: -2})).detail, 'bad VoteRequest: term: Too small: expected number to be >=-1')
    assert.equal(refused(with_('PushEntryRequest', {commitIndex: -2})).detail, 'bad PushEntryRequest: commitIndex: Too small: expected number to be >=-1')
    assert.equal(refused(with_('PushEntryRequest', {entries: [{index: -1, term: 1, body: ''}]})).detail, 'bad PushEntryRequest: entries.0.index: Too small: expected number to be >=0')
    assert.equal(refused(with_('PushEntryRequest', {entries: [{index: 1, term: -1, body: ''}]})).detail, 'bad PushEntryRequest: entries.0.term: Too small: expected number to be >=0')
    assert.equal(refused(with_('AdminRequest revote', {term: -1})).detail, 'bad AdminRequest: term: Too small: expected number to be >=0')
    accepted(with_('VoteRequest', {term: -1}))
    accepted(with_('AdminRequest read', {from: -1, to: -1}))
  })

  it('bounds the length of texts and lists', () => {
    assert.equal(refused(with_('VoteRequest', {group: 'g'.repeat(257)})).detail, 'bad VoteRequest: group: Too big: expected string to have <=256 characters')
    accepted(with_('VoteRequest', {group: 'g'.repeat(256)}))
    assert.equal(refused(with_('VoteRequest', {reqId: ''})).detail, 'bad VoteRequest: reqId: Too small: expected string to have >=1 characters')
    assert.equal(refused(with_('AdminResponse', {code: 'C'.repeat(65)})).reason, 'malformed')
    assert.equal(refused(with_('AdminResponse', {error: 'e'.repeat(4097)})).reason, 'malformed')
    assert.equal(refused(with_('LogEvent', {event: {...(VALID.LogEvent.event as object), ts: 't'.repeat(65)}})).detail, 'bad LogEvent: event.ts: Too big: expected string to have <=64 characters')
    const ids = Array.from({length: 65}, (_, i) => `n${i}`)
    assert.equal(refused(with_('AdminRequest setPreferredLeaders', {ids})).detail, 'bad AdminRequest: ids: Too big: expected array to have <=64 items')
    accepted(with_('AdminRequest setPreferredLeaders', {ids: ids.slice(0, 64)}))
    assert.equal(refused(with_('AdminRequest append', {bodies: []})).detail, 'bad AdminRequest: bodies: Too small: expected array to have >=1 items')
    assert.match(refused(with_('AdminRequest append', {bodies: Array.from({length: MAX_APPEND_BODIES + 1}, () => '')})).detail, /bodies: Too big/)
    assert.match(refused(with_('PushEntryRequest', {entries: Array.from({length: 10_001}, (_, i) => ({index: i, term: 1, body: ''}))})).detail, /entries: Too big: expected array to have <=10000 items/)
    assert.match(refused(with_('AdminRequest subscribeLog', {tail: MAX_LOG_TAIL + 1})).detail, /tail: Too big/)
  })

  it('refuses a member id outside the id alphabet, a value outside its options, and a bad fault', () => {
    const faults = (set: Record<string, unknown>) => with_('AdminRequest faults', {set: {dropTo: [], dropFrom: [], loss: 0, delayMs: null, ...set}})
    assert.equal(refused(with_('AdminRequest setPreferredLeaders', {ids: ['n1', 'bad id']})).detail, 'bad AdminRequest: ids.1: Invalid string: must match pattern /^[A-Za-z0-9_.]{1,64}$/')
    assert.match(refused(with_('VoteResponse', {voteResult: 'MAYBE'})).detail, /^bad VoteResponse: voteResult: Invalid option: expected one of "UNKNOWN"\|"ACCEPT"\|/)
    assert.match(refused(with_('PushEntryRequest', {type: 'INSTALL_SNAPSHOT'})).detail, /type: Invalid option/)
    assert.match(refused(with_('AdminRequest subscribeLog', {types: ['ROLE_CHANGE', 'NAP']})).detail, /types\.1: Invalid option/)
    assert.equal(refused(faults({delayMs: [50, 20]})).detail, 'bad AdminRequest: set.delayMs: the delay range must be MIN-MAX with MIN <= MAX')
    assert.equal(refused(faults({delayMs: [5]})).detail, 'bad AdminRequest: set.delayMs: Too small: expected array to have >=2 items')
    assert.equal(refused(faults({delayMs: [1, 2, 3]})).detail, 'bad AdminRequest: set.delayMs: Too big: expected array to have <=2 items')
    assert.equal(refused(faults({delayMs: [0, 60_001]})).detail, 'bad AdminRequest: set.delayMs.1: Too big: expected number to be <=60000')
    assert.equal(refused(faults({loss: 1.01})).detail, 'bad AdminRequest: set.loss: Too big: expected number to be <=1')
    assert.equal(refused(faults({dropFrom: ['../etc']})).reason, 'malformed')
    accepted(faults({delayMs: [20, 20], loss: 1}))
  })

  it('answers an unknown or missing admin op with the ops it knows, keeping the reqId', () => {
    const ops = "'status' | 'revote' | 'stepDown' | 'setPreferredLeaders' | 'subscribeLog' | 'append' | 'read' | 'faults'"
    for (const op of ['format-disk', 'toString', '__proto__', 7, undefined]) {
      const r = refused({kind: 'AdminRequest', reqId: '9', op})
      assert.deepEqual(r, {ok: false, reason: 'malformed', detail: `bad AdminRequest: op: Invalid discriminator value. Expected ${ops}`, kind: 'AdminRequest', reqId: '9'})
    }
    assert.equal(refused({kind: 'AdminRequest', op: 'status'}).detail, 'bad AdminRequest: reqId: Invalid input: expected string, received undefined')
  })

  it('refuses a vote-log event that is not an object', () => {
    assert.equal(refused({kind: 'LogEvent', event: []}).detail, 'bad LogEvent: event: Invalid input: expected object, received array')
    assert.equal(refused({kind: 'LogEvent', event: 'ROLE_CHANGE'}).detail, 'bad LogEvent: event: Invalid input: expected object, received string')
  })
})

describe('member status', () => {
  // the report a fresh member builds (member.ts: its core's snapshot and what the process adds)
  const status: MemberStatus = {
    ...memberStatus(makeNode({term: 3}).e.snapshot(0), {address: '127.0.0.1:7000', pid: 4242, startedAt: '2026-01-01T00:00:00.000Z', uptimeMs: 12.5, version: '0.1.0'}),
    faults: null,
  }

  it('accepts a member status and drops what it does not define', () => {
    assert.deepEqual(parseMemberStatus({...status, extra: 1}), {ok: true, status})
    const {faults: _, ...withoutFaults} = status
    assert.deepEqual(parseMemberStatus(withoutFaults), {ok: true, status: withoutFaults})
  })

  it('refuses a status with any field of the wrong type, naming the field', () => {
    for (const [field, value] of Object.entries(status)) {
      const r = parseMemberStatus({...status, [field]: value === null ? true : wrongTypeFor(value)})
      assert.ok(!r.ok && r.detail.startsWith(`bad status: ${field}: `), `${field}: ${JSON.stringify(r)}`)
    }
    assert.deepEqual(parseMemberStatus({...status, reachable: false}), {ok: false, detail: 'bad status: reachable: Invalid input: expected true'})
    assert.deepEqual(parseMemberStatus({...status, role: 'KING'}), {ok: false, detail: 'bad status: role: Invalid option: expected one of "CANDIDATE"|"FOLLOWER"|"LEADER"'})
    assert.deepEqual(parseMemberStatus({...status, term: MAX_TERM + 1}), {ok: false, detail: `bad status: term: Too big: expected number to be <=${MAX_TERM}`})
    assert.deepEqual(parseMemberStatus(null), {ok: false, detail: 'bad status: value: Invalid input: expected object, received null'})
    assert.deepEqual(parseMemberStatus([status]), {ok: false, detail: 'bad status: value: Invalid input: expected object, received array'})
  })
})
