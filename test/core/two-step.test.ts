/**
 * The two-step (reference §0, §3.4, §3.6, §3.7): a higher term is only noticed by RPC handlers
 * (REJECT_TERM_NOT_READY / TERM_NOT_READY); the node's own maintainer jumps the term and defers its
 * campaign 300–1000 ms; the requester re-ballots at once (REVOTE_IMMEDIATELY) and wins.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {draw, electLeader, events, followLeader, heartbeat, makeNode, MiniCluster, one, oneEvent, sent, type TestNode, voteRequest, voteResponse} from './helpers.js'

/**
 * n0 in term 5 whose first ballot ended at t = 0 with everyone having voted already (outcome 7):
 * its maintainer sleeps until t = 10 and its next ballot is due at t = 300.
 */
function candidateWithSleepingMaintainer(): TestNode {
  const node = makeNode({term: 5, voteFor: 'n2'})
  for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 0)
  return node
}

describe('the voter side', () => {
  test('a voter pushed by a higher-term ballot answers REJECT_TERM_NOT_READY at once and persists nothing; its maintainer jumps the term on its next pass', () => {
    const node = candidateWithSleepingMaintainer()
    const out = node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 5)
    const resp = one(out, 'VoteResponse')
    assert.deepEqual([resp.voteResult, resp.term], ['REJECT_TERM_NOT_READY', 5])
    assert.equal(out.persist, null)
    assert.equal(node.e.view.currTerm, 5)
    assert.equal(node.e.nextDeadlineMs(), 10, 'needIncreaseTermImmediately overrides the pending retry time')
    node.rng.push(0.5)
    const jump = node.e.tick(10)
    const inc = oneEvent(jump, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 7], 'nextTerm jumps to knownMaxTermInGroup, not +1')
    assert.deepEqual(jump.persist, {currTerm: 7, currVoteFor: null})
    assert.deepEqual(sent(jump, 'VoteRequest'), [], 'the deferred campaign: it does not vote now')
    assert.equal(node.e.nextDeadlineMs(), 10 + 300 + 350)
  })

  test('the deferred campaign waits [minVoteIntervalMs, maxVoteIntervalMs): 300 ms at the lowest draw, 999 ms at the highest', () => {
    for (const [r, wait] of [
      [0, 300],
      [draw(699, 700), 999],
    ]) {
      const node = candidateWithSleepingMaintainer()
      node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 5)
      node.rng.push(r)
      node.e.tick(10)
      assert.equal(node.e.nextDeadlineMs(), 10 + wait)
    }
  })

  test('after the jump the requester\'s same-term re-ask is granted', () => {
    const node = candidateWithSleepingMaintainer()
    node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 5)
    node.e.tick(10)
    const out = node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 20)
    assert.equal(one(out, 'VoteResponse').voteResult, 'ACCEPT')
    assert.deepEqual(out.persist, {currTerm: 7, currVoteFor: 'n1'})
  })

  test('a re-ask that arrives before the maintainer jumped is answered REJECT_TERM_NOT_READY again', () => {
    const node = candidateWithSleepingMaintainer()
    node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 5)
    const resp = one(node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 8), 'VoteResponse')
    assert.deepEqual([resp.voteResult, resp.term], ['REJECT_TERM_NOT_READY', 5])
  })

  test('if nobody takes the lead meanwhile, the deferred ballot is cast in the jumped term without another increment', () => {
    const node = candidateWithSleepingMaintainer()
    node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 5)
    node.e.tick(10)
    const out = node.e.tick(310)
    assert.deepEqual(events(out, 'INCREASE_TERM'), [])
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => r.term), [7, 7])
  })

  test('a follower told TERM_NOT_READY by a higher-term heartbeat jumps to that term, then follows the new leader on its next heartbeat', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const first = node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 6}), 1000)
    assert.equal(one(first, 'HeartBeatResponse').code, 416)
    // the follower's maintainer is idle, so its next pass is this very step
    assert.deepEqual(first.persist, {currTerm: 6, currVoteFor: null})
    assert.equal(node.e.view.role, 'CANDIDATE')
    const second = node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 6}), 1100)
    assert.equal(one(second, 'HeartBeatResponse').code, 200)
    assert.equal(node.e.view.role, 'FOLLOWER')
    assert.equal(node.e.view.leaderId, 'n2')
    assert.equal(second.persist, null)
  })
})

