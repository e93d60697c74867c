/**
 * Leadership transfer (reference §3.9.2–§3.9.4) with spec S6: the client → leader checks, the one
 * deadline, success only in a newer term; the transferee's leader check, catch-up wait,
 * take-leadership, TakeLeadershipTask.check row by row, and the preferred-transferee protections.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {TAKE_LEADERSHIP_ATTEMPTS} from '../../src/core/transfer.js'
import type {LeadershipTransferRequest} from '../../src/core/types.js'
import {
  code,
  draw,
  electLeaderWithLivePeers,
  events,
  followerWithSleepingMaintainer,
  followLeader,
  heartbeat,
  makeNode,
  merge,
  MiniCluster,
  type NodeOptions,
  one,
  oneEvent,
  sent,
  type TestNode,
  transferRequest,
  transferResponse,
  voteRequest,
  voteResponse,
} from './helpers.js'

/** n0 leading term 5 with n1 and n2 live; returns the node and the time its first round ended (21). */
function leader(opts: NodeOptions = {}): {node: TestNode; t: number} {
  const node = makeNode({term: 5, ...opts})
  const t = electLeaderWithLivePeers(node, 0)
  return {node, t}
}

/** A client's request to n0 (the leader) to hand leadership to `transfereeId`. */
function clientRequest(p: Partial<Parameters<typeof transferRequest>[0]> = {}): LeadershipTransferRequest {
  return transferRequest({from: 'client', to: 'n0', transferId: 'n0', transfereeId: 'n1', term: 5, ...p})
}

/** The leader n0's take-leadership request to n1. */
function takeLeadership(p: Partial<Parameters<typeof transferRequest>[0]> = {}): LeadershipTransferRequest {
  return transferRequest({from: 'n0', to: 'n1', transferId: 'n0', transfereeId: 'n1', term: 5, takeLeadershipLedgerIndex: -1, ...p})
}

/** n1 following n0 in term 5 since t = 0. */
function transferee(opts: NodeOptions = {}): TestNode {
  const node = makeNode({selfId: 'n1', term: 5, ...opts})
  followLeader(node, 'n0', 5, 0)
  return node
}

describe('client → leader: DLedgerServer.handleLeadershipTransfer checks, in order', () => {
  test('a request addressed to another member is answered UNKNOWN_MEMBER with the request term and this node\'s leader', () => {
    const {node, t} = leader()
    const req = clientRequest({to: 'n7'})
    const resp = one(node.e.receive(req, t), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId, resp.reqId], [code('UNKNOWN_MEMBER'), 5, 'n0', req.reqId])
    assert.equal(node.e.view.transferee, null)
  })

  test('a request for another group is answered UNKNOWN_GROUP', () => {
    const {node, t} = leader()
    const resp = one(node.e.receive(clientRequest({group: 'other'}), t), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('UNKNOWN_GROUP'), 5, 'n0'])
  })

  test('1. a transferee that is not a peer member is refused with UNKNOWN_MEMBER', () => {
    const {node, t} = leader()
    const resp = one(node.e.receive(clientRequest({transfereeId: 'n9', term: 4}), t), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'), 'comes before the term check')
  })

  test('2. a request for another term is refused with INCONSISTENT_TERM; the error copies the request (its term) and names this node\'s leader', () => {
    const {node, t} = leader()
    const out = node.e.receive(clientRequest({term: 4}), t)
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('INCONSISTENT_TERM'), 4, 'n0'])
    assert.deepEqual(sent(out, 'LeadershipTransferRequest'), [])
  })

  test('3. a member that is not leader refuses with NOT_LEADER and names its leader', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n2', 5, 0)
    const resp = one(node.e.receive(clientRequest(), 1), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('NOT_LEADER'), 5, 'n2'])
  })

  test('2 before 3. a non-leader asked with a stale term answers INCONSISTENT_TERM', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n2', 5, 0)
    const resp = one(node.e.receive(clientRequest({term: 3}), 1), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('INCONSISTENT_TERM'))
  })

  test('4. a transferee that lags by maxLeadershipTransferWaitIndex entries or more is refused with FALL_BEHIND_TOO_MUCH', () => {
    const {node, t} = leader()
    node.e.setLedgerEnd(1500, 5, t)
    node.e.setPeerWaterMark('n1', 500)
    const resp = one(node.e.receive(clientRequest(), t), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('FALL_BEHIND_TOO_MUCH'), 5, 'n0'])
    assert.equal(node.e.view.transferee, null)
    node.e.setPeerWaterMark('n1', 501)
    const out = node.e.receive(clientRequest(), t)
    assert.equal(sent(out, 'LeadershipTransferResponse').length, 0, 'a lag of 999 is accepted')
    assert.equal(one(out, 'LeadershipTransferRequest').takeLeadershipLedgerIndex, 1500)
  })

  test('S6. a transfer to the current leader is a no-op success: nothing is sent, writes are not frozen', () => {
    const {node, t} = leader()
    const out = node.e.receive(clientRequest({transfereeId: 'n0'}), t)
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('SUCCESS'), 5, 'n0'])
    assert.deepEqual(sent(out, 'LeadershipTransferRequest'), [])
    assert.equal(node.e.view.transferee, null)
  })
})

