/**
 * maintainAsCandidate: the ballot, its early exits, and the seven parse outcomes with their
 * next-vote times (reference §3.6). Random draws are scripted: 0.5 → 350 of the 700 ms vote
 * spread, 500 of the 1000 ms ballot-wait spread.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {networkErrorResponse, type NodeId, type VoteRequest, type VoteResult} from '../../src/core/types.js'
import {draw, events, makeNode, type NodeOptions, oneEvent, peersOf, sent, type TestNode, voteResponse} from './helpers.js'

/** n0 casts its first ballot at t = 0 in `term`; the ballot waits 2000 + 500 ms. */
function ballotAt(term: number, opts: NodeOptions = {}): {node: TestNode; req: (peer: NodeId) => VoteRequest} {
  const node = makeNode({term, ...opts})
  node.rng.push(0.5)
  const reqs = sent(node.e.tick(0), 'VoteRequest')
  return {node, req: (peer) => reqs.find((r) => r.remoteId === peer) as VoteRequest}
}

/** Answers the ballot at `nowMs`: [peer, voteResult, term] triples ('UNKNOWN' = a network error). */
function answer(node: TestNode, req: (peer: NodeId) => VoteRequest, nowMs: number, answers: [NodeId, VoteResult, number?][]) {
  const outs = answers.map(([peer, result, term]) =>
    node.e.receive(result === 'UNKNOWN' ? networkErrorResponse(req(peer)) : voteResponse(req(peer), result, term ?? req(peer).term), nowMs),
  )
  return {persist: outs.reduce((p, o) => o.persist ?? p, outs[0].persist), messages: outs.flatMap((o) => o.messages), events: outs.flatMap((o) => o.events)}
}

describe('the ballot', () => {
  test('a fresh candidate casts its first ballot on its first step, in its persisted term, with its ledger end, to every peer, with its self-vote persisted', () => {
    const node = makeNode({term: 5})
    node.rng.push(0.5)
    // setLedgerEnd is a step too: the maintainer runs in it, with the new ledger end
    const out = node.e.setLedgerEnd(7, 3, 0)
    const reqs = sent(out, 'VoteRequest')
    assert.deepEqual(
      reqs.map((r) => [r.localId, r.remoteId, r.leaderId, r.term, r.ledgerEndIndex, r.ledgerEndTerm, r.group]),
      [
        ['n0', 'n1', 'n0', 5, 7, 3, 'default'],
        ['n0', 'n2', 'n0', 5, 7, 3, 'default'],
      ],
    )
    assert.deepEqual(out.persist, {currTerm: 5, currVoteFor: 'n0'})
    assert.deepEqual(events(out, 'INCREASE_TERM'), [], 'no increment before the first ballot')
    const started = oneEvent(out, 'VOTE_REQUEST')
    assert.deepEqual([started.term, started.ledgerEndIndex, started.ledgerEndTerm, started.peers], [5, 7, 3, 3])
    assert.deepEqual(
      events(out, 'VOTE_RESPONSE').map((ev) => [ev.from, ev.voteResult]),
      [['n0', 'ACCEPT']],
      'the self-vote is answered synchronously',
    )
  })

  test('a candidate whose persisted vote is for another member gets REJECT_ALREADY_VOTED from itself', () => {
    const node = makeNode({term: 5, voteFor: 'n1'})
    const out = node.e.tick(0)
    assert.deepEqual(events(out, 'VOTE_RESPONSE').map((ev) => [ev.from, ev.voteResult]), [['n0', 'REJECT_ALREADY_VOTED']])
    assert.equal(out.persist, null)
  })

  test('an unanswered ballot waits voteTimeoutMs + random[0, maxVoteIntervalMs) and then parses what it has', () => {
    const {node} = ballotAt(5)
    assert.equal(node.e.nextDeadlineMs(), 2500)
    assert.deepEqual(node.e.tick(2499).events, [])
    const parsed = oneEvent(node.e.tick(2500), 'PARSE_VOTE_RESULT')
    assert.equal(parsed.result, 'WAIT_TO_REVOTE')
    assert.deepEqual([parsed.validNum, parsed.allNum, parsed.acceptedNum, parsed.costMs], [1, 1, 1, 2500])
  })

  test('the ballot wait draws from [0, maxVoteIntervalMs): the largest draw waits 2999 ms', () => {
    const node = makeNode({term: 5})
    node.rng.push(0.9999999)
    node.e.tick(0)
    assert.equal(node.e.nextDeadlineMs(), 2999)
  })

  test('requests unanswered after rpcTimeoutMs count as UNKNOWN (not valid) and end the ballot once all are in', () => {
    const {node} = ballotAt(5, {rpcTimeoutMs: 1000})
    assert.equal(node.e.nextDeadlineMs(), 1000)
    const out = node.e.tick(1000)
    assert.deepEqual(
      events(out, 'VOTE_RESPONSE').map((ev) => [ev.from, ev.voteResult]),
      [
        ['n1', 'UNKNOWN'],
        ['n2', 'UNKNOWN'],
      ],
    )
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.allNum], ['WAIT_TO_REVOTE', 1, 3])
  })

  test('an answer that neither reaches a quorum nor reports a leader does not end the ballot early', () => {
    const {node, req} = ballotAt(5)
    const out = answer(node, req, 1, [['n1', 'REJECT_ALREADY_VOTED']])
    assert.deepEqual(events(out, 'PARSE_VOTE_RESULT'), [])
    assert.equal(node.e.nextDeadlineMs(), 2500)
  })

  test('answers that arrive after the ballot was parsed are ignored', () => {
    const {node, req} = ballotAt(5)
    answer(node, req, 1, [['n1', 'ACCEPT']])
    assert.equal(node.e.view.role, 'LEADER')
    const late = node.e.receive(voteResponse(req('n2'), 'REJECT_EXPIRED_VOTE_TERM', 9), 2)
    assert.deepEqual(late.events, [])
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(node.e.view.knownMaxTermInGroup, -1)
  })
})

