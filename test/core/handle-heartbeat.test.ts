/**
 * handleHeartBeat: DLedgerServer's UNKNOWN_MEMBER / UNKNOWN_GROUP checks, then every response code
 * of the elector in DLedger's order (reference §3.4).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {code, electLeader, events, followLeader, heartbeat, makeNode, one, oneEvent} from './helpers.js'

/** n0 following n1 in term 5 since t = 0. */
function followerOfN1() {
  const node = makeNode({term: 5})
  followLeader(node, 'n1', 5, 0)
  return node
}

describe('handleHeartBeat: DLedgerServer checks before the elector', () => {
  test('a heartbeat addressed to another member is answered UNKNOWN_MEMBER with the request term and this node\'s leader', () => {
    const {e} = followerOfN1()
    const req = heartbeat({from: 'n2', to: 'n7', term: 9})
    const out = e.receive(req, 10)
    const resp = one(out, 'HeartBeatResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
    assert.equal(resp.term, 9)
    assert.equal(resp.leaderId, 'n1')
    assert.equal(resp.reqId, req.reqId)
    assert.equal(e.view.role, 'FOLLOWER', 'a misaddressed higher-term heartbeat must not demote')
    assert.equal(e.nextDeadlineMs(), 6001, 'nor refresh the follower timer')
  })

  test('a heartbeat for another group is answered UNKNOWN_GROUP with the request term and this node\'s leader', () => {
    const {e} = followerOfN1()
    const resp = one(e.receive(heartbeat({from: 'n1', to: 'n0', term: 5, group: 'other'}), 10), 'HeartBeatResponse')
    assert.equal(resp.code, code('UNKNOWN_GROUP'))
    assert.equal(resp.term, 5)
    assert.equal(resp.leaderId, 'n1')
    assert.equal(e.nextDeadlineMs(), 6001, 'a heartbeat from another group does not refresh the timer')
  })

  test('the remoteId check comes before the group check', () => {
    const {e} = followerOfN1()
    const resp = one(e.receive(heartbeat({from: 'n1', to: 'n7', term: 5, group: 'other'}), 10), 'HeartBeatResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
    assert.equal(resp.term, 5)
  })
})

describe('handleHeartBeat: the elector\'s response codes, in DLedger\'s order', () => {
  test('1. a heartbeat from a leader that is not a peer member is answered UNKNOWN_MEMBER with this node\'s term', () => {
    const {e} = followerOfN1()
    const resp = one(e.receive(heartbeat({from: 'n9', to: 'n0', term: 8}), 10), 'HeartBeatResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
    assert.equal(resp.term, 5)
    assert.equal(e.view.role, 'FOLLOWER')
    assert.equal(e.view.knownMaxTermInGroup, -1)
  })

  test('2. a heartbeat that claims to come from this node is answered UNEXPECTED_MEMBER with this node\'s term', () => {
    const {e} = followerOfN1()
    const resp = one(e.receive(heartbeat({from: 'n2', to: 'n0', term: 8, leaderId: 'n0'}), 10), 'HeartBeatResponse')
    assert.equal(resp.code, code('UNEXPECTED_MEMBER'))
    assert.equal(resp.term, 5)
    assert.equal(e.view.role, 'FOLLOWER', 'checked before the term: no demotion')
  })

  test('3. a heartbeat in an older term is answered EXPIRED_TERM with this node\'s term', () => {
    const {e} = followerOfN1()
    const out = e.receive(heartbeat({from: 'n2', to: 'n0', term: 4}), 10)
    const resp = one(out, 'HeartBeatResponse')
    assert.equal(resp.code, code('EXPIRED_TERM'))
    assert.equal(resp.term, 5)
    assert.equal(e.view.leaderId, 'n1')
    assert.equal(e.nextDeadlineMs(), 6001, 'an old-term heartbeat does not refresh the timer')
  })

  test('4. a heartbeat from the known leader in the current term is answered SUCCESS (term -1) and refreshes the follower timer', () => {
    const {e} = followerOfN1()
    const out = e.receive(heartbeat({from: 'n1', to: 'n0', term: 5}), 2000)
    const resp = one(out, 'HeartBeatResponse')
    assert.equal(resp.code, code('SUCCESS'))
    assert.equal(resp.term, -1)
    assert.equal(out.persist, null)
    assert.deepEqual(events(out, 'ROLE_CHANGE'), [])
    assert.equal(e.nextDeadlineMs(), 2000 + 6000 + 1)
  })

  test('4. a candidate that receives a heartbeat in its current term becomes follower of the sender and answers SUCCESS', () => {
    const node = makeNode({term: 5})
    const out = node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 5}), 3)
    const resp = one(out, 'HeartBeatResponse')
    assert.equal(resp.code, code('SUCCESS'))
    assert.equal(resp.term, -1)
    assert.equal(node.e.view.role, 'FOLLOWER')
    assert.equal(node.e.view.leaderId, 'n2')
    assert.equal(node.e.view.currTerm, 5)
    const change = oneEvent(out, 'ROLE_CHANGE')
    assert.deepEqual([change.from, change.to, change.leaderId], ['CANDIDATE', 'FOLLOWER', 'n2'])
    assert.equal(node.e.nextDeadlineMs(), 3 + 6000 + 1, 'becoming follower starts the timer')
  })

  test('4. a follower answers a heartbeat from a second leader in its term with INCONSISTENT_LEADER (term -1) and keeps its leader', () => {
    const {e} = followerOfN1()
    const resp = one(e.receive(heartbeat({from: 'n2', to: 'n0', term: 5}), 10), 'HeartBeatResponse')
    assert.equal(resp.code, code('INCONSISTENT_LEADER'))
    assert.equal(resp.term, -1)
    assert.equal(e.view.leaderId, 'n1')
    assert.equal(e.view.role, 'FOLLOWER')
    assert.equal(e.nextDeadlineMs(), 6001, 'the rival heartbeat does not refresh the timer')
  })

  test('4. a leader answers a same-term heartbeat from another node with INCONSISTENT_LEADER and stays leader (never LEADER → FOLLOWER)', () => {
    const node = makeNode({term: 5})
    electLeader(node, 0)
    const resp = one(node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 5}), 1), 'HeartBeatResponse')
    assert.equal(resp.code, code('INCONSISTENT_LEADER'))
    assert.equal(node.e.view.role, 'LEADER')
  })

  test('5. a heartbeat in a higher term is answered TERM_NOT_READY (term -1): the node becomes candidate, not follower of the new leader', () => {
    const {e} = followerOfN1()
    const out = e.receive(heartbeat({from: 'n2', to: 'n0', term: 7}), 10)
    const resp = one(out, 'HeartBeatResponse')
    assert.equal(resp.code, code('TERM_NOT_READY'))
    assert.equal(resp.term, -1)
    assert.equal(e.view.role, 'CANDIDATE')
    assert.equal(e.view.leaderId, null)
    assert.equal(e.view.knownMaxTermInGroup, 7)
    const change = oneEvent(out, 'ROLE_CHANGE')
    assert.deepEqual([change.from, change.to], ['FOLLOWER', 'CANDIDATE'])
  })

  test('5. a higher-term heartbeat demotes a leader to candidate', () => {
    const node = makeNode({term: 5})
    electLeader(node, 0)
    const resp = one(node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 6}), 1), 'HeartBeatResponse')
    assert.equal(resp.code, code('TERM_NOT_READY'))
    assert.equal(node.e.view.role, 'CANDIDATE')
  })
})