describe('the old leader', () => {
  test('an accepted transfer freezes writes (transferee set) and sends take-leadership with the leader\'s ledger end; the client waits', () => {
    const {node, t} = leader()
    node.e.setLedgerEnd(42, 5, t)
    const out = node.e.receive(clientRequest(), t)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [])
    const tl = one(out, 'LeadershipTransferRequest')
    assert.deepEqual(
      [tl.localId, tl.remoteId, tl.leaderId, tl.term, tl.transferId, tl.transfereeId, tl.takeLeadershipLedgerIndex, tl.group],
      ['n0', 'n1', 'n0', 5, 'n0', 'n1', 42, 'default'],
    )
    assert.equal(node.e.view.transferee, 'n1')
    assert.deepEqual(events(out, 'LEADERSHIP_TRANSFER').map((ev) => ev.phase), ['REQUESTED', 'TAKE_LEADERSHIP_SENT'])
  })

  test('S6. a second transfer while one is in progress is refused with LEADER_TRANSFERRING', () => {
    const {node, t} = leader()
    node.e.receive(clientRequest(), t)
    const out = node.e.receive(clientRequest({transfereeId: 'n2'}), t + 5)
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('LEADER_TRANSFERRING'), 5])
    assert.deepEqual(sent(out, 'LeadershipTransferRequest'), [])
    assert.equal(node.e.view.transferee, 'n1', 'the first transfer is untouched')
    assert.deepEqual(
      events(out, 'LEADERSHIP_TRANSFER').map((ev) => [ev.phase, ev.code]),
      [['REQUESTED', 'SUCCESS'], ['FAILED', 'LEADER_TRANSFERRING']],
      'the refused request has its outcome in the vote log',
    )
  })

  test('S6. a transfer without an outcome by leadershipTransferTimeoutMs is answered TIMEOUT and writes are unfrozen', () => {
    const {node, t} = leader()
    const req = clientRequest()
    node.e.receive(req, t)
    assert.ok(node.e.nextDeadlineMs() <= t + 3000)
    assert.deepEqual(sent(node.e.tick(t + 2999), 'LeadershipTransferResponse'), [])
    const out = node.e.tick(t + 3000)
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.reqId, resp.localId], [code('TIMEOUT'), 5, req.reqId, 'client'])
    assert.equal(node.e.view.transferee, null)
    const ev = oneEvent(out, 'LEADERSHIP_TRANSFER')
    assert.deepEqual([ev.phase, ev.code, ev.transferee], ['FAILED', 'TIMEOUT', 'n1'])
  })

  test('S6. the transfer deadline follows leadershipTransferTimeoutMs', () => {
    const {node, t} = leader({leadershipTransferTimeoutMs: 500})
    node.e.receive(clientRequest(), t)
    assert.equal(one(node.e.tick(t + 500), 'LeadershipTransferResponse').code, code('TIMEOUT'))
  })

  test('S6. the transfer succeeds when the transferee reports SUCCESS in a newer term: the client gets SUCCESS, the new term and the new leader', () => {
    const {node, t} = leader()
    const req = clientRequest()
    const tl = one(node.e.receive(req, t), 'LeadershipTransferRequest')
    const out = node.e.receive(transferResponse(tl, 'SUCCESS', 6), t + 150)
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId, resp.reqId], [code('SUCCESS'), 6, 'n1', req.reqId])
    const ev = oneEvent(out, 'LEADERSHIP_TRANSFER')
    assert.deepEqual([ev.phase, ev.code], ['COMPLETED', 'SUCCESS'])
    assert.deepEqual(sent(node.e.tick(t + 3000), 'LeadershipTransferResponse'), [], 'no TIMEOUT after the outcome')
  })

  test('S6. a SUCCESS that does not report a newer term is not a success: TAKE_LEADERSHIP_FAILED, writes unfrozen', () => {
    const {node, t} = leader()
    const tl = one(node.e.receive(clientRequest(), t), 'LeadershipTransferRequest')
    const resp = one(node.e.receive(transferResponse(tl, 'SUCCESS', 5), t + 50), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('TAKE_LEADERSHIP_FAILED'))
    assert.equal(node.e.view.transferee, null)
  })

  test('a failure reply from the transferee is passed to the client and unfreezes writes; a new transfer can start', () => {
    const {node, t} = leader()
    const tl = one(node.e.receive(clientRequest(), t), 'LeadershipTransferRequest')
    const resp = one(node.e.receive(transferResponse(tl, 'INCONSISTENT_LEADER', 5), t + 5), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('INCONSISTENT_LEADER'))
    assert.equal(node.e.view.transferee, null)
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(sent(node.e.receive(clientRequest({transfereeId: 'n2'}), t + 6), 'LeadershipTransferRequest').length, 1)
  })

  test('the old leader keeps heartbeating while the transfer is in progress', () => {
    const {node, t} = leader()
    node.e.receive(clientRequest(), t)
    let heartbeats = 0
    for (let now = t + 1; now <= t + 2500; now++) heartbeats += sent(node.e.tick(now), 'HeartBeatRequest').length
    assert.equal(heartbeats, 2)
  })

  test('a deliberate difference (docs/differences.md D4): a stepped-down old leader still answers a failed take-leadership, with the highest term and the leader it knows', () => {
    const {node, t} = leader()
    const tl = one(node.e.receive(clientRequest(), t), 'LeadershipTransferRequest')
    node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 6}), t + 40)
    assert.equal(node.e.view.role, 'CANDIDATE')
    const resp = one(node.e.receive(transferResponse(tl, 'NETWORK_ERROR', 5), t + 50), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId, resp.localId], [code('NETWORK_ERROR'), 6, null, 'client'], 'it has jumped to term 6 meanwhile')
  })

  test('a leader that is demoted while transferring (the transferee\'s higher-term ballot) has its transferee cleared', () => {
    const {node, t} = leader()
    node.e.receive(clientRequest(), t)
    const resp = one(node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 6}), t + 40), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(node.e.view.transferee, null)
    assert.equal(node.e.view.role, 'CANDIDATE')
  })
})

