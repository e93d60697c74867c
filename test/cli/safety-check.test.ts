/**
 * The safety check on made-up histories: each invariant is reported from the records that break
 * it, with the file and line of each one, and a sound history is not.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {checkHistories, type MemberHistory, renderCheckReport} from '../../src/cli/safety-check.js'
import type {DurableState} from '../../src/core/types.js'
import type {VoteLogRecord} from '../../src/wire/frames.js'

const T0 = Date.parse('2026-11-25T12:00:00.000Z')

type Fields = Record<string, unknown>
/** A record of `node` at `term`, the `ms`-th millisecond after T0. */
const rec = (node: string, term: number, type: VoteLogRecord['type'], fields: Fields = {}, ms = 0): VoteLogRecord =>
  ({ts: new Date(T0 + ms).toISOString(), node, term, type, ...fields}) as VoteLogRecord
const leader = (node: string, term: number) => rec(node, term, 'ROLE_CHANGE', {from: 'CANDIDATE', to: 'LEADER', leaderId: node, reason: `elected with 2/3 votes in term ${term}`})
const follower = (node: string, term: number, leaderId: string) => rec(node, term, 'ROLE_CHANGE', {from: 'CANDIDATE', to: 'FOLLOWER', leaderId, reason: 'heartbeat'})
const accepted = (voter: string, term: number, candidate: string) => rec(voter, term, 'VOTE_HANDLED', {candidate, voteResult: 'ACCEPT', requestTerm: term})
const rejected = (voter: string, term: number, candidate: string) => rec(voter, term, 'VOTE_HANDLED', {candidate, voteResult: 'REJECT_ALREADY_VOTED', requestTerm: term})
const selfVote = (node: string, term: number) => rec(node, term, 'VOTE_RESPONSE', {from: node, voteResult: 'ACCEPT', responseTerm: term})
const increase = (node: string, fromTerm: number, term: number) => rec(node, term, 'INCREASE_TERM', {fromTerm, reason: 'previous ballot: WAIT_TO_VOTE_NEXT'})

/** A member whose records are lines 1… of /d/<id>/vote.log, with an optional durable record. */
function member(id: string, records: VoteLogRecord[], durable: DurableState | null = null, group: string | null = null): MemberHistory {
  const file = `/d/${id}/vote.log`
  return {
    source: `/d/${id}`,
    group,
    files: [file],
    records: records.map((record, i) => ({record, at: {file, line: i + 1}})),
    durable: durable === null ? null : {state: durable, at: {file: `/d/${id}/state.json`, line: 1}},
    corrupt: [],
  }
}

/** `file:line` of every record a violation cites. */
const cited = (v: {evidence: {file: string; line: number}[]}) => v.evidence.map((e) => `${e.file}:${e.line}`)

