/**
 * The rule tables as data: checkVote's ten checks (reference §3.7), judgeBallot's seven outcomes
 * (reference §3.6) and decideRound's four decisions (reference §3.3), each row one rule, first
 * match wins. The Elector tests pin how the elector applies them.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {type Ballot, judgeBallot, openBallot} from '../../src/core/ballot.js'
import {decideRound, type HeartbeatRound, openRound} from '../../src/core/heartbeat-round.js'
import {checkVote, type VoterState} from '../../src/core/vote-rules.js'
import {voteRequest} from './helpers.js'

/** n0 in term 5, log end 10/4, no vote yet, leader n2. */
const VOTER: VoterState = {
  group: 'default',
  selfId: 'n0',
  peerIds: ['n0', 'n1', 'n2'],
  currTerm: 5,
  currVoteFor: null,
  leaderId: 'n2',
  ledgerEndIndex: 10,
  ledgerEndTerm: 4,
  takingLeadership: false,
}

describe('checkVote: the ten checks in order, first match wins', () => {
  const rows: [string, Partial<VoterState>, Parameters<typeof voteRequest>[0], boolean, string, number, string][] = [
    // name, voter change, request, self, voteResult, response term, effect
    ['1. an unknown candidate', {}, {from: 'n7', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_UNKNOWN_LEADER', 5, 'none'],
    ['2. a peer ballot naming this voter as candidate', {}, {from: 'n1', to: 'n0', term: 5, candidate: 'n0', ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_UNEXPECTED_LEADER', 5, 'none'],
    ['3. an older ledgerEndTerm, before the term', {}, {from: 'n1', to: 'n0', term: 9, ledgerEndIndex: 99, ledgerEndTerm: 3}, false, 'REJECT_EXPIRED_LEDGER_TERM', 5, 'none'],
    ['4. the same ledgerEndTerm and a shorter log', {}, {from: 'n1', to: 'n0', term: 9, ledgerEndIndex: 9, ledgerEndTerm: 4}, false, 'REJECT_SMALL_LEDGER_END_INDEX', 5, 'none'],
    ['5. an older term', {}, {from: 'n1', to: 'n0', term: 4, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_EXPIRED_VOTE_TERM', 5, 'none'],
    ['6. a vote for another, with a leader', {currVoteFor: 'n2'}, {from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_ALREADY_HAS_LEADER', 5, 'none'],
    ['6. a vote for another, no leader', {currVoteFor: 'n2', leaderId: null}, {from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_ALREADY_VOTED', 5, 'none'],
    ['7. a higher term: not ready, with the old term', {}, {from: 'n1', to: 'n0', term: 8, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_TERM_NOT_READY', 5, 'adopt-higher-term'],
    ['8. a term behind the voter\'s log: answered with ledgerEndTerm', {currTerm: 3, ledgerEndTerm: 4}, {from: 'n1', to: 'n0', term: 3, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_TERM_SMALL_THAN_LEDGER', 4, 'none'],
    ['9. a preferred voter taking leadership, rival log not longer', {takingLeadership: true}, {from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'REJECT_TAKING_LEADERSHIP', 5, 'none'],
    ['9. … but its own ballot is accepted', {takingLeadership: true}, {from: 'n0', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, true, 'ACCEPT', 5, 'grant'],
    ['10. otherwise ACCEPT', {}, {from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'ACCEPT', 5, 'grant'],
    ['10. a repeat ballot from the candidate voted for', {currVoteFor: 'n1'}, {from: 'n1', to: 'n0', term: 5, ledgerEndIndex: 10, ledgerEndTerm: 4}, false, 'ACCEPT', 5, 'grant'],
  ]
  for (const [name, change, req, self, voteResult, term, effect] of rows) {
    test(`${name} → ${voteResult}`, () => {
      assert.deepEqual(checkVote({...VOTER, ...change}, voteRequest(req), self), {voteResult, term, effect})
    })
  }
})

function ballot(counts: Partial<Ballot>): Ballot {
  return {...openBallot({term: 5, startedAtMs: 0, waitUntilMs: 2500, rpcDeadlineMs: 3000, ledgerEndIndex: -1, ledgerEndTerm: -1}), ...counts}
}

describe('judgeBallot: the seven outcomes on 3 members, first match wins', () => {
  const waits = {heartbeatLeakMs: 6000, maxVoteIntervalMs: 1000}
  const rows: [string, Partial<Ballot>, number, string, number | null][] = [
    ['1. a higher term in the answers', {knownMaxTermInGroup: 7, acceptedNum: 3, validNum: 3}, 1, 'WAIT_TO_VOTE_NEXT', 0],
    ['2. a voter knows a leader: wait the leak longer', {alreadyHasLeader: true, acceptedNum: 2, validNum: 3}, 2, 'WAIT_TO_REVOTE', 6000],
    ['3. no quorum of valid answers', {acceptedNum: 1, validNum: 1}, 3, 'WAIT_TO_REVOTE', 0],
    ['4. longer logs leave no quorum: wait the longest interval more', {acceptedNum: 1, validNum: 3, biggerLedgerNum: 2}, 4, 'WAIT_TO_REVOTE', 1000],
    ['5. a quorum accepted', {acceptedNum: 2, validNum: 3}, 5, 'PASSED', null],
    ['6. accepted + not ready make a quorum', {acceptedNum: 1, notReadyTermNum: 1, validNum: 3}, 6, 'REVOTE_IMMEDIATELY', null],
    ['7. otherwise', {acceptedNum: 1, validNum: 3}, 7, 'WAIT_TO_VOTE_NEXT', 0],
  ]
  for (const [name, counts, outcome, result, extraWaitMs] of rows) {
    test(`${name} → ${result}`, () => {
      assert.deepEqual(judgeBallot(ballot(counts), 3, waits), {outcome, result, extraWaitMs})
    })
  }
})

function round(counts: Partial<HeartbeatRound>): HeartbeatRound {
  return {...openRound(5, 0, 2000, 3000), ...counts}
}

describe('decideRound: the four decisions on 3 members, in DLedger\'s order', () => {
  const rows: [string, Partial<HeartbeatRound>, ReturnType<typeof decideRound>][] = [
    ['a higher term in an answer comes first', {maxTerm: 8, succNum: 3}, {kind: 'higher-term', term: 8}],
    ['a quorum of acks', {succNum: 2, inconsistLeader: true}, {kind: 'quorum'}],
    ['acks + not ready make a quorum: heartbeat again at once', {succNum: 1, notReadyNum: 1}, {kind: 'resend-now'}],
    ['another leader in the same term', {succNum: 1, inconsistLeader: true}, {kind: 'inconsistent-leader'}],
    ['no quorum', {succNum: 1}, {kind: 'no-quorum'}],
  ]
  for (const [name, counts, decision] of rows) {
    test(`${name} → ${decision.kind}`, () => {
      assert.deepEqual(decideRound(round(counts), 3), decision)
    })
  }
})