describe('the transferee', () => {
  test('a take-leadership request from a member that is not this node\'s leader is refused with INCONSISTENT_LEADER (request term, own leader)', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followLeader(node, 'n2', 5, 0)
    const resp = one(node.e.receive(takeLeadership(), 1), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId], [code('INCONSISTENT_LEADER'), 5, 'n2'])
    assert.equal(node.e.view.role, 'FOLLOWER')
  })

  test('a take-leadership request to a member that is neither transferer nor transferee is answered UNEXPECTED_ARGUMENT with its term', () => {
    const node = makeNode({selfId: 'n2', term: 5})
    followLeader(node, 'n0', 5, 0)
    const resp = one(node.e.receive(takeLeadership({to: 'n2'}), 1), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('UNEXPECTED_ARGUMENT'), 5])
  })

  test('a caught-up transferee becomes candidate for term + 1 at once, campaigns with the term jump, and does not answer yet', () => {
    const node = transferee()
    const out = node.e.receive(takeLeadership(), 1)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [], 'answered only on a later role change')
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.termToTakeLeadership, 6)
    const change = oneEvent(out, 'ROLE_CHANGE')
    assert.deepEqual([change.from, change.to], ['FOLLOWER', 'CANDIDATE'])
    assert.match(change.reason, /^transfer from n0/)
    assert.equal(oneEvent(out, 'LEADERSHIP_TRANSFER').phase, 'TAKE_LEADERSHIP_RECEIVED')
    // needIncreaseTermImmediately: the (idle) maintainer jumps to 6 in this step
    assert.deepEqual(out.persist, {currTerm: 6, currVoteFor: null})
  })

  test('a transferee whose log is shorter than takeLeadershipLedgerIndex waits to catch up, then takes leadership', () => {
    const node = transferee()
    node.e.setLedgerEnd(5, 5, 0)
    const out = node.e.receive(takeLeadership({takeLeadershipLedgerIndex: 8}), 100)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [])
    assert.equal(node.e.view.role, 'FOLLOWER', 'still waiting')
    assert.equal(node.e.nextDeadlineMs(), 1100)
    node.e.setLedgerEnd(7, 5, 400)
    assert.equal(node.e.view.role, 'FOLLOWER')
    const caught = node.e.setLedgerEnd(8, 5, 500)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.termToTakeLeadership, 6)
    assert.deepEqual(sent(caught, 'LeadershipTransferResponse'), [])
  })

  test('a transferee that has not caught up after leadershipTransferWaitTimeoutMs answers TAKE_LEADERSHIP_FAILED (request term, own leader) and stays follower', () => {
    const node = transferee()
    node.e.setLedgerEnd(5, 5, 0)
    const req = takeLeadership({takeLeadershipLedgerIndex: 8})
    node.e.receive(req, 100)
    assert.deepEqual(sent(node.e.tick(1099), 'LeadershipTransferResponse'), [])
    const resp = one(node.e.tick(1100), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.leaderId, resp.reqId, resp.localId], [code('TAKE_LEADERSHIP_FAILED'), 5, 'n0', req.reqId, 'n0'])
    assert.equal(node.e.view.role, 'FOLLOWER')
  })

  test('S6. a second take-leadership while the first is still catching up is refused with LEADER_TRANSFERRING', () => {
    const node = transferee()
    node.e.setLedgerEnd(5, 5, 0)
    node.e.receive(takeLeadership({takeLeadershipLedgerIndex: 8}), 100)
    const resp = one(node.e.receive(takeLeadership({takeLeadershipLedgerIndex: 9}), 200), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('LEADER_TRANSFERRING'))
  })

  test('a second take-leadership after the first was taken up is refused (INCONSISTENT_LEADER: the transferee has left its leader) and does not replace the first', () => {
    const node = transferee()
    const first = takeLeadership()
    node.e.receive(first, 1)
    const resp = one(node.e.receive(takeLeadership(), 2), 'LeadershipTransferResponse')
    assert.equal(resp.code, code('INCONSISTENT_LEADER'))
    const ballot = sent(node.e.tick(301), 'VoteRequest')
    const won = one(node.e.receive(voteResponse(ballot[0], 'ACCEPT', 6), 302), 'LeadershipTransferResponse')
    assert.deepEqual([won.code, won.reqId], [code('SUCCESS'), first.reqId])
  })

  test('a take-leadership for another term is refused with INCONSISTENT_TERM and the transferee\'s term', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followLeader(node, 'n0', 5, 0)
    const resp = one(node.e.receive(takeLeadership({term: 4}), 1), 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('INCONSISTENT_TERM'), 5])
    assert.equal(node.e.view.role, 'FOLLOWER')
  })

  test('a preferred transferee taking leadership campaigns 30–100 ms after the term jump', () => {
    const node = transferee({preferredLeaderIds: ['n1']})
    node.rng.push(0.5)
    node.e.receive(takeLeadership(), 1)
    assert.equal(node.e.nextDeadlineMs(), 1 + 30 + 35)
    const ballot = sent(node.e.tick(66), 'VoteRequest')
    assert.deepEqual(ballot.map((r) => r.term), [6, 6])
  })

  test('a preferred transferee keeps the 30–100 ms spacing between its take-over ballots', () => {
    const node = transferee({preferredLeaderIds: ['n1']})
    node.e.receive(takeLeadership(), 1)
    const ballot = sent(node.e.tick(31), 'VoteRequest')
    node.rng.push(draw(69, 70))
    for (const req of ballot) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 6), 32)
    assert.equal(node.e.nextDeadlineMs(), 32 + 99)
  })

  test('a transferee that is not a preferred leader campaigns with the ordinary 300–1000 ms spacing', () => {
    const node = transferee({preferredLeaderIds: ['n2']})
    node.rng.push(0.5)
    node.e.receive(takeLeadership(), 1)
    assert.equal(node.e.nextDeadlineMs(), 1 + 300 + 350)
  })

  test('only a preferred transferee rejects a rival with REJECT_TAKING_LEADERSHIP, and only a rival whose log is not longer', () => {
    const preferred = transferee({preferredLeaderIds: ['n1']})
    preferred.e.setLedgerEnd(10, 5, 0)
    preferred.e.receive(takeLeadership({takeLeadershipLedgerIndex: 10}), 1)
    const equal = one(preferred.e.receive(voteRequest({from: 'n2', to: 'n1', term: 6, ledgerEndIndex: 10, ledgerEndTerm: 5}), 2), 'VoteResponse')
    assert.equal(equal.voteResult, 'REJECT_TAKING_LEADERSHIP')
    const longer = one(preferred.e.receive(voteRequest({from: 'n2', to: 'n1', term: 6, ledgerEndIndex: 11, ledgerEndTerm: 5}), 3), 'VoteResponse')
    assert.equal(longer.voteResult, 'ACCEPT')

    const ordinary = transferee({preferredLeaderIds: ['n2']})
    ordinary.e.setLedgerEnd(10, 5, 0)
    ordinary.e.receive(takeLeadership({takeLeadershipLedgerIndex: 10}), 1)
    const plain = one(ordinary.e.receive(voteRequest({from: 'n2', to: 'n1', term: 6, ledgerEndIndex: 10, ledgerEndTerm: 5}), 2), 'VoteResponse')
    assert.equal(plain.voteResult, 'ACCEPT')
  })
})

