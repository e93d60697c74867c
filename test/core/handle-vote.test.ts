/**
 * handleVote: DLedgerServer's UNKNOWN_MEMBER / UNKNOWN_GROUP checks, then every elector check in
 * DLedger's order (reference §3.7), each with its REJECT_* result and the term it reports.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {NodeId} from '../../src/core/types.js'
import {code, events, followLeader, makeNode, one, type NodeOptions, sent, type TestNode, voteRequest, voteResponse} from './helpers.js'

/** n0 following `leader` in `term` (learned from a heartbeat), optionally with a vote and a log. */
function follower(p: {term: number; leader?: NodeId; voteFor?: NodeId | null; ledger?: [number, number]} & NodeOptions): TestNode {
  const {leader = 'n2', ledger, ...opts} = p
  const node = makeNode(opts)
  followLeader(node, leader, p.term, 0)
  if (ledger) node.e.setLedgerEnd(ledger[0], ledger[1], 0)
  return node
}

/**
 * n0 as a candidate in `term` that has voted for `voteFor` and knows no leader: its own ballot
 * (self-vote REJECT_ALREADY_VOTED) was answered REJECT_ALREADY_VOTED by everyone, so it waits until
 * 300 ms to campaign again.
 */
function candidateThatVoted(term: number, voteFor: NodeId): TestNode {
  const node = makeNode({term, voteFor})
  const ballot = sent(node.e.tick(0), 'VoteRequest')
  for (const req of ballot) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', term), 0)
  assert.equal(node.e.view.role, 'CANDIDATE')
  assert.equal(node.e.view.leaderId, null)
  return node
}

describe('handleVote: DLedgerServer checks before the elector', () => {
  test('a vote addressed to another member is answered UNKNOWN_MEMBER with voteResult UNKNOWN, the request term and this node\'s leader', () => {
    const {e} = follower({term: 5, leader: 'n2'})
    const req = voteRequest({from: 'n1', to: 'n3', term: 9})
    const out = e.receive(req, 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
    assert.equal(resp.voteResult, 'UNKNOWN')
    assert.equal(resp.term, 9)
    assert.equal(resp.leaderId, 'n2')
    assert.equal(resp.reqId, req.reqId)
    assert.equal(out.persist, null)
    assert.equal(e.view.role, 'FOLLOWER', 'a misaddressed higher-term vote must not demote')
    assert.deepEqual(events(out, 'VOTE_HANDLED'), [])
  })

  test('a vote for another group is answered UNKNOWN_GROUP with voteResult UNKNOWN, the request term and this node\'s leader', () => {
    const {e} = follower({term: 5, leader: 'n2'})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 9, group: 'other'}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.code, code('UNKNOWN_GROUP'))
    assert.equal(resp.voteResult, 'UNKNOWN')
    assert.equal(resp.term, 9)
    assert.equal(resp.leaderId, 'n2')
    assert.equal(e.view.role, 'FOLLOWER')
    assert.equal(e.view.knownMaxTermInGroup, -1)
  })

  test('the remoteId check comes before the group check', () => {
    const {e} = follower({term: 5})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n7', term: 5, group: 'other'}), 1), 'VoteResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
  })

  test('the server checks come before the elector\'s: a misaddressed vote from an unknown candidate is UNKNOWN_MEMBER, not REJECT_UNKNOWN_LEADER', () => {
    const {e} = follower({term: 5})
    const resp = one(e.receive(voteRequest({from: 'n9', to: 'n1', term: 5}), 1), 'VoteResponse')
    assert.equal(resp.code, code('UNKNOWN_MEMBER'))
    assert.equal(resp.voteResult, 'UNKNOWN')
  })
})

