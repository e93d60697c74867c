/**
 * `dledger logs` without members: parsing vote-log text, merging members' logs by time, the
 * filters, the human line of each event type, reading rotated files oldest first, printing each
 * record once while following, and the command itself over files written here (in-process).
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {backoffMs, readVoteLogFiles, SeenRecords} from '../../src/cli/vote-log-source.js'
import {
  formatRecord,
  formatTime,
  mergeLogs,
  parseSince,
  parseTypes,
  parseVoteLogText,
  recordKey,
  selectRecords,
} from '../../src/cli/vote-log-view.js'
import type {VoteLogRecord} from '../../src/wire/frames.js'
import {runCli} from '../helpers/run-cli.js'
import {at, parseResult, roleChange, T0} from '../helpers/vote-log-records.js'

function tempHome(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-logs-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const lines = (records: VoteLogRecord[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('')

describe('vote-log text', () => {
  it('parses JSON lines, counts corrupt and unknown-type lines, and skips blank ones', () => {
    const good = roleChange('n1', 0, 4, 'CANDIDATE', 'LEADER', 'elected with 2/3 votes in term 4')
    const text = [JSON.stringify(good), '', '{not json', '[1,2]', '{"ts":"never","node":"n1","term":1,"type":"ROLE_CHANGE"}', '{"ts":"2026-11-25T12:00:00Z","node":"n1","term":1,"type":"NO_SUCH"}', '{"ts":"2026-11-25T12:00:00Z","node":"n1","term":1.5,"type":"ROLE_CHANGE"}', JSON.stringify(good), ''].join('\n')
    const parsed = parseVoteLogText(text)
    assert.equal(parsed.records.length, 2)
    assert.deepEqual(parsed.records[0], good)
    assert.equal(parsed.corrupt, 5)
  })

  it('ignores an unterminated last line only when asked to (a member may be writing it)', () => {
    const text = `${JSON.stringify(roleChange('n1', 0, 1, 'CANDIDATE', 'LEADER', 'x'))}\n{"ts":"2026-11-25T12:0`
    assert.deepEqual(parseVoteLogText(text, {partialLastLine: true}).corrupt, 0)
    assert.deepEqual(parseVoteLogText(text).corrupt, 1)
  })
})

describe('merging and filtering', () => {
  const n0 = [roleChange('n0', 10, 1, 'CANDIDATE', 'FOLLOWER', 'a', 'n1'), parseResult('n0', 30, 2), roleChange('n0', 30, 2, 'CANDIDATE', 'LEADER', 'b')]
  const n1 = [roleChange('n1', 5, 1, 'CANDIDATE', 'LEADER', 'c'), roleChange('n1', 30, 2, 'LEADER', 'FOLLOWER', 'd', 'n0'), parseResult('n1', 40, 2)]

  it('merges by ts, keeping member order and file order within one millisecond', () => {
    const merged = mergeLogs([n0, n1])
    assert.deepEqual(
      merged.map((r) => `${r.node}@${Date.parse(r.ts) - T0}:${r.type}`),
      ['n1@5:ROLE_CHANGE', 'n0@10:ROLE_CHANGE', 'n0@30:PARSE_VOTE_RESULT', 'n0@30:ROLE_CHANGE', 'n1@30:ROLE_CHANGE', 'n1@40:PARSE_VOTE_RESULT'],
    )
  })

  it('filters by node, type and since, then keeps the last n', () => {
    const merged = mergeLogs([n0, n1])
    assert.equal(selectRecords(merged, {nodes: ['n1']}).length, 3)
    assert.equal(selectRecords(merged, {types: ['PARSE_VOTE_RESULT']}).length, 2)
    assert.equal(selectRecords(merged, {sinceMs: T0 + 30}).length, 4)
    assert.deepEqual(
      selectRecords(merged, {types: ['ROLE_CHANGE']}, 2).map((r) => r.node),
      ['n0', 'n1'],
    )
    assert.deepEqual(selectRecords(merged, {}, 0), [])
    assert.equal(selectRecords(merged, {}).length, 6)
  })

  it('reads --type as a comma list in any case and names unknown types', () => {
    assert.deepEqual(parseTypes('role_change, LEADERSHIP_TRANSFER,ROLE_CHANGE'), {ok: true, types: ['ROLE_CHANGE', 'LEADERSHIP_TRANSFER']})
    assert.deepEqual(parseTypes('ROLE_CHANGE,VOTE,x'), {ok: false, unknown: ['VOTE', 'X']})
    assert.equal(parseTypes(' , ').ok, false)
  })

  it('reads --since as a duration back from now or an ISO time', () => {
    const now = T0 + 3_600_000
    assert.equal(parseSince('30s', now), now - 30_000)
    assert.equal(parseSince('5m', now), now - 300_000)
    assert.equal(parseSince('1h30m', now), now - 5_400_000)
    assert.equal(parseSince('250ms', now), now - 250)
    assert.equal(parseSince('2026-11-25T12:00:00Z', now), T0)
    assert.equal(parseSince('yesterday', now), null)
    assert.equal(parseSince('5', now), null)
    assert.equal(parseSince('2026-13-45T99:00:00Z', now), null)
  })
})

describe('the human line', () => {
  const fmt = (r: VoteLogRecord) => formatRecord(r, {utc: true})

  it('says who, when, which term, what type and what happened, for every event type', () => {
    const base = {ts: '2026-11-25T12:00:01.204Z', node: 'n1', term: 4}
    const cases: [Record<string, unknown>, string][] = [
      [{type: 'PARSE_VOTE_RESULT', result: 'PASSED', acceptedNum: 2, notReadyTermNum: 0, biggerLedgerNum: 0, validNum: 3, allNum: 3, alreadyHasLeader: false, knownMaxTermInGroup: 4, costMs: 12, nextVoteInMs: 0}, 'PARSE_VOTE_RESULT PASSED accepted 2/3 in 12 ms'],
      // an early exit parses before every answer is in: the line counts the group, not the answers
      [{type: 'PARSE_VOTE_RESULT', result: 'PASSED', acceptedNum: 2, notReadyTermNum: 0, biggerLedgerNum: 0, validNum: 2, allNum: 2, peers: 3, alreadyHasLeader: false, knownMaxTermInGroup: 4, costMs: 2, nextVoteInMs: 0}, 'PARSE_VOTE_RESULT PASSED accepted 2/3 in 2 ms'],
      [{type: 'PARSE_VOTE_RESULT', result: 'WAIT_TO_REVOTE', acceptedNum: 1, notReadyTermNum: 1, biggerLedgerNum: 0, validNum: 3, allNum: 3, alreadyHasLeader: true, knownMaxTermInGroup: 4, costMs: 3.4, nextVoteInMs: 120.6}, 'PARSE_VOTE_RESULT WAIT_TO_REVOTE accepted 1/3 in 3 ms; 1 not ready, a leader exists, next vote in 121 ms'],
      [{type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: 'n1', reason: 'elected with 2/3 votes in term 4'}, 'ROLE_CHANGE CANDIDATE -> LEADER (elected with 2/3 votes in term 4)'],
      [{type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'FOLLOWER', leaderId: 'n2', reason: 'heartbeat from leader n2 in term 4'}, 'ROLE_CHANGE CANDIDATE -> FOLLOWER, leader n2 (heartbeat from leader n2 in term 4)'],
      [{type: 'VOTE_HANDLED', candidate: 'n2', voteResult: 'REJECT_ALREADY_VOTED', requestTerm: 4}, 'VOTE_HANDLED voted REJECT_ALREADY_VOTED for n2 (term 4)'],
      [{type: 'VOTE_RESPONSE', from: 'n0', voteResult: 'REJECT_TERM_NOT_READY', responseTerm: 3}, 'VOTE_RESPONSE REJECT_TERM_NOT_READY from n0 (its term 3)'],
      [{type: 'VOTE_RESPONSE', from: 'n0', voteResult: 'ACCEPT', responseTerm: 4}, 'VOTE_RESPONSE ACCEPT from n0'],
      [{type: 'VOTE_REQUEST', ledgerEndIndex: -1, ledgerEndTerm: -1, peers: 3}, 'VOTE_REQUEST asks 3 members for votes in term 4 (ledger end -1/-1)'],
      [{type: 'VOTE_REQUEST', ledgerEndIndex: -1, ledgerEndTerm: -1, peers: 1}, 'VOTE_REQUEST asks 1 member for votes in term 4 (ledger end -1/-1)'],
      [{type: 'INCREASE_TERM', fromTerm: 3, reason: 'increase requested'}, 'INCREASE_TERM 3 -> 4 (increase requested)'],
      [{type: 'HEARTBEAT_TIMEOUT', leaderId: 'n0', lastHeartbeatAgoMs: 312}, 'HEARTBEAT_TIMEOUT no heartbeat from n0 for 312 ms'],
      [{type: 'HEARTBEAT_QUORUM_LOST', succNum: 1, notReadyNum: 0, allNum: 3, lastSuccessAgoMs: 400, reason: 'no quorum of heartbeat acks'}, 'HEARTBEAT_QUORUM_LOST 1/3 acks, last quorum 400 ms ago (no quorum of heartbeat acks)'],
      [{type: 'LEADERSHIP_TRANSFER', phase: 'REQUESTED', transferee: 'n2', code: 'SUCCESS', detail: 'requested by cli.42'}, 'LEADERSHIP_TRANSFER REQUESTED to n2 (requested by cli.42)'],
      [{type: 'LEADERSHIP_TRANSFER', phase: 'FAILED', transferee: 'n2', code: 'TIMEOUT'}, 'LEADERSHIP_TRANSFER FAILED to n2 TIMEOUT'],
    ]
    for (const [fields, expected] of cases) assert.equal(fmt({...base, ...fields} as VoteLogRecord), `12:00:01.204 n1 term 4 ${expected}`)
  })

  it('shows ? for fields a record of another version lacks, instead of failing', () => {
    assert.equal(fmt({ts: '2026-11-25T12:00:01.204Z', node: 'n1', term: 4, type: 'ROLE_CHANGE'} as VoteLogRecord), '12:00:01.204 n1 term 4 ROLE_CHANGE ? -> ?')
  })

  it('prints the date of a record from another day than today', () => {
    assert.equal(formatTime(T0, {utc: true, nowMs: T0 + 1000}), '12:00:00.000')
    assert.equal(formatTime(T0, {utc: true, nowMs: T0 + 86_400_000}), '2026-11-25 12:00:00.000')
  })
})

describe('reading a data directory and following', () => {
  it('reads vote.log.3 … vote.log.1 then vote.log, skipping what is missing and counting corrupt lines per file', (t) => {
    const dir = tempHome(t)
    writeFileSync(join(dir, 'vote.log.2'), lines([roleChange('n0', 1, 1, 'CANDIDATE', 'LEADER', 'oldest')]))
    writeFileSync(join(dir, 'vote.log.1'), `${lines([roleChange('n0', 2, 2, 'LEADER', 'CANDIDATE', 'older')])}oops\n`)
    writeFileSync(join(dir, 'vote.log'), `${lines([roleChange('n0', 3, 3, 'CANDIDATE', 'LEADER', 'newest')])}{"half`)
    const log = readVoteLogFiles(dir)
    assert.ok(log)
    assert.deepEqual(
      log.records.map((r) => (r as {reason: string}).reason),
      ['oldest', 'older', 'newest'],
    )
    assert.deepEqual(log.corrupt, [{file: join(dir, 'vote.log.1'), lines: 1}])
    assert.equal(readVoteLogFiles(join(dir, 'nothing-here')), null)
  })

  it('admits each record once: from a file, a tail after a reconnect, or a live push', () => {
    const seen = new SeenRecords()
    const a = parseResult('n0', 30, 2)
    const b = roleChange('n0', 30, 2, 'CANDIDATE', 'LEADER', 'b')
    const c = roleChange('n0', 50, 3, 'LEADER', 'FOLLOWER', 'c', 'n1')
    assert.equal(seen.admit(a), true)
    // the same record with its fields in another order (a live push) is the same record
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as VoteLogRecord
    assert.equal(recordKey(reordered), recordKey(a))
    assert.equal(seen.admit(reordered), false)
    assert.equal(seen.admit(b), true, 'same millisecond, another event')
    assert.equal(seen.admit(c), true)
    assert.equal(seen.admit(b), false, 'older than the newest seen')
    assert.equal(seen.admit(roleChange('n1', 10, 1, 'CANDIDATE', 'FOLLOWER', 'x', 'n0')), true, 'per member')
  })

  it('backs off within bounds, growing with each attempt', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.5, 0.999]) {
        const ms = backoffMs(attempt, 200, 3000, () => r)
        assert.ok(ms >= 100 && ms <= 3000, `${attempt}: ${ms}`)
      }
    }
    assert.ok(backoffMs(5, 200, 3000, () => 0) > backoffMs(0, 200, 3000, () => 0.999))
  })
})

describe('dledger logs (files only, in-process)', () => {
  function home(t: TestContext): string {
    const h = tempHome(t)
    // a profile whose members are not running: ports nobody listens on
    writeFileSync(join(h, 'profile.json'), JSON.stringify({group: 'g', peers: 'n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3', timingOverrides: {}, preferredLeaderIds: []}))
    for (const [id, records] of Object.entries({
      n0: [roleChange('n0', 10, 1, 'CANDIDATE', 'FOLLOWER', 'heartbeat from leader n1 in term 1', 'n1'), parseResult('n0', 40, 2)],
      n1: [parseResult('n1', 5, 1), roleChange('n1', 5, 1, 'CANDIDATE', 'LEADER', 'elected with 2/3 votes in term 1')],
    })) {
      mkdirSync(join(h, 'data', 'g', id), {recursive: true})
      writeFileSync(join(h, 'data', 'g', id, 'vote.log'), `${lines(records)}{corrupt\n`)
    }
    return h
  }

  it('--json prints the stopped members\' records as JSON lines in time order and warns about corrupt lines and n2', async (t) => {
    const h = home(t)
    const r = await runCli(['logs', '--home', h, '--json', '--timeout', '200'])
    assert.equal(r.exitCode, 0, r.stderr)
    const out = r.stdout.split('\n').map((l) => JSON.parse(l) as VoteLogRecord)
    assert.deepEqual(
      out.map((x) => `${x.node}:${x.type}`),
      ['n1:PARSE_VOTE_RESULT', 'n1:ROLE_CHANGE', 'n0:ROLE_CHANGE', 'n0:PARSE_VOTE_RESULT'],
    )
    assert.match(r.stderr, /skipped 1 corrupt line in .*n0.vote\.log/)
    assert.match(r.stderr, /skipped 1 corrupt line in .*n1.vote\.log/)
    assert.match(r.stderr, /n2: no vote log in .* and unreachable/)
  })

  // the fixture's records are from T0's day: the command's clock is pinned there, or a run on
  // any later day would print their dates
  const onFixtureDay = {DLEDGER_NOW: at(1000)}

  it('filters with --node, --type and -n', async (t) => {
    const h = home(t)
    const r = await runCli(['logs', '--home', h, '--node', 'n0,n1', '--type', 'role_change', '-n', '1', '--timeout', '200'], onFixtureDay)
    assert.equal(r.exitCode, 0, r.stderr)
    assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{3} n0 term 1 ROLE_CHANGE CANDIDATE -> FOLLOWER, leader n1 \(heartbeat from leader n1 in term 1\)$/)
  })

  it('prints the date in front of records of another day than the clock\'s', async (t) => {
    const h = home(t)
    const r = await runCli(['logs', '--home', h, '--node', 'n0', '--type', 'ROLE_CHANGE', '--timeout', '200'], {DLEDGER_NOW: at(3 * 86_400_000)})
    assert.equal(r.exitCode, 0, r.stderr)
    assert.match(r.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} n0 term 1 ROLE_CHANGE /)
  })

  it('counts --since back from the clock', async (t) => {
    const h = home(t)
    // n0's parse result is at T0+40 ms, everything else before T0+20 ms
    const r = await runCli(['logs', '--home', h, '--since', '1s', '--json', '--timeout', '200'], {DLEDGER_NOW: at(1020)})
    assert.equal(r.exitCode, 0, r.stderr)
    assert.deepEqual(r.stdout.split('\n').map((l) => (JSON.parse(l) as VoteLogRecord).type), ['PARSE_VOTE_RESULT'])
  })

  it('exits 2 on an unknown type, member or --since, and 1 when no member has a log', async (t) => {
    const h = home(t)
    const type = await runCli(['logs', '--home', h, '--type', 'ROLE_CHANGE,BOGUS'])
    assert.equal(type.exitCode, 2)
    assert.match(type.stderr, /^Error: --type: unknown event type "BOGUS"/)
    const node = await runCli(['logs', '--home', h, '--node', 'n9', '--json'])
    assert.equal(node.exitCode, 2)
    assert.equal((JSON.parse(node.stdout) as {error: {code: string}}).error.code, 'UNKNOWN_MEMBER')
    const since = await runCli(['logs', '--home', h, '--since', 'soon'])
    assert.equal(since.exitCode, 2)
    const none = await runCli(['logs', '--home', h, '--node', 'n2', '--timeout', '200'])
    assert.equal(none.exitCode, 1)
    assert.match(none.stderr, /no vote log to read/)
  })
})