describe('TakeLeadershipTask.check, row by row (t = termToTakeLeadership)', () => {
  test('term == t, LEADER → SUCCESS with term t, sent back to the old leader', () => {
    const node = transferee()
    const req = takeLeadership()
    node.e.receive(req, 1)
    const ballot = sent(node.e.tick(301), 'VoteRequest')
    const out = node.e.receive(voteResponse(ballot[0], 'ACCEPT', 6), 302)
    assert.equal(node.e.view.role, 'LEADER')
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term, resp.localId, resp.reqId], [code('SUCCESS'), 6, 'n0', req.reqId])
    assert.equal(node.e.view.termToTakeLeadership, -1)
  })

  test('term == t, CANDIDATE → no answer yet (keeps waiting)', () => {
    const node = transferee()
    node.e.receive(takeLeadership(), 1)
    const ballot = sent(node.e.tick(301), 'VoteRequest')
    // outcome 1 re-fires changeRoleToCandidate at t
    const out = node.e.receive(voteResponse(ballot[0], 'REJECT_EXPIRED_VOTE_TERM', 6), 302)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [])
    assert.equal(node.e.view.termToTakeLeadership, 6)
  })

  test('term == t, FOLLOWER → TAKE_LEADERSHIP_FAILED (a rival won the take-over term)', () => {
    const node = transferee()
    node.e.receive(takeLeadership(), 1)
    const out = node.e.receive(heartbeat({from: 'n2', to: 'n1', term: 6}), 50)
    assert.equal(node.e.view.role, 'FOLLOWER')
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('TAKE_LEADERSHIP_FAILED'), 6])
  })

  test('term > t, any role → EXPIRED_TERM with that term', () => {
    const node = transferee()
    node.e.receive(takeLeadership(), 1)
    const out = node.e.receive(heartbeat({from: 'n2', to: 'n1', term: 8}), 50)
    assert.equal(one(out, 'HeartBeatResponse').code, code('TERM_NOT_READY'))
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('EXPIRED_TERM'), 8])
  })

  test('term < t, FOLLOWER → TAKE_LEADERSHIP_FAILED (the old leader\'s heartbeat arrived before the term jump)', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followerWithSleepingMaintainer(node, 'n0', 5, 0)
    node.e.receive(takeLeadership(), 1)
    assert.equal(node.e.view.currTerm, 5, 'the maintainer has not jumped yet')
    const out = node.e.receive(heartbeat({from: 'n0', to: 'n1', term: 5}), 2)
    assert.equal(node.e.view.role, 'FOLLOWER')
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.term], [code('TAKE_LEADERSHIP_FAILED'), 5])
  })

  test('term < t, LEADER → INTERNAL_ERROR (an older ballot passed before the term jump)', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    const ballot = sent(node.e.tick(0), 'VoteRequest')
    followLeader(node, 'n0', 5, 1)
    node.e.receive(takeLeadership(), 2)
    const out = node.e.receive(voteResponse(ballot[1], 'ACCEPT', 5), 3)
    assert.equal(node.e.view.role, 'LEADER')
    assert.equal(node.e.view.currTerm, 5)
    assert.equal(one(out, 'LeadershipTransferResponse').code, code('INTERNAL_ERROR'))
  })

  test('term < t, CANDIDATE → INTERNAL_ERROR (a forced election for the old term)', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followerWithSleepingMaintainer(node, 'n0', 5, 0)
    node.e.receive(takeLeadership(), 1)
    const out = node.e.revote(5, 2)
    assert.equal(one(out, 'LeadershipTransferResponse').code, code('INTERNAL_ERROR'))
  })

  test('after its answer the task is done: later role changes answer nothing', () => {
    const node = transferee()
    node.e.receive(takeLeadership(), 1)
    node.e.receive(heartbeat({from: 'n2', to: 'n1', term: 6}), 50)
    const out = node.e.receive(heartbeat({from: 'n2', to: 'n1', term: 9}), 60)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [])
  })
})

