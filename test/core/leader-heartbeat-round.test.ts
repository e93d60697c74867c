/**
 * maintainAsLeader / sendHeartbeats: the round, its early exit, the live table and the four
 * decisions in DLedger's order (reference §3.3), with spec S4 (success time reset on election)
 * and S5 (the largest EXPIRED_TERM term wins).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {HeartBeatRequest, NodeId, ResponseCodeName} from '../../src/core/types.js'
import {electLeader, events, heartbeatResponse, makeNode, type NodeOptions, one, oneEvent, sent, type TestNode, voteRequest} from './helpers.js'

/** n0 elected at t = 0 in `term`; its first round starts at t = 10. */
function leaderWithRound(term = 5, opts: NodeOptions = {}): {node: TestNode; hb: (peer: NodeId) => HeartBeatRequest} {
  const node = makeNode({term, ...opts})
  electLeader(node, 0)
  const hbs = sent(node.e.tick(10), 'HeartBeatRequest')
  assert.equal(hbs.length, node.e.view.peerSize - 1)
  return {node, hb: (peer) => hbs.find((h) => h.remoteId === peer) as HeartBeatRequest}
}

function reply(node: TestNode, hb: (peer: NodeId) => HeartBeatRequest, nowMs: number, peer: NodeId, codeName: ResponseCodeName, term = -1) {
  return node.e.receive(heartbeatResponse(hb(peer), codeName, term), nowMs)
}

describe('the heartbeat round', () => {
  test('a leader heartbeats every other peer with its term and id, and again once more than heartbeatIntervalMs has passed', () => {
    const {node, hb} = leaderWithRound()
    assert.deepEqual([hb('n1').term, hb('n1').leaderId, hb('n1').localId, hb('n2').remoteId], [5, 'n0', 'n0', 'n2'])
    reply(node, hb, 11, 'n1', 'SUCCESS')
    reply(node, hb, 11, 'n2', 'SUCCESS')
    node.e.tick(21)
    assert.equal(node.e.nextDeadlineMs(), 10 + 2000 + 1)
    assert.deepEqual(sent(node.e.tick(2010), 'HeartBeatRequest'), [])
    assert.equal(sent(node.e.tick(2011), 'HeartBeatRequest').length, 2)
  })

  test('a round released by a SUCCESS quorum is decided 10 ms later (the sleep after the latch)', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 12, 'n1', 'SUCCESS')
    assert.equal(node.e.nextDeadlineMs(), 22)
    assert.equal(node.e.snapshot(21).lastHeartbeatAgoMs, 21, 'not decided yet: the success time is still the election')
    node.e.tick(22)
    assert.equal(node.e.snapshot(22).lastHeartbeatAgoMs, 0, 'decision 2: lastSuccHeartBeatTime = now')
  })

  test('an unreleased round is decided heartbeatIntervalMs after it started (interval − 10 ms wait + 10 ms sleep)', () => {
    const {node} = leaderWithRound()
    assert.equal(node.e.nextDeadlineMs(), 10 + 2000)
  })

  test('every reply except NETWORK_ERROR marks the peer live, even an error reply; NETWORK_ERROR marks it not live', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'INCONSISTENT_LEADER')
    reply(node, hb, 11, 'n2', 'NETWORK_ERROR')
    assert.equal(node.e.view.peersLiveTable.get('n1'), true)
    assert.equal(node.e.view.peersLiveTable.get('n2'), false)
  })

  test('a single-member leader\'s round is released by its own count and it keeps leading', () => {
    const node = makeNode({peers: 'n0-127.0.0.1:20911', term: 3})
    const first = node.e.tick(0)
    assert.equal(oneEvent(first, 'PARSE_VOTE_RESULT').result, 'PASSED', 'a single member elects itself on its first tick, in its persisted term')
    assert.equal(node.e.view.currTerm, 3)
    node.e.tick(10)
    assert.equal(node.e.nextDeadlineMs(), 20)
    node.e.tick(20)
    assert.equal(node.e.snapshot(20).lastHeartbeatAgoMs, 0)
    for (let t = 21; t <= 20000; t++) node.e.tick(t)
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(node.e.view.currTerm, 3)
  })
})

