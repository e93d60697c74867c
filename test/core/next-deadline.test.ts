/**
 * nextDeadlineMs: the earliest time at which tick has something to do, per role and per open
 * round, so that a driver can sleep until then (architecture: "the core also tells its next
 * deadline"). "Never" is -Infinity: a fresh candidate is due at once.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {
  electLeader,
  electLeaderWithLivePeers,
  followLeader,
  heartbeatResponse,
  makeNode,
  MiniCluster,
  one,
  sent,
  transferRequest,
  voteRequest,
  voteResponse,
} from './helpers.js'

describe('per role', () => {
  test('a fresh candidate is due at once (its never-set times are -Infinity)', () => {
    const node = makeNode({term: 5, nowMs: 1000})
    assert.equal(node.e.nextDeadlineMs(), Number.NEGATIVE_INFINITY)
  })

  test('a candidate waiting to re-ballot is due at its next vote time', () => {
    const node = makeNode({term: 5})
    for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 1)
    assert.equal(node.e.nextDeadlineMs(), 1 + 300)
  })

  test('a candidate that must increase its term is due at its next maintainer tick, whatever its vote time', () => {
    const node = makeNode({term: 5})
    for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 1)
    node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 4)
    assert.equal(node.e.nextDeadlineMs(), 1 + 10)
  })

  test('a candidate in a ballot is due when the ballot wait or the RPC timeout of an unanswered request ends, whichever is first', () => {
    const slowRpc = makeNode({term: 5})
    slowRpc.rng.push(0.5)
    slowRpc.e.tick(0)
    assert.equal(slowRpc.e.nextDeadlineMs(), 2500)
    const fastRpc = makeNode({term: 5, rpcTimeoutMs: 800})
    fastRpc.rng.push(0.5)
    fastRpc.e.tick(0)
    assert.equal(fastRpc.e.nextDeadlineMs(), 800)
  })

  test('a follower is due one millisecond after leak × interval since its last heartbeat from the leader', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 123)
    assert.equal(node.e.nextDeadlineMs(), 123 + 3 * 2000 + 1)
    const fast = makeNode({term: 5, timing: 'fast'})
    followLeader(fast, 'n1', 5, 123)
    assert.equal(fast.e.nextDeadlineMs(), 123 + 3 * 100 + 1)
  })

  test('a leader between rounds is due one millisecond after heartbeatIntervalMs since its last round started', () => {
    const node = makeNode({term: 5})
    electLeaderWithLivePeers(node, 0)
    assert.equal(node.e.nextDeadlineMs(), 10 + 2000 + 1)
  })

  test('a new leader is due on its next maintainer tick (lastSendHeartBeatTime = -1)', () => {
    const node = makeNode({term: 5})
    electLeader(node, 40)
    assert.equal(node.e.nextDeadlineMs(), 50)
  })

  test('a leader in a round is due when the round is decided', () => {
    const node = makeNode({term: 5})
    electLeader(node, 0)
    const [hb] = sent(node.e.tick(10), 'HeartBeatRequest')
    assert.equal(node.e.nextDeadlineMs(), 2010)
    node.e.receive(heartbeatResponse(hb, 'SUCCESS'), 30)
    assert.equal(node.e.nextDeadlineMs(), 40)
  })

  test('a leader with a preferred leader to hand over to is also due at the next preferred-leader check', () => {
    const node = makeNode({term: 5, preferredLeaderIds: ['n1']})
    electLeaderWithLivePeers(node, 0)
    assert.equal(node.e.nextDeadlineMs(), 1000)
    const preferredItself = makeNode({term: 5, preferredLeaderIds: ['n0']})
    electLeaderWithLivePeers(preferredItself, 0)
    assert.equal(preferredItself.e.nextDeadlineMs(), 2011, 'a preferred leader checks nothing')
  })

  test('a leader transferring leadership is also due at the transfer deadline', () => {
    const node = makeNode({term: 5, leadershipTransferTimeoutMs: 700})
    const t = electLeaderWithLivePeers(node, 0)
    node.e.receive(transferRequest({from: 'client', to: 'n0', transferId: 'n0', transfereeId: 'n1', term: 5}), t)
    assert.equal(node.e.nextDeadlineMs(), t + 700)
  })

  test('a transferee catching up is also due at its catch-up deadline', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followLeader(node, 'n0', 5, 0)
    node.e.receive(transferRequest({from: 'n0', to: 'n1', transferId: 'n0', transfereeId: 'n1', term: 5, takeLeadershipLedgerIndex: 3}), 50)
    assert.equal(node.e.nextDeadlineMs(), 1050)
  })

  test('while a round is open only its deadlines count, whatever the role became (the maintainer is blocked in it)', () => {
    const node = makeNode({term: 5})
    const ballot = sent(node.e.tick(0), 'VoteRequest')
    followLeader(node, 'n1', 5, 1)
    assert.ok(node.e.nextDeadlineMs() <= 2999, 'the ballot wait, not the follower timeout')
    node.e.receive(voteResponse(ballot[0], 'REJECT_ALREADY_VOTED', 5), 2)
    node.e.receive(voteResponse(ballot[1], 'REJECT_ALREADY_VOTED', 5), 2)
    assert.equal(node.e.view.role, 'FOLLOWER')
    assert.equal(node.e.nextDeadlineMs(), 1 + 6001, 'the ballot is over: back to the follower timeout')
    const resp = one(node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 5}), 3), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_ALREADY_HAS_LEADER')
  })
})

describe('a driver that sleeps until nextDeadlineMs', () => {
  // tick itself gates the maintainer on nextDeadlineMs (the per-role tests above pin those
  // formulas); this checks that no other due work (round, transfer, catch-up, preferred-leader
  // deadlines) falls between the deadlines a driver is told
  for (const seed of [1, 2]) {
    test(`misses nothing that a driver ticking every millisecond sees (seed ${seed})`, () => {
      const run = (byDeadline: boolean) => {
        const c = new MiniCluster(3, {seed, preferredLeaderIds: ['n1']})
        const until = (t: number) => (byDeadline ? c.runUntilByDeadlines(t) : c.runUntil(t))
        until(4000)
        c.command('n2', (e, t) => e.revote(e.view.currTerm + 1, t))
        until(7000)
        for (const id of c.leaders()) c.down.add(id)
        until(13000)
        return c.transcript()
      }
      const everyMs = run(false)
      assert.ok(everyMs.length > 50)
      assert.deepEqual(run(true), everyMs)
    })
  }
})
