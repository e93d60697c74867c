/**
 * maintainAsFollower: the fixed follower timeout and what follows it (reference §3.5, §3.6, §7.1).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {events, followLeader, heartbeat, makeNode, one, oneEvent, sent, voteRequest, voteResponse} from './helpers.js'

describe('the follower timeout', () => {
  test('a follower becomes candidate in the same term once more than maxHeartbeatLeak × heartbeatIntervalMs passed without a heartbeat from its leader', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    assert.equal(node.e.nextDeadlineMs(), 6001)
    assert.deepEqual(node.e.tick(6000).events, [], 'not at exactly leak × interval')
    const out = node.e.tick(6001)
    const timeout = oneEvent(out, 'HEARTBEAT_TIMEOUT')
    assert.deepEqual([timeout.leaderId, timeout.lastHeartbeatAgoMs], ['n1', 6001])
    const change = oneEvent(out, 'ROLE_CHANGE')
    assert.deepEqual([change.from, change.to, change.leaderId, change.reason], ['FOLLOWER', 'CANDIDATE', null, 'heartbeat timeout after 6001 ms'])
    assert.equal(node.e.view.currTerm, 5)
    assert.equal(out.persist, null)
    assert.deepEqual(sent(out, 'VoteRequest'), [], 'the ballot waits for the next maintainer pass')
  })

  test('the follower timeout is not randomized: it draws nothing from the random source', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const before = node.rng.calls
    node.e.tick(6001)
    assert.equal(node.rng.calls, before)
  })

  test('each heartbeat from the leader restarts the timeout', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    node.e.receive(heartbeat({from: 'n1', to: 'n0', term: 5}), 4000)
    assert.deepEqual(node.e.tick(6001).events, [])
    assert.equal(node.e.nextDeadlineMs(), 10001)
    assert.equal(node.e.view.role, 'FOLLOWER')
  })

  test('a leak below 2 acts as 2: DLedger checks > 2 × interval before > leak × interval, so a live leader is not deposed after one interval', () => {
    const node = makeNode({term: 5, maxHeartbeatLeak: 1})
    followLeader(node, 'n1', 5, 0)
    assert.equal(node.e.nextDeadlineMs(), 4001)
    assert.deepEqual(node.e.tick(2001).events, [], 'not after 1 × interval')
    assert.deepEqual(node.e.tick(4000).events, [])
    assert.equal(oneEvent(node.e.tick(4001), 'HEARTBEAT_TIMEOUT').lastHeartbeatAgoMs, 4001)
  })

  test('the timeout follows the timing settings (fast preset: 3 × 100 ms)', () => {
    const node = makeNode({term: 5, timing: 'fast'})
    followLeader(node, 'n1', 5, 0)
    assert.equal(node.e.nextDeadlineMs(), 301)
    node.e.tick(301)
    assert.equal(node.e.view.role, 'CANDIDATE')
  })

  test('after the timeout the first ballot goes out on the next maintainer tick, in the same term', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    node.e.tick(6001)
    assert.equal(node.e.nextDeadlineMs(), 6011)
    const out = node.e.tick(6011)
    assert.deepEqual(events(out, 'INCREASE_TERM'), [])
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => [r.remoteId, r.term]), [
      ['n1', 5],
      ['n2', 5],
    ])
  })

  test('a follower that voted for its lost leader is refused by itself: REJECT_ALREADY_VOTED on its same-term ballot', () => {
    const node = makeNode({term: 5, voteFor: 'n1'})
    followLeader(node, 'n1', 5, 0)
    node.e.tick(6001)
    const out = node.e.tick(6011)
    assert.deepEqual(events(out, 'VOTE_RESPONSE').map((ev) => [ev.from, ev.voteResult]), [['n0', 'REJECT_ALREADY_VOTED']])
    assert.equal(out.persist, null)
  })

  test('a needIncreaseTermImmediately left over when the node became follower makes its next candidacy jump a term at once, without a same-term ballot', () => {
    const node = makeNode({term: 5})
    // the first ballot ends at once (everyone already voted): the maintainer sleeps until t = 10
    for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 0)
    // a higher-term ballot sets the flag; before the maintainer consumes it, a heartbeat in the old term makes it follower
    assert.equal(one(node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 6}), 1), 'VoteResponse').voteResult, 'REJECT_TERM_NOT_READY')
    followLeader(node, 'n2', 5, 2)
    assert.equal(node.e.view.currTerm, 5)
    node.e.tick(6003)
    assert.equal(node.e.view.role, 'CANDIDATE')
    node.rng.push(0)
    const out = node.e.tick(6013)
    const inc = oneEvent(out, 'INCREASE_TERM')
    assert.deepEqual([inc.fromTerm, inc.term], [5, 6])
    assert.deepEqual(out.persist, {currTerm: 6, currVoteFor: null})
    assert.deepEqual(sent(out, 'VoteRequest'), [], 'the deferred campaign')
    assert.equal(node.e.nextDeadlineMs(), 6013 + 300)
  })
})
