/**
 * checkPreferredLeader (reference §3.9.1, spec S7): the gate, the live-table and membership
 * filters, the lag skip, priority and tie order, and the 1000 ms schedule after a 1000 ms delay.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {HeartBeatRequest, NodeId, ResponseCodeName} from '../../src/core/types.js'
import {
  electLeader,
  events,
  heartbeatResponse,
  makeNode,
  type NodeOptions,
  sent,
  type TestNode,
  tickThrough,
  transferRequest,
} from './helpers.js'

/** n0 elected at t = 0 in term 5; its first round (t = 10) is answered as given, at t = 11. */
function leader(answers: Partial<Record<NodeId, ResponseCodeName>>, opts: NodeOptions = {}): TestNode & {firstRound: HeartBeatRequest[]} {
  const node = makeNode({term: 5, preferredLeaderIds: ['n1'], ...opts})
  electLeader(node, opts.nowMs ?? 0)
  const firstRound = sent(node.e.tick((opts.nowMs ?? 0) + 10), 'HeartBeatRequest')
  for (const hb of firstRound) {
    const answer = answers[hb.remoteId]
    if (answer) node.e.receive(heartbeatResponse(hb, answer), (opts.nowMs ?? 0) + 11)
  }
  return {...node, firstRound}
}

/** The transferee of the first take-leadership the node sent in `out`, or null. */
function transferTarget(out: {messages: {kind: string}[]}): NodeId | null {
  const tl = out.messages.find((m) => m.kind === 'LeadershipTransferRequest') as {remoteId: NodeId} | undefined
  return tl?.remoteId ?? null
}

describe('the schedule', () => {
  test('a leader hands leadership to a live preferred member at its first check, 1000 ms after start', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'})
    assert.equal(node.e.nextDeadlineMs(), 21, 'the round\'s decision first')
    node.e.tick(21)
    assert.equal(node.e.nextDeadlineMs(), 1000)
    assert.equal(transferTarget(tickThrough(node.e, 22, 999)), null)
    const out = node.e.tick(1000)
    assert.equal(transferTarget(out), 'n1')
    const ev = events(out, 'LEADERSHIP_TRANSFER').map((e) => [e.phase, e.transferee])
    assert.deepEqual(ev, [
      ['PREFERRED_LEADER', 'n1'],
      ['TAKE_LEADERSHIP_SENT', 'n1'],
    ])
    assert.equal(node.e.view.transferee, 'n1')
  })

  test('the check repeats every checkPreferredLeaderIntervalMs: a preferred member that becomes live is picked at the next period', () => {
    const node = leader({n1: 'NETWORK_ERROR', n2: 'SUCCESS'})
    assert.equal(transferTarget(tickThrough(node.e, 12, 2010)), null, 'n1 not live at 1000 and 2000')
    const round = sent(node.e.tick(2011), 'HeartBeatRequest')
    assert.equal(round.length, 2)
    for (const hb of round) node.e.receive(heartbeatResponse(hb, 'SUCCESS'), 2012)
    assert.equal(transferTarget(tickThrough(node.e, 2013, 2999)), null)
    assert.equal(transferTarget(node.e.tick(3000)), 'n1')
  })

  test('the schedule is anchored at construction time, whenever the node became leader', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {nowMs: 500})
    assert.equal(transferTarget(tickThrough(node.e, 512, 1499)), null)
    assert.equal(transferTarget(node.e.tick(1500)), 'n1')
  })
})

describe('the gate', () => {
  test('a follower never starts a transfer', () => {
    const node = makeNode({term: 5, preferredLeaderIds: ['n1']})
    node.e.receive({kind: 'HeartBeatRequest', group: 'default', localId: 'n2', remoteId: 'n0', leaderId: 'n2', term: 5, code: 200, reqId: 'h'}, 0)
    assert.equal(transferTarget(tickThrough(node.e, 1, 3000, 10)), null)
  })

  test('without preferred leaders nothing happens', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: []})
    assert.equal(transferTarget(tickThrough(node.e, 12, 3000)), null)
  })

  test('a leader that is itself a preferred leader keeps leading, even if another preferred member is live', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: ['n1', 'n0']})
    assert.equal(transferTarget(tickThrough(node.e, 12, 3000)), null)
  })

  test('no check starts a transfer while one is in progress', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'})
    const out = node.e.receive(transferRequest({from: 'client', to: 'n0', transferId: 'n0', transfereeId: 'n2', term: 5}), 500)
    assert.equal(transferTarget(out), 'n2')
    assert.equal(transferTarget(tickThrough(node.e, 501, 2000)), null)
  })
})

