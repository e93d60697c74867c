/**
 * MemberState: role transitions with their preconditions and resets, nextTerm, and the quorum
 * formula (reference §2.3, §2.4).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {IllegalMemberStateError, MemberState} from '../../src/core/member-state.js'
import {parsePeers, quorumOf} from '../../src/core/settings.js'
import type {DurableState} from '../../src/core/types.js'
import {peersOf} from './helpers.js'

function memberState(durable: DurableState = {currTerm: 5, currVoteFor: null}, size = 3): MemberState {
  return new MemberState('default', 'n0', parsePeers(peersOf(size)), durable)
}

describe('the initial state', () => {
  test('a member starts as CANDIDATE with no leader, its persisted term and vote, an empty log (-1/-1) and knownMaxTermInGroup -1', () => {
    const s = memberState({currTerm: 7, currVoteFor: 'n2'})
    assert.deepEqual(
      [s.role, s.leaderId, s.currTerm, s.currVoteFor, s.ledgerEndIndex, s.ledgerEndTerm, s.knownMaxTermInGroup, s.transferee, s.termToTakeLeadership],
      ['CANDIDATE', null, 7, 'n2', -1, -1, -1, null, -1],
    )
    assert.deepEqual(s.durable(), {currTerm: 7, currVoteFor: 'n2'})
  })

  test('isPeerMember holds exactly for configured ids', () => {
    const s = memberState()
    assert.deepEqual(['n0', 'n2', 'n3', '', null, undefined].map((id) => s.isPeerMember(id)), [true, true, false, false, false, false])
  })
})

describe('role transitions', () => {
  test('changeToLeader requires currTerm == term; it sets leaderId to self and clears the live table', () => {
    const s = memberState()
    s.peersLiveTable.set('n1', true)
    assert.throws(() => s.changeToLeader(4), IllegalMemberStateError)
    assert.throws(() => s.changeToLeader(6), IllegalMemberStateError)
    assert.equal(s.role, 'CANDIDATE')
    s.changeToLeader(5)
    assert.deepEqual([s.role, s.leaderId, s.peersLiveTable.size], ['LEADER', 'n0', 0])
  })

  test('changeToFollower requires currTerm == term; it sets the leader and clears the transferee', () => {
    const s = memberState()
    s.changeToLeader(5)
    s.setTransferee('n1')
    assert.throws(() => s.changeToFollower(6, 'n1'), IllegalMemberStateError)
    s.changeToFollower(5, 'n2')
    assert.deepEqual([s.role, s.leaderId, s.transferee], ['FOLLOWER', 'n2', null])
  })

  test('changeToCandidate requires term >= currTerm; it raises knownMaxTermInGroup, drops leader and transferee, and keeps term and vote', () => {
    const s = memberState({currTerm: 5, currVoteFor: 'n1'})
    s.changeToLeader(5)
    s.setTransferee('n2')
    assert.throws(() => s.changeToCandidate(4), IllegalMemberStateError)
    s.changeToCandidate(8)
    assert.deepEqual([s.role, s.leaderId, s.transferee, s.knownMaxTermInGroup, s.currTerm, s.currVoteFor], ['CANDIDATE', null, null, 8, 5, 'n1'])
    assert.deepEqual(s.durable(), {currTerm: 5, currVoteFor: 'n1'}, 'a seen term is not part of the durable record')
  })

  test('knownMaxTermInGroup is never lowered by changeToCandidate', () => {
    const s = memberState()
    s.changeToCandidate(9)
    s.changeToCandidate(6)
    assert.equal(s.knownMaxTermInGroup, 9)
  })

  test('setTransferee is allowed only on a leader, also when clearing it', () => {
    const s = memberState()
    assert.throws(() => s.setTransferee('n1'), IllegalMemberStateError)
    assert.throws(() => s.setTransferee(null), IllegalMemberStateError)
    s.changeToLeader(5)
    s.setTransferee('n1')
    s.setTransferee(null)
    assert.equal(s.transferee, null)
  })
})

describe('nextTerm', () => {
  test('nextTerm is allowed only on a candidate', () => {
    const s = memberState()
    s.changeToLeader(5)
    assert.throws(() => s.nextTerm(), IllegalMemberStateError)
  })

  test('nextTerm increments by one when no higher term is known, clears the vote in the durable record', () => {
    const s = memberState({currTerm: 5, currVoteFor: 'n1'})
    assert.equal(s.nextTerm(), 6)
    assert.deepEqual(s.durable(), {currTerm: 6, currVoteFor: null})
  })

  test('nextTerm jumps straight to knownMaxTermInGroup when it is higher', () => {
    const s = memberState({currTerm: 5, currVoteFor: 'n1'})
    s.changeToCandidate(9)
    assert.equal(s.nextTerm(), 9)
    assert.equal(s.nextTerm(), 10, 'and +1 once it has caught up')
  })

  test('setCurrVoteFor changes the durable record', () => {
    const s = memberState()
    s.setCurrVoteFor('n2')
    assert.deepEqual(s.durable(), {currTerm: 5, currVoteFor: 'n2'})
  })
})

describe('the quorum', () => {
  test('isQuorum(n) holds from floor(peerSize / 2) + 1: 1 of 1, 2 of 2, 2 of 3, 3 of 4, 3 of 5', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(quorumOf), [1, 2, 2, 3, 3])
    for (const [size, need] of [
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 3],
      [5, 3],
    ]) {
      const s = memberState(undefined, size)
      assert.equal(s.isQuorum(need), true, `${need} of ${size}`)
      assert.equal(s.isQuorum(need - 1), false, `${need - 1} of ${size}`)
    }
  })

  test('property: a quorum is a strict majority, and two quorums of the same group always intersect', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 99}), fc.integer({min: 0, max: 99}), (size, n) => {
        assert.equal(n >= quorumOf(size), 2 * n > size)
        assert.ok(2 * quorumOf(size) > size)
      }),
    )
  })
})