describe('the candidate side', () => {
  test('a candidate moves to term + 1 after WAIT_TO_VOTE_NEXT, gets REJECT_TERM_NOT_READY, re-ballots the same term one tick later and wins', () => {
    const node = makeNode({term: 5})
    node.rng.push(0.5)
    const first = sent(node.e.tick(0), 'VoteRequest')
    node.rng.push(0.5)
    for (const req of first) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 1)
    assert.equal(node.e.nextDeadlineMs(), 651)
    const second = node.e.tick(651)
    const ballot = sent(second, 'VoteRequest')
    assert.deepEqual(ballot.map((r) => r.term), [6, 6])
    const parsed = oneEvent(node.e.receive(voteResponse(ballot[0], 'REJECT_TERM_NOT_READY', 5), 652), 'PARSE_VOTE_RESULT')
    assert.equal(parsed.result, 'REVOTE_IMMEDIATELY')
    const third = sent(node.e.tick(662), 'VoteRequest')
    assert.deepEqual(third.map((r) => r.term), [6, 6])
    const won = node.e.receive(voteResponse(third[0], 'ACCEPT', 6), 663)
    assert.equal(oneEvent(won, 'PARSE_VOTE_RESULT').result, 'PASSED')
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(node.e.view.currTerm, 6)
  })
})

describe('what the flag overrides', () => {
  test('a higher-term ballot cancels the +6 s wait after REJECT_ALREADY_HAS_LEADER: jump now, campaign 300–1000 ms later', () => {
    const node = makeNode({term: 5})
    const ballot = sent(node.e.tick(0), 'VoteRequest')
    node.e.receive(voteResponse(ballot[0], 'REJECT_ALREADY_HAS_LEADER', 5), 1)
    assert.equal(node.e.nextDeadlineMs(), 1 + 300 + 6000)
    node.rng.push(0.5)
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 6}), 100)
    assert.deepEqual(out.persist, {currTerm: 6, currVoteFor: null})
    assert.equal(node.e.nextDeadlineMs(), 100 + 650)
  })

  test('a forced election (testRevote) becomes candidate for the given term and campaigns in it at once', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const out = node.e.revote(8, 50)
    const inc = oneEvent(out, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 8])
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => r.term), [8, 8])
    assert.deepEqual(out.persist, {currTerm: 8, currVoteFor: 'n0'})
  })
})

describe('a forced election abandons an open round (a deliberate difference: DLedger waits for it, docs/differences.md)', () => {
  test('a candidate whose ballot is still open campaigns for the forced term at once, and the old ballot\'s answers count for nothing', () => {
    const node = makeNode({term: 5})
    const first = sent(node.e.tick(0), 'VoteRequest')
    assert.deepEqual(first.map((r) => r.term), [5, 5], 'a ballot in term 5 is open, waiting for its voters')
    const out = node.e.revote(8, 10)
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => r.term), [8, 8])
    const late = node.e.receive(voteResponse(first[0], 'ACCEPT', 5), 11)
    assert.deepEqual(events(late, 'VOTE_RESPONSE'), [], 'the abandoned ballot is gone')
  })

  test('a leader whose heartbeat round is still open campaigns for the forced term at once', () => {
    const node = makeNode({term: 5})
    electLeader(node, 0)
    assert.ok(sent(node.e.tick(10), 'HeartBeatRequest').length > 0, 'a heartbeat round is open')
    const out = node.e.revote(6, 20)
    assert.deepEqual([oneEvent(out, 'ROLE_CHANGE').to, ...sent(out, 'VoteRequest').map((r) => r.term)], ['CANDIDATE', 6, 6])
  })
})

describe('with real voters', () => {
  test('a forced candidate (testRevote) wins the next term through the two-step: not-ready, jump, re-ballot, accept', () => {
    const c = new MiniCluster(3, {seed: 7})
    c.runUntil(5000)
    assert.equal(c.leaders().length, 1)
    const oldLeader = c.leaders()[0]
    const candidate = ['n0', 'n1', 'n2'].find((id) => id !== oldLeader) as string
    const term = c.node(oldLeader).e.view.currTerm
    const mark = c.log.length
    c.command(candidate, (e, t) => e.revote(term + 1, t))
    c.runUntil(c.now + 500)
    assert.deepEqual(c.leaders(), [candidate])
    for (const n of c.nodes.values()) assert.equal(n.e.view.currTerm, term + 1)
    const evs = c.eventsSince(mark)
    const parses = evs.filter((ev) => ev.type === 'PARSE_VOTE_RESULT' && ev.node === candidate).map((ev) => ev.type === 'PARSE_VOTE_RESULT' && ev.result)
    assert.deepEqual(parses, ['REVOTE_IMMEDIATELY', 'PASSED'])
    const handled = evs.filter((ev) => ev.type === 'VOTE_HANDLED').map((ev) => ev.type === 'VOTE_HANDLED' && `${ev.node}:${ev.voteResult}`)
    assert.ok(handled.filter((h) => h && h.endsWith(':REJECT_TERM_NOT_READY')).length >= 1)
    assert.ok(handled.some((h) => h && h.endsWith(':ACCEPT')))
    // the voters deferred their own campaigns: nobody else balloted in the new term
    const ballots = evs.filter((ev) => ev.type === 'VOTE_REQUEST').map((ev) => ev.node)
    assert.deepEqual([...new Set(ballots)], [candidate])
  })
})