describe('the candidate list', () => {
  test('a preferred member never heard from since the election is skipped (the live table is cleared on becoming leader)', () => {
    const node = leader({})
    assert.equal(transferTarget(tickThrough(node.e, 12, 1000)), null)
  })

  test('a preferred member whose last heartbeat failed with NETWORK_ERROR is skipped', () => {
    const node = leader({n1: 'NETWORK_ERROR', n2: 'SUCCESS'})
    assert.equal(transferTarget(tickThrough(node.e, 12, 1000)), null)
  })

  test('an id that is not a peer member is skipped', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'})
    node.e.setPreferredLeaders(['n9', 'n2'], 12)
    assert.equal(transferTarget(tickThrough(node.e, 13, 1000)), 'n2')
  })

  test('S7. a preferred member that lags by maxLeadershipTransferWaitIndex or more is skipped', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: ['n1']})
    node.e.setLedgerEnd(2000, 5, 12)
    node.e.setPeerWaterMark('n1', 1000)
    assert.equal(transferTarget(tickThrough(node.e, 13, 1000)), null)
    node.e.setPeerWaterMark('n1', 1001)
    assert.equal(transferTarget(tickThrough(node.e, 1001, 2000)), 'n1')
  })

  test('S7. a lagging first choice does not block a caught-up second one', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: ['n1', 'n2']})
    node.e.setLedgerEnd(2000, 5, 12)
    node.e.setPeerWaterMark('n1', 0)
    node.e.setPeerWaterMark('n2', 1990)
    assert.equal(transferTarget(tickThrough(node.e, 13, 1000)), 'n2')
  })

  test('the least lagging preferred member is picked', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: ['n2', 'n1']})
    node.e.setLedgerEnd(100, 5, 12)
    node.e.setPeerWaterMark('n1', 100)
    node.e.setPeerWaterMark('n2', 95)
    assert.equal(transferTarget(tickThrough(node.e, 13, 1000)), 'n1')
  })

  test('on equal lag the earlier preferred member in the list wins', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'}, {preferredLeaderIds: ['n2', 'n1']})
    assert.equal(transferTarget(tickThrough(node.e, 12, 1000)), 'n2')
  })
})

describe('the live table', () => {
  test('a heartbeat reply that arrives after its round was decided still marks the peer live', () => {
    const node = leader({n2: 'SUCCESS'})
    node.e.tick(21) // the round is decided 10 ms after n2's SUCCESS; n1 has not answered
    assert.equal(node.e.view.peersLiveTable.get('n1'), undefined)
    // n1 answers late, within the RPC timeout of the request sent at t = 10
    const toN1 = node.firstRound.find((h) => h.remoteId === 'n1') as HeartBeatRequest
    node.e.receive(heartbeatResponse(toN1, 'SUCCESS'), 500)
    assert.equal(node.e.view.peersLiveTable.get('n1'), true)
  })

  test('a peer whose heartbeat got no reply within rpcTimeoutMs is marked not live, even after its round was decided', () => {
    const node = leader({n1: 'SUCCESS', n2: 'SUCCESS'})
    assert.equal(node.e.view.peersLiveTable.get('n1'), true)
    node.e.tick(21)
    // next round at 2011: only n2 answers; n1 is gone
    const round = sent(node.e.tick(2011), 'HeartBeatRequest')
    const toN2 = round.find((h) => h.remoteId === 'n2')
    assert.ok(toN2)
    node.e.receive(heartbeatResponse(toN2, 'SUCCESS'), 2012)
    tickThrough(node.e, 2013, 5010)
    assert.equal(node.e.view.peersLiveTable.get('n1'), true, 'within the 3000 ms RPC timeout')
    tickThrough(node.e, 5011, 5011)
    assert.equal(node.e.view.peersLiveTable.get('n1'), false)
  })
})