describe('the seven parse outcomes, first match wins', () => {
  test('1. a reply with a higher term (REJECT_EXPIRED_VOTE_TERM / REJECT_TERM_SMALL_THAN_LEDGER) → WAIT_TO_VOTE_NEXT after 300–1000 ms, then a jump straight to that term', () => {
    const {node, req} = ballotAt(5)
    node.rng.push(0.5)
    const out = answer(node, req, 1, [
      ['n1', 'REJECT_EXPIRED_VOTE_TERM', 8],
      ['n2', 'REJECT_TERM_SMALL_THAN_LEDGER', 6],
    ])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.knownMaxTermInGroup, parsed.nextVoteInMs], ['WAIT_TO_VOTE_NEXT', 8, 650])
    assert.equal(node.e.view.knownMaxTermInGroup, 8, 'changeRoleToCandidate(knownMaxTermInGroup)')
    assert.equal(node.e.view.currTerm, 5, 'the term only moves on the next ballot')
    assert.equal(node.e.nextDeadlineMs(), 651)
    assert.equal(sent(node.e.tick(650), 'VoteRequest').length, 0)
    const next = node.e.tick(651)
    const inc = oneEvent(next, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 8])
    assert.deepEqual(sent(next, 'VoteRequest').map((r) => r.term), [8, 8])
    assert.deepEqual(next.persist, {currTerm: 8, currVoteFor: 'n0'})
  })

  test('1 before 2. a higher term wins over a reply that reports a leader', () => {
    const {node, req} = ballotAt(5)
    const out = answer(node, req, 1, [
      ['n1', 'REJECT_EXPIRED_VOTE_TERM', 8],
      ['n2', 'REJECT_ALREADY_HAS_LEADER', 5],
    ])
    assert.equal(oneEvent(out, 'PARSE_VOTE_RESULT').result, 'WAIT_TO_VOTE_NEXT')
  })

  test('2. a REJECT_ALREADY_HAS_LEADER ends the ballot at once → WAIT_TO_REVOTE in the same term after interval + leak × heartbeat (6300–7000 ms)', () => {
    const {node, req} = ballotAt(5)
    node.rng.push(0.5)
    const out = answer(node, req, 1, [['n1', 'REJECT_ALREADY_HAS_LEADER', 5]])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.alreadyHasLeader, parsed.allNum, parsed.nextVoteInMs], ['WAIT_TO_REVOTE', true, 2, 6650])
    assert.equal(node.e.nextDeadlineMs(), 1 + 650 + 6000)
    const next = node.e.tick(6651)
    assert.deepEqual(events(next, 'INCREASE_TERM'), [])
    assert.deepEqual(sent(next, 'VoteRequest').map((r) => r.term), [5, 5])
  })

  test('2 before 3. a reported leader wins over too few valid answers (5 members)', () => {
    const {node, req} = ballotAt(5, {peers: peersOf(5)})
    node.rng.push(0)
    const out = answer(node, req, 1, [['n1', 'REJECT_ALREADY_HAS_LEADER', 5]])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.nextVoteInMs], ['WAIT_TO_REVOTE', 2, 6300])
  })

  test('3. fewer than a quorum of valid answers → WAIT_TO_REVOTE in the same term after 300–1000 ms (an isolated node never inflates its term)', () => {
    const {node, req} = ballotAt(5)
    node.rng.push(0.5)
    const out = answer(node, req, 1, [
      ['n1', 'UNKNOWN'],
      ['n2', 'UNKNOWN'],
    ])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.allNum, parsed.nextVoteInMs], ['WAIT_TO_REVOTE', 1, 3, 650])
    assert.equal(node.e.nextDeadlineMs(), 651)
    // and again: the term never moves while nobody answers
    node.rng.push(0.5)
    const second = sent(node.e.tick(651), 'VoteRequest')
    assert.deepEqual(second.map((r) => r.term), [5, 5])
    for (const r of second) node.e.receive(networkErrorResponse(r), 652)
    assert.equal(node.e.view.currTerm, 5)
  })

  test('3 before 4. too few valid answers wins over peers with longer logs (5 members)', () => {
    const {node, req} = ballotAt(5, {peers: peersOf(5)})
    node.rng.push(0.5)
    const out = answer(node, req, 1, [
      ['n1', 'REJECT_EXPIRED_LEDGER_TERM', 5],
      ['n2', 'UNKNOWN'],
      ['n3', 'UNKNOWN'],
      ['n4', 'UNKNOWN'],
    ])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.biggerLedgerNum, parsed.nextVoteInMs], ['WAIT_TO_REVOTE', 2, 1, 650])
  })

  test('4. too many peers with a longer log (valid − bigger below quorum) → WAIT_TO_REVOTE after interval + maxVoteIntervalMs (1300–2000 ms)', () => {
    const {node, req} = ballotAt(5)
    node.rng.push(0.5)
    const out = answer(node, req, 1, [
      ['n1', 'REJECT_EXPIRED_LEDGER_TERM', 5],
      ['n2', 'REJECT_SMALL_LEDGER_END_INDEX', 5],
    ])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.biggerLedgerNum, parsed.nextVoteInMs], ['WAIT_TO_REVOTE', 3, 2, 1650])
    assert.equal(node.e.nextDeadlineMs(), 1651)
    assert.deepEqual(sent(node.e.tick(1651), 'VoteRequest').map((r) => r.term), [5, 5], 'same term')
  })

  test('5. a quorum of ACCEPT ends the ballot at once → PASSED: leader in the ballot term, first heartbeats one tick later', () => {
    const {node, req} = ballotAt(5)
    const out = answer(node, req, 1, [['n1', 'ACCEPT']])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.acceptedNum, parsed.allNum], ['PASSED', 2, 2])
    assert.equal(node.rng.calls, 2, 'PASSED draws no next-vote time')
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(node.e.view.leaderId, 'n0')
    assert.equal(node.e.view.currTerm, 5)
    assert.equal(node.e.nextDeadlineMs(), 11)
    assert.deepEqual(sent(node.e.tick(11), 'HeartBeatRequest').map((h) => [h.remoteId, h.term, h.leaderId]), [
      ['n1', 5, 'n0'],
      ['n2', 5, 'n0'],
    ])
  })

  test('6. ACCEPT + REJECT_TERM_NOT_READY reaching a quorum → REVOTE_IMMEDIATELY: the same term again on the next tick', () => {
    const {node, req} = ballotAt(5)
    const out = answer(node, req, 1, [['n1', 'REJECT_TERM_NOT_READY', 4]])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.acceptedNum, parsed.notReadyTermNum, parsed.nextVoteInMs], ['REVOTE_IMMEDIATELY', 1, 1, 10])
    assert.equal(node.rng.calls, 2, 'REVOTE_IMMEDIATELY draws no next-vote time')
    assert.equal(node.e.nextDeadlineMs(), 11)
    const again = node.e.tick(11)
    assert.deepEqual(events(again, 'INCREASE_TERM'), [])
    assert.deepEqual(sent(again, 'VoteRequest').map((r) => [r.remoteId, r.term]), [
      ['n1', 5],
      ['n2', 5],
    ])
  })

  test('7. a quorum answered, nobody leads, no accept quorum (e.g. all already voted) → WAIT_TO_VOTE_NEXT: term + 1 after 300–1000 ms', () => {
    const {node, req} = ballotAt(5)
    node.rng.push(0.5)
    const out = answer(node, req, 1, [
      ['n1', 'REJECT_ALREADY_VOTED', 5],
      ['n2', 'REJECT_TAKING_LEADERSHIP', 5],
    ])
    const parsed = oneEvent(out, 'PARSE_VOTE_RESULT')
    assert.deepEqual([parsed.result, parsed.validNum, parsed.acceptedNum, parsed.nextVoteInMs], ['WAIT_TO_VOTE_NEXT', 3, 1, 650])
    assert.equal(node.e.nextDeadlineMs(), 651)
    const next = node.e.tick(651)
    const inc = oneEvent(next, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 6])
    assert.deepEqual(next.persist, {currTerm: 6, currVoteFor: 'n0'})
    assert.deepEqual(sent(next, 'VoteRequest').map((r) => r.term), [6, 6])
  })

  test('the retry delay is drawn from [minVoteIntervalMs, maxVoteIntervalMs): 300 at the lowest draw, 999 at the highest', () => {
    for (const [r, expected] of [
      [0, 300],
      [draw(699, 700), 999],
    ]) {
      const {node, req} = ballotAt(5)
      node.rng.push(r)
      const parsed = oneEvent(answer(node, req, 0, [['n1', 'REJECT_ALREADY_VOTED', 5], ['n2', 'REJECT_ALREADY_VOTED', 5]]), 'PARSE_VOTE_RESULT')
      assert.equal(parsed.nextVoteInMs, expected)
    }
  })
})