describe('dledger check: the safety invariants over vote logs and durable records', () => {
  it('a sound election (a candidate voting for itself, two followers accepting it) has no violation', () => {
    const report = checkHistories([
      member('n0', [increase('n0', 0, 1), selfVote('n0', 1), leader('n0', 1)], {currTerm: 1, currVoteFor: 'n0'}),
      member('n1', [accepted('n1', 1, 'n0'), accepted('n1', 1, 'n0'), follower('n1', 1, 'n0')], {currTerm: 1, currVoteFor: 'n0'}),
      member('n2', [rejected('n2', 1, 'n1'), accepted('n2', 1, 'n0'), follower('n2', 1, 'n0')], {currTerm: 1, currVoteFor: 'n0'}),
    ])
    assert.deepEqual(report.violations, [])
    assert.equal(report.ok, true)
    assert.deepEqual(report.leaders, [{group: null, term: 1, node: 'n0'}])
    assert.deepEqual(
      report.members.map((m) => [m.id, m.highestTerm, m.records]),
      [
        ['n0', 1, 3],
        ['n1', 1, 3],
        ['n2', 1, 3],
      ],
    )
  })

  it('ONE_LEADER_PER_TERM: two members becoming leader in one term are reported with the line of each ROLE_CHANGE', () => {
    const report = checkHistories([member('n0', [increase('n0', 2, 3), leader('n0', 3)]), member('n1', [follower('n1', 3, 'n0')]), member('n2', [increase('n2', 2, 3), selfVote('n2', 3), leader('n2', 3)])])
    assert.equal(report.ok, false)
    assert.equal(report.violations.length, 1)
    const [v] = report.violations
    assert.equal(v.invariant, 'ONE_LEADER_PER_TERM')
    assert.equal(v.term, 3)
    assert.equal(v.detail, '2 leaders in term 3: n0 and n2')
    assert.deepEqual(cited(v), ['/d/n0/vote.log:2', '/d/n2/vote.log:3'])
  })

  it('ONE_LEADER_PER_TERM: the same member leading one term twice (e.g. after a restart) is no violation', () => {
    const report = checkHistories([member('n0', [leader('n0', 4), follower('n0', 4, 'n0'), leader('n0', 4)])])
    assert.deepEqual(report.violations, [])
  })

  it('ONE_VOTE_PER_TERM: a member accepting a second candidate in a term is reported with the line of each ACCEPT', () => {
    const report = checkHistories([member('n1', [accepted('n1', 2, 'n0'), follower('n1', 2, 'n0'), accepted('n1', 2, 'n0'), accepted('n1', 2, 'n2')])])
    assert.equal(report.violations.length, 1)
    const [v] = report.violations
    assert.equal(v.invariant, 'ONE_VOTE_PER_TERM')
    assert.equal(v.node, 'n1')
    assert.equal(v.term, 2)
    assert.equal(v.detail, 'n1 voted for 2 candidates in term 2: n0 and n2')
    // the first record of each side: the first ACCEPT for n0, the ACCEPT for n2
    assert.deepEqual(cited(v), ['/d/n1/vote.log:1', '/d/n1/vote.log:4'])
  })

  it('ONE_VOTE_PER_TERM: a candidate that voted for itself and then accepts another candidate in the same term voted twice', () => {
    const report = checkHistories([member('n2', [increase('n2', 4, 5), selfVote('n2', 5), accepted('n2', 5, 'n0')])])
    assert.deepEqual(
      report.violations.map((v) => [v.invariant, v.detail, cited(v)]),
      [['ONE_VOTE_PER_TERM', 'n2 voted for 2 candidates in term 5: n2 and n0', ['/d/n2/vote.log:2', '/d/n2/vote.log:3']]],
    )
  })

  it('ONE_VOTE_PER_TERM: a durable vote for another candidate than the logged ACCEPT in its term is a second vote', () => {
    const report = checkHistories([member('n1', [accepted('n1', 6, 'n0')], {currTerm: 6, currVoteFor: 'n2'})])
    assert.deepEqual(
      report.violations.map((v) => [v.invariant, cited(v)]),
      [['ONE_VOTE_PER_TERM', ['/d/n1/vote.log:1', '/d/n1/state.json:1']]],
    )
  })

  it('ONE_VOTE_PER_TERM: a durable record that lost the vote its log shows in that term is reported', () => {
    const report = checkHistories([member('n1', [accepted('n1', 6, 'n0')], {currTerm: 6, currVoteFor: null})])
    assert.equal(report.violations.length, 1)
    assert.match(report.violations[0].detail, /durable record of n1 holds no vote in term 6, though n1 voted for n0 in it/)
    assert.deepEqual(cited(report.violations[0]), ['/d/n1/vote.log:1', '/d/n1/state.json:1'])
  })

  it('ONE_VOTE_PER_TERM: votes for different candidates in different terms, and rejections, are no violation', () => {
    const report = checkHistories([member('n1', [accepted('n1', 1, 'n0'), rejected('n1', 1, 'n2'), accepted('n1', 2, 'n2')], {currTerm: 2, currVoteFor: 'n2'})])
    assert.deepEqual(report.violations, [])
  })

  it('TERM_NEVER_DECREASES: a record at a lower term than an earlier one is reported with both lines, across a restart too', () => {
    // n0 reached term 7, then (after a restart from a stale record) logged term 5
    const report = checkHistories([member('n0', [increase('n0', 6, 7), leader('n0', 7), follower('n0', 7, 'n0'), increase('n0', 4, 5)])])
    assert.equal(report.violations.length, 1)
    const [v] = report.violations
    assert.equal(v.invariant, 'TERM_NEVER_DECREASES')
    assert.equal(v.detail, 'n0 went back from term 7 to term 5')
    assert.deepEqual(cited(v), ['/d/n0/vote.log:1', '/d/n0/vote.log:4'])
  })

  it('TERM_NEVER_DECREASES: a member that falls back and goes on from there is reported once per fall', () => {
    const report = checkHistories([member('n0', [increase('n0', 8, 9), follower('n0', 3, 'n1'), follower('n0', 3, 'n1'), increase('n0', 3, 4), increase('n0', 10, 11), increase('n0', 1, 2)])])
    assert.deepEqual(
      report.violations.map((v) => [v.detail, cited(v)]),
      [
        // violations are listed by term
        ['n0 went back from term 11 to term 2', ['/d/n0/vote.log:5', '/d/n0/vote.log:6']],
        ['n0 went back from term 9 to term 3', ['/d/n0/vote.log:1', '/d/n0/vote.log:2']],
      ],
    )
  })

  it('TERM_NEVER_DECREASES: a durable record behind its vote log is reported with the log record and the durable record', () => {
    const report = checkHistories([member('n2', [increase('n2', 3, 4), increase('n2', 4, 8)], {currTerm: 4, currVoteFor: 'n2'})])
    assert.deepEqual(
      report.violations.map((v) => [v.invariant, v.detail, cited(v)]),
      [['TERM_NEVER_DECREASES', 'the durable record of n2 is at term 4, behind its vote log at term 8', ['/d/n2/vote.log:2', '/d/n2/state.json:1']]],
    )
  })

  it('TERM_NEVER_DECREASES: a durable record ahead of its log (written before the step\'s events) is sound', () => {
    const report = checkHistories([member('n2', [increase('n2', 3, 4)], {currTerm: 5, currVoteFor: 'n2'})])
    assert.deepEqual(report.violations, [])
  })

  it('members of different groups are different clusters: the same term led in each is no violation', () => {
    const report = checkHistories([member('n0', [leader('n0', 1)], null, 'a'), member('n1', [leader('n1', 1)], null, 'b')])
    assert.deepEqual(report.violations, [])
    assert.deepEqual(report.leaders, [
      {group: 'a', term: 1, node: 'n0'},
      {group: 'b', term: 1, node: 'n1'},
    ])
  })

  it('the readable report cites file:line and the record of each violation, and counts the corrupt lines', () => {
    const h = member('n1', [accepted('n1', 2, 'n0'), accepted('n1', 2, 'n2')])
    h.corrupt.push({file: '/d/n1/vote.log.1', lines: 2})
    const text = renderCheckReport(checkHistories([h, member('n0', [leader('n0', 2)], {currTerm: 2, currVoteFor: 'n0'})]))
    assert.match(text, /^MEMBER +TERM +DURABLE +RECORDS +DIRECTORY$/m)
    assert.match(text, /^n0 +2 +2\/n0 +1 +\/d\/n0$/m)
    assert.match(text, /skipped 2 corrupt lines\n/)
    assert.match(text, /^warning: skipped 2 corrupt lines in \/d\/n1\/vote\.log\.1$/m)
    assert.match(text, /^1 violation:$/m)
    assert.match(text, /^ONE_VOTE_PER_TERM: n1 voted for 2 candidates in term 2: n0 and n2$/m)
    assert.match(text, /^ {2}\/d\/n1\/vote\.log:1 {2}2026-11-25T12:00:00\.000Z n1 term 2 VOTE_HANDLED voted ACCEPT for n0 \(term 2\)$/m)
    assert.match(text, /^ {2}\/d\/n1\/vote\.log:2 {2}.* VOTE_HANDLED voted ACCEPT for n2 \(term 2\)$/m)
    assert.doesNotMatch(text, /^OK/m)
  })

  it('the readable report of a sound history says so', () => {
    const text = renderCheckReport(checkHistories([member('n0', [leader('n0', 1)])]))
    assert.match(text, /^OK: one leader per term, one vote per member per term, no term going down$/m)
    assert.match(text, /read 1 record in 1 vote-log file of 1 member; 1 term with a leader$/m)
  })
})