describe('end to end', () => {
  test('a client transfer to a follower succeeds: the transferee leads the next term and the client learns it', () => {
    const c = new MiniCluster(3, {seed: 3})
    c.runUntil(5000)
    const [old] = c.leaders()
    const target = ['n0', 'n1', 'n2'].find((id) => id !== old) as string
    const term = c.node(old).e.view.currTerm
    const req = transferRequest({from: 'client', to: old, transferId: old, transfereeId: target, term})
    c.command(old, (e, t) => e.receive(req, t))
    const start = c.now
    let answer = null
    for (let seen = 0; answer === null && c.now < start + 3000; ) {
      c.runUntil(c.now + 1)
      const fresh = c.log.slice(seen).flatMap((r) => r.out.messages)
      seen = c.log.length
      answer = fresh.find((m) => m.kind === 'LeadershipTransferResponse' && m.reqId === req.reqId) ?? null
    }
    assert.ok(answer, 'the client got an answer')
    assert.deepEqual([answer.code, answer.term, answer.leaderId], [code('SUCCESS'), term + 1, target])
    assert.deepEqual(c.leaders(), [target])
    assert.ok(c.now - start < 1100, `took ${c.now - start} ms`)
  })
})

describe('one retry policy: a take-leadership race the old leader re-won is tried again within the deadline (D7)', () => {
  /** n0 leads term 5, sends take-leadership to n1, then wins term 6 before n1 does; returns n1's lost-race answer. */
  function raceLostToOldLeader() {
    const {node, t} = leader()
    const req = clientRequest()
    const first = one(node.e.receive(req, t), 'LeadershipTransferRequest')
    // n0 campaigns for n1's take-over term first and wins it
    const ballot = sent(merge(node.e.revote(6, t + 1), node.e.tick(t + 2)), 'VoteRequest')
    assert.ok(ballot.length > 0, 'n0 campaigns for term 6')
    node.e.receive(voteResponse(ballot[0], 'ACCEPT', 6), t + 3)
    assert.deepEqual([node.e.view.role, node.e.view.currTerm], ['LEADER', 6])
    return {node, req, first, lost: transferResponse(first, 'TAKE_LEADERSHIP_FAILED', 6), t: t + 4}
  }

  test('the leader sends take-leadership again in its new term and keeps the client waiting', () => {
    const {node, first, lost, t} = raceLostToOldLeader()
    const out = node.e.receive(lost, t)
    assert.deepEqual(sent(out, 'LeadershipTransferResponse'), [], 'no answer to the client yet')
    const again = one(out, 'LeadershipTransferRequest')
    assert.deepEqual([again.remoteId, again.term, again.transfereeId], ['n1', 6, 'n1'])
    assert.notEqual(again.reqId, first.reqId)
    const ev = oneEvent(out, 'LEADERSHIP_TRANSFER')
    assert.equal(ev.phase, 'TAKE_LEADERSHIP_SENT')
    assert.match(ev.detail ?? '', /^attempt 2: n1 lost the race for term 6/)
    assert.equal(node.e.view.transferee, 'n1', 'writes frozen again for the transferee')
  })

  test(`after ${TAKE_LEADERSHIP_ATTEMPTS} lost races the client gets TAKE_LEADERSHIP_FAILED`, () => {
    const {node, req, lost, t} = raceLostToOldLeader()
    let answer = lost
    let out = node.e.receive(answer, t)
    for (let term = 7; term < 6 + TAKE_LEADERSHIP_ATTEMPTS; term++) {
      const tl = one(out, 'LeadershipTransferRequest')
      const ballot = sent(merge(node.e.revote(term, t + term), node.e.tick(t + term + 1)), 'VoteRequest')
      node.e.receive(voteResponse(ballot[0], 'ACCEPT', term), t + term + 2)
      answer = transferResponse(tl, 'TAKE_LEADERSHIP_FAILED', term)
      out = node.e.receive(answer, t + term + 3)
    }
    const resp = one(out, 'LeadershipTransferResponse')
    assert.deepEqual([resp.code, resp.reqId], [code('TAKE_LEADERSHIP_FAILED'), req.reqId])
    assert.equal(oneEvent(out, 'LEADERSHIP_TRANSFER').phase, 'FAILED')
  })

})
