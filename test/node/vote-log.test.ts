import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import type {VoteLogEvent} from '../../src/core/events.js'
import {VoteLog} from '../../src/node/vote-log.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-votelog-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const toIso = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString()

function roleChange(atMs: number, term: number): VoteLogEvent {
  return {atMs, node: 'n0', term, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: 'n0', reason: `elected with 2/3 votes in term ${term}`}
}

describe('the vote log (spec §3)', () => {
  it('appends one JSON line per event with an ISO ts and the event fields', (t) => {
    const dir = tempDir(t)
    const log = new VoteLog({dir, toIso})
    log.open()
    log.append([roleChange(1500, 3), {atMs: 1600, node: 'n0', term: 3, type: 'HEARTBEAT_TIMEOUT', leaderId: 'n1', lastHeartbeatAgoMs: 6004}])
    log.close()
    const lines = readFileSync(join(dir, 'vote.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(lines[0], {ts: '2026-01-01T00:00:01.500Z', node: 'n0', term: 3, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: 'n0', reason: 'elected with 2/3 votes in term 3'})
    assert.equal(lines[1].type, 'HEARTBEAT_TIMEOUT')
  })

  it('rotates at the size limit and keeps 3 old files', (t) => {
    const dir = tempDir(t)
    const log = new VoteLog({dir, toIso, maxBytes: 1000})
    log.open()
    for (let i = 0; i < 100; i++) log.append([roleChange(i, i)])
    log.close()
    assert.deepEqual(readdirSync(dir).sort(), ['vote.log', 'vote.log.1', 'vote.log.2', 'vote.log.3'])
    for (const f of ['vote.log', 'vote.log.1', 'vote.log.2', 'vote.log.3']) assert.ok(statSync(join(dir, f)).size <= 1000, f)
    // the newest records are in vote.log, the ones before them in vote.log.1
    const last = readFileSync(join(dir, 'vote.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).term)
    const before = readFileSync(join(dir, 'vote.log.1'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).term)
    assert.equal(last.at(-1), 99)
    assert.equal(before.at(-1), last[0] - 1)
  })

  it('streams records to subscribers and serves a tail that survives a restart', (t) => {
    const dir = tempDir(t)
    const log = new VoteLog({dir, toIso})
    log.open()
    const seen: number[] = []
    const unsubscribe = log.subscribe((r) => seen.push(r.term))
    log.subscribe(() => {
      throw new Error('a broken subscriber does not stop the others')
    })
    log.append([roleChange(1, 1), roleChange(2, 2)])
    unsubscribe()
    log.append([roleChange(3, 3)])
    assert.deepEqual(seen, [1, 2])
    log.close()
    const reopened = new VoteLog({dir, toIso})
    reopened.open()
    t.after(() => reopened.close())
    assert.deepEqual(reopened.tail(2).map((r) => r.term), [2, 3])
    assert.deepEqual(reopened.tail(10, ['HEARTBEAT_TIMEOUT']), [])
  })

  it('starts a new line after a log cut mid-line', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'vote.log'), '{"ts":"x","type":"ROLE_CH')
    const log = new VoteLog({dir, toIso})
    log.open()
    log.append([roleChange(1, 9)])
    log.close()
    const lines = readFileSync(join(dir, 'vote.log'), 'utf8').trimEnd().split('\n')
    assert.equal(JSON.parse(lines[1]).term, 9)
    assert.ok(existsSync(join(dir, 'vote.log')))
  })
})