describe('handleVote: the elector checks, in DLedger\'s order', () => {
  test('1. a candidate that is not a peer member is rejected with REJECT_UNKNOWN_LEADER and the voter\'s term', () => {
    const {e} = follower({term: 5})
    const req = voteRequest({from: 'n9', to: 'n0', term: 5})
    const out = e.receive(req, 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_UNKNOWN_LEADER')
    assert.equal(resp.code, code('SUCCESS'))
    assert.equal(resp.term, 5)
    assert.equal(resp.leaderId, 'n9', 'a VoteResponse copies leaderId (the candidate) from the request')
    assert.equal(out.persist, null)
    assert.deepEqual(
      events(out, 'VOTE_HANDLED').map((ev) => [ev.candidate, ev.voteResult, ev.requestTerm]),
      [['n9', 'REJECT_UNKNOWN_LEADER', 5]],
    )
  })

  test('1. a ballot without a candidate id is rejected with REJECT_UNKNOWN_LEADER', () => {
    const {e} = follower({term: 5})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 5, candidate: null}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_UNKNOWN_LEADER')
  })

  test('1 before 3. an unknown candidate with a stale log and a higher term gets REJECT_UNKNOWN_LEADER and changes nothing', () => {
    const {e} = follower({term: 5, ledger: [10, 4]})
    const resp = one(e.receive(voteRequest({from: 'n9', to: 'n0', term: 8, ledgerEndIndex: 0, ledgerEndTerm: 0}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_UNKNOWN_LEADER')
    assert.equal(e.view.role, 'FOLLOWER')
    assert.equal(e.view.knownMaxTermInGroup, -1)
  })

  test('2. a ballot from another member that names this node as the candidate is rejected with REJECT_UNEXPECTED_LEADER', () => {
    const {e} = follower({term: 5, ledger: [10, 4]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 5, candidate: 'n0', ledgerEndIndex: 0, ledgerEndTerm: 0}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_UNEXPECTED_LEADER', 'comes before the ledger checks')
    assert.equal(resp.term, 5)
  })

  test('3. a voter whose ledgerEndTerm is larger rejects with REJECT_EXPIRED_LEDGER_TERM before looking at the term', () => {
    const {e} = follower({term: 5, leader: 'n2', ledger: [3, 4]})
    // a longer log in an older term, and a higher ballot term: the log check wins, nothing changes
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 9, ledgerEndIndex: 50, ledgerEndTerm: 3}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_EXPIRED_LEDGER_TERM')
    assert.equal(resp.term, 5)
    assert.equal(e.view.role, 'FOLLOWER', 'a stale-log candidate never demotes the voter')
    assert.equal(e.view.leaderId, 'n2')
    assert.equal(e.view.knownMaxTermInGroup, -1)
    assert.equal(out.persist, null)
  })

  test('3 before 5. a stale-log ballot in an older term is REJECT_EXPIRED_LEDGER_TERM, not REJECT_EXPIRED_VOTE_TERM', () => {
    const {e} = follower({term: 5, ledger: [3, 4]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 2, ledgerEndIndex: 3, ledgerEndTerm: 2}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_EXPIRED_LEDGER_TERM')
  })

  test('4. a voter with the same ledgerEndTerm and a larger ledgerEndIndex rejects with REJECT_SMALL_LEDGER_END_INDEX before looking at the term', () => {
    const {e} = follower({term: 5, leader: 'n2', ledger: [10, 4]})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 9, ledgerEndIndex: 9, ledgerEndTerm: 4}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_SMALL_LEDGER_END_INDEX')
    assert.equal(resp.term, 5)
    assert.equal(e.view.role, 'FOLLOWER')
    assert.equal(e.view.knownMaxTermInGroup, -1)
  })

  test('4. the log comparison is term first: a larger ledgerEndTerm with a shorter index passes the log checks', () => {
    const {e} = follower({term: 5, ledger: [10, 4]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 2, ledgerEndTerm: 5}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'ACCEPT')
  })

  test('5. a ballot in an older term is rejected with REJECT_EXPIRED_VOTE_TERM carrying the voter\'s term', () => {
    const {e} = follower({term: 5})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 4}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_EXPIRED_VOTE_TERM')
    assert.equal(resp.term, 5)
    assert.equal(out.persist, null)
  })

  test('5 before 8. an old-term ballot below the voter\'s ledgerEndTerm reports the voter\'s term, not its ledgerEndTerm', () => {
    const {e} = follower({term: 5, ledger: [10, 7]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 4, ledgerEndIndex: 10, ledgerEndTerm: 7}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_EXPIRED_VOTE_TERM')
    assert.equal(resp.term, 5)
  })

  test('6. a voter that has not voted in this term accepts even though it knows a leader', () => {
    const {e} = follower({term: 5, leader: 'n2'})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 5}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'ACCEPT')
    assert.equal(resp.term, 5)
    assert.deepEqual(out.persist, {currTerm: 5, currVoteFor: 'n1'})
    assert.equal(e.view.currVoteFor, 'n1')
    assert.equal(e.view.role, 'FOLLOWER', 'granting a vote does not change the role')
  })

  test('6. a repeat ballot from the candidate this node voted for is accepted again, and the unchanged record is not rewritten', () => {
    const {e} = follower({term: 5, leader: 'n2', voteFor: 'n1'})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 5}), 1)
    assert.equal(one(out, 'VoteResponse').voteResult, 'ACCEPT')
    assert.equal(out.persist, null)
  })

  test('6. a voter that voted for another candidate and knows a leader rejects with REJECT_ALREADY_HAS_LEADER', () => {
    const {e} = follower({term: 5, leader: 'n2', voteFor: 'n2'})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 5}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_ALREADY_HAS_LEADER')
    assert.equal(resp.term, 5)
    assert.equal(out.persist, null)
    assert.equal(e.view.currVoteFor, 'n2')
  })

  test('6. a voter that voted for another candidate and knows no leader rejects with REJECT_ALREADY_VOTED', () => {
    const {e} = candidateThatVoted(5, 'n1')
    const out = e.receive(voteRequest({from: 'n2', to: 'n0', term: 5}), 5)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_ALREADY_VOTED')
    assert.equal(resp.term, 5)
    assert.equal(out.persist, null)
  })

  test('6 before 8. a same-term ballot to a voter that voted for someone else is REJECT_ALREADY_*, even below the voter\'s ledgerEndTerm', () => {
    const {e} = follower({term: 5, leader: 'n2', voteFor: 'n2', ledger: [10, 7]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 7}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_ALREADY_HAS_LEADER')
  })

  test('7. a ballot in a higher term is rejected with REJECT_TERM_NOT_READY carrying the voter\'s old term; the voter becomes candidate without voting', () => {
    const {e} = follower({term: 5, leader: 'n2'})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 7}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(resp.term, 5)
    assert.equal(e.view.role, 'CANDIDATE')
    assert.equal(e.view.leaderId, null)
    assert.equal(e.view.knownMaxTermInGroup, 7)
    assert.equal(e.view.currVoteFor, null, 'no vote is granted in this step')
    assert.notEqual(out.persist?.currVoteFor, 'n1')
  })

  test('7. a higher-term ballot demotes even a leader', () => {
    const node = makeNode({term: 5})
    const ballot = sent(node.e.tick(0), 'VoteRequest')
    node.e.receive(voteResponse(ballot[0], 'ACCEPT', 5), 1)
    assert.equal(node.e.view.role, 'LEADER')
    const resp = one(node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 6}), 2), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(resp.term, 5)
    assert.equal(node.e.view.role, 'CANDIDATE')
    assert.equal(node.e.view.leaderId, null)
  })

  test('7 before 8. a higher-term ballot below the voter\'s ledgerEndTerm is REJECT_TERM_NOT_READY', () => {
    const {e} = follower({term: 3, ledger: [10, 5]})
    const resp = one(e.receive(voteRequest({from: 'n1', to: 'n0', term: 4, ledgerEndIndex: 10, ledgerEndTerm: 5}), 1), 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(resp.term, 3)
  })

  test('8. a same-term ballot below the voter\'s ledgerEndTerm is rejected with REJECT_TERM_SMALL_THAN_LEDGER carrying the ledgerEndTerm', () => {
    // the term file is behind the log: currTerm 3, last entry in term 5
    const {e} = follower({term: 3, leader: 'n2', ledger: [10, 5]})
    const out = e.receive(voteRequest({from: 'n1', to: 'n0', term: 3, ledgerEndIndex: 10, ledgerEndTerm: 5}), 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TERM_SMALL_THAN_LEDGER')
    assert.equal(resp.term, 5)
    assert.equal(out.persist, null)
    assert.equal(e.view.currVoteFor, null)
  })

  test('9. a preferred transferee taking leadership rejects a rival whose log is not longer with REJECT_TAKING_LEADERSHIP', () => {
    const node = makeNode({term: 5, preferredLeaderIds: ['n0']})
    followLeader(node, 'n1', 5, 0)
    node.e.receive(
      {kind: 'LeadershipTransferRequest', group: 'default', localId: 'n1', remoteId: 'n0', leaderId: 'n1', term: 5, code: 200, transferId: 'n1', transfereeId: 'n0', takeLeadershipLedgerIndex: -1, reqId: 'tl-1'},
      1,
    )
    assert.equal(node.e.view.currTerm, 6, 'the maintainer jumped to the take-over term')
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 6}), 2)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'REJECT_TAKING_LEADERSHIP')
    assert.equal(resp.term, 6)
    assert.equal(out.persist, null)
    assert.equal(node.e.view.currVoteFor, null)
  })

  test('10. otherwise the voter grants the vote: ACCEPT, with the vote persisted', () => {
    const {e} = follower({term: 5, ledger: [10, 4]})
    const req = voteRequest({from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4})
    const out = e.receive(req, 1)
    const resp = one(out, 'VoteResponse')
    assert.equal(resp.voteResult, 'ACCEPT')
    assert.equal(resp.code, code('SUCCESS'))
    assert.equal(resp.term, 5)
    assert.equal(resp.leaderId, 'n1')
    assert.equal(resp.localId, 'n1', 'the response keeps the request\'s ids, so it is routed back to the candidate')
    assert.equal(resp.remoteId, 'n0')
    assert.equal(resp.reqId, req.reqId)
    assert.deepEqual(out.persist, {currTerm: 5, currVoteFor: 'n1'})
    assert.deepEqual(
      events(out, 'VOTE_HANDLED').map((ev) => [ev.candidate, ev.voteResult, ev.requestTerm, ev.term]),
      [['n1', 'ACCEPT', 5, 5]],
    )
  })
})