describe('the four decisions, in DLedger\'s order', () => {
  test('1. an EXPIRED_TERM reply with a higher term demotes the leader to candidate even when it has a SUCCESS quorum', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'SUCCESS')
    // after the latch released but before the decision: still counted
    reply(node, hb, 15, 'n2', 'EXPIRED_TERM', 9)
    const out = node.e.tick(21)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.currTerm, 5, 'the term is not adopted here')
    assert.equal(node.e.view.knownMaxTermInGroup, 9)
    const change = oneEvent(out, 'ROLE_CHANGE')
    assert.deepEqual([change.from, change.to], ['LEADER', 'CANDIDATE'])
    assert.match(change.reason, /higher term 9/)
  })

  test('1 (S5). with several EXPIRED_TERM replies the largest term wins, not the last one', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'EXPIRED_TERM', 9)
    reply(node, hb, 12, 'n2', 'EXPIRED_TERM', 7)
    node.e.tick(22)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.knownMaxTermInGroup, 9)
  })

  test('1. an EXPIRED_TERM reply with a term not above the leader\'s changes nothing', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'EXPIRED_TERM', 5)
    reply(node, hb, 11, 'n2', 'SUCCESS')
    node.e.tick(21)
    assert.equal(node.e.view.role, 'LEADER')
  })

  test('2. a SUCCESS quorum keeps the leader and records the success time', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'SUCCESS')
    reply(node, hb, 11, 'n2', 'INCONSISTENT_LEADER')
    const out = node.e.tick(21)
    assert.equal(node.e.view.role, 'LEADER', 'a quorum wins over an inconsistent leader')
    assert.deepEqual(events(out, 'HEARTBEAT_QUORUM_LOST'), [])
    assert.equal(node.e.snapshot(21).lastHeartbeatAgoMs, 0)
  })

  test('3. a quorum only with TERM_NOT_READY replies re-sends the heartbeats on the next maintainer tick', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'TERM_NOT_READY')
    assert.equal(node.e.nextDeadlineMs(), 21, 'SUCCESS + not-ready reaching a quorum releases the round')
    const decided = node.e.tick(21)
    assert.equal(node.e.view.role, 'LEADER')
    assert.deepEqual(sent(decided, 'HeartBeatRequest'), [], 'the maintainer sleeps one tick after the round')
    assert.equal(node.e.nextDeadlineMs(), 31)
    assert.equal(sent(node.e.tick(31), 'HeartBeatRequest').length, 2, 'lastSendHeartBeatTime = -1: send again at once')
  })

  test('4a. an INCONSISTENT_LEADER reply without a quorum demotes the leader to candidate in the same term', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'INCONSISTENT_LEADER')
    reply(node, hb, 11, 'n2', 'NETWORK_ERROR')
    const out = node.e.tick(21)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.currTerm, 5)
    assert.equal(oneEvent(out, 'HEARTBEAT_QUORUM_LOST').reason, 'inconsistent leader')
    assert.match(oneEvent(out, 'ROLE_CHANGE').reason, /INCONSISTENT_LEADER/)
  })

  test('4b. a leader steps down in its term at the end of the first round that ends more than leak × interval after its last success', () => {
    const {node} = leaderWithRound()
    const rounds: number[] = [10]
    let stepDown: number | null = null
    let lost = null
    for (let t = 11; t <= 9000 && stepDown === null; t++) {
      const out = node.e.tick(t)
      if (sent(out, 'HeartBeatRequest').length > 0) rounds.push(t)
      const quorumLost = events(out, 'HEARTBEAT_QUORUM_LOST')
      if (quorumLost.length > 0) {
        lost = quorumLost[0]
        stepDown = t
      }
    }
    // rounds start at 10, 2020, 4030 (decided 2010, 4020, 6030; the maintainer sleeps a tick after each)
    assert.deepEqual(rounds, [10, 2020, 4030])
    assert.equal(stepDown, 6030)
    assert.equal(lost?.lastSuccessAgoMs, 6030)
    assert.equal(lost?.succNum, 1)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.currTerm, 5, 'stepping down keeps the term')
  })

  test('S4. a new leader whose first round gets no quorum does not step down at once: the success time is reset on election', () => {
    const {node} = leaderWithRound()
    const out = node.e.tick(2010)
    assert.deepEqual(events(out, 'HEARTBEAT_QUORUM_LOST'), [])
    assert.equal(node.e.view.role, 'LEADER')
  })

  test('a demoted leader re-ballots in its current term (its last parse result is still PASSED)', () => {
    const {node, hb} = leaderWithRound()
    reply(node, hb, 11, 'n1', 'INCONSISTENT_LEADER')
    reply(node, hb, 11, 'n2', 'NETWORK_ERROR')
    node.e.tick(21)
    assert.equal(node.e.nextDeadlineMs(), 31)
    const out = node.e.tick(31)
    assert.deepEqual(events(out, 'INCREASE_TERM'), [])
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => r.term), [5, 5])
  })

  test('a leader demoted by a higher-term vote during its round jumps its term only after the round ends: the maintainer is blocked in sendHeartbeats', () => {
    const {node} = leaderWithRound()
    const out = node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 6}), 100)
    assert.equal(one(out, 'VoteResponse').voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(out.persist, null)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.nextDeadlineMs(), 2010, 'only the open round\'s deadline')
    const decided = node.e.tick(2010)
    assert.deepEqual(events(decided, 'INCREASE_TERM'), [])
    assert.equal(node.e.nextDeadlineMs(), 2020)
    const jump = node.e.tick(2020)
    const inc = oneEvent(jump, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 6])
    assert.deepEqual(jump.persist, {currTerm: 6, currVoteFor: null})
    assert.deepEqual(sent(jump, 'VoteRequest'), [], 'the deferred campaign: no ballot yet')
  })
})
