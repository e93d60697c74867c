/**
 * Spec S1: {currTerm, currVoteFor} is handed out in the same StepOutput as — and so is written
 * before — any message that depends on it; steps that change nothing durable persist nothing.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import fc from 'fast-check'

import {Elector, type StepOutput} from '../../src/core/elector.js'
import {buildSettings} from '../../src/core/settings.js'
import {type DurableState, type HeartBeatRequest, networkErrorResponse, type NodeId, RESPONSE_CODES, responseTo, type VoteRequest, VOTE_RESULTS} from '../../src/core/types.js'
import {events, followLeader, heartbeat, makeNode, one, peersOf, seeded, sent, voteRequest, voteResponse} from './helpers.js'

describe('what persists', () => {
  test('the first ballot hands out the self-vote in the same output as the vote requests', () => {
    const node = makeNode({term: 5})
    const out = node.e.tick(0)
    assert.deepEqual(out.persist, {currTerm: 5, currVoteFor: 'n0'})
    assert.equal(sent(out, 'VoteRequest').length, 2)
  })

  test('a ballot after WAIT_TO_VOTE_NEXT hands out the new term and the self-vote together, in the same output as its requests', () => {
    const node = makeNode({term: 5})
    for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 1)
    const out = node.e.tick(node.e.nextDeadlineMs())
    assert.deepEqual(out.persist, {currTerm: 6, currVoteFor: 'n0'})
    assert.deepEqual(sent(out, 'VoteRequest').map((r) => r.term), [6, 6])
  })

  test('the deferred term jump persists the new term with no vote, and sends nothing', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 8}), 10)
    // the follower's maintainer is idle: it jumps in this step; the reply itself does not depend on the record
    assert.deepEqual(out.persist, {currTerm: 8, currVoteFor: null})
    assert.deepEqual(out.messages.map((m) => m.kind), ['VoteResponse'])
  })

  test('a granted vote (ACCEPT) hands out the vote in the same output as the reply', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 5}), 10)
    assert.equal(one(out, 'VoteResponse').voteResult, 'ACCEPT')
    assert.deepEqual(out.persist, {currTerm: 5, currVoteFor: 'n2'})
  })

  test('no REJECT persists anything', () => {
    const cases: [string, NodeId | null, [number, number], Parameters<typeof voteRequest>[0]][] = [
      ['REJECT_UNKNOWN_LEADER', null, [-1, -1], {from: 'n9', to: 'n0', term: 5}],
      ['REJECT_UNEXPECTED_LEADER', null, [-1, -1], {from: 'n1', to: 'n0', term: 5, candidate: 'n0'}],
      ['REJECT_EXPIRED_LEDGER_TERM', null, [3, 4], {from: 'n2', to: 'n0', term: 6, ledgerEndIndex: 9, ledgerEndTerm: 3}],
      ['REJECT_SMALL_LEDGER_END_INDEX', null, [3, 4], {from: 'n2', to: 'n0', term: 6, ledgerEndIndex: 2, ledgerEndTerm: 4}],
      ['REJECT_EXPIRED_VOTE_TERM', null, [-1, -1], {from: 'n2', to: 'n0', term: 4}],
      ['REJECT_ALREADY_HAS_LEADER', 'n1', [-1, -1], {from: 'n2', to: 'n0', term: 5}],
      ['REJECT_TERM_SMALL_THAN_LEDGER', null, [3, 7], {from: 'n2', to: 'n0', term: 5, ledgerEndIndex: 3, ledgerEndTerm: 7}],
    ]
    for (const [result, voteFor, [index, term], req] of cases) {
      const node = makeNode({term: 5, voteFor})
      followLeader(node, 'n1', 5, 0)
      node.e.setLedgerEnd(index, term, 0)
      const out = node.e.receive(voteRequest(req), 10)
      assert.equal(one(out, 'VoteResponse').voteResult, result)
      assert.equal(out.persist, null, result)
    }
  })

  test('REJECT_ALREADY_VOTED and REJECT_TERM_NOT_READY persist nothing (the term jump persists later, on the maintainer\'s pass)', () => {
    const node = makeNode({term: 5, voteFor: 'n1'})
    for (const req of sent(node.e.tick(0), 'VoteRequest')) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', 5), 0)
    const voted = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 5}), 2)
    assert.equal(one(voted, 'VoteResponse').voteResult, 'REJECT_ALREADY_VOTED')
    assert.equal(voted.persist, null)
    const notReady = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 6}), 3)
    assert.equal(one(notReady, 'VoteResponse').voteResult, 'REJECT_TERM_NOT_READY')
    assert.equal(notReady.persist, null)
    assert.deepEqual(node.e.tick(10).persist, {currTerm: 6, currVoteFor: null})
  })

  test('REJECT_TAKING_LEADERSHIP persists nothing', () => {
    const node = makeNode({selfId: 'n1', term: 5, preferredLeaderIds: ['n1']})
    followLeader(node, 'n0', 5, 0)
    node.e.receive({kind: 'LeadershipTransferRequest', group: 'default', localId: 'n0', remoteId: 'n1', leaderId: 'n0', term: 5, code: 200, transferId: 'n0', transfereeId: 'n1', takeLeadershipLedgerIndex: -1, reqId: 't'}, 1)
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n1', term: 6}), 2)
    assert.equal(one(out, 'VoteResponse').voteResult, 'REJECT_TAKING_LEADERSHIP')
    assert.equal(out.persist, null)
  })

  test('heartbeats persist nothing, also when they make a candidate follower', () => {
    const node = makeNode({term: 5})
    assert.equal(followLeader(node, 'n1', 5, 0).persist, null)
    assert.equal(node.e.receive(heartbeat({from: 'n1', to: 'n0', term: 5}), 100).persist, null)
  })

  test('a step with nothing due persists nothing', () => {
    const node = makeNode({term: 5})
    node.e.tick(0)
    const out = node.e.tick(5)
    assert.deepEqual(out, {persist: null, messages: [], events: []})
  })
})

// ------------------------------------------------------------------ property

type Action =
  | {kind: 'vote'; from: number; term: number; ledgerEndIndex: number; ledgerEndTerm: number}
  | {kind: 'heartbeat'; from: number; term: number}
  | {kind: 'tick'; dtMs: number}
  | {kind: 'voteReply'; pick: number; result: number; term: number}
  | {kind: 'heartbeatReply'; pick: number; code: 'SUCCESS' | 'EXPIRED_TERM' | 'TERM_NOT_READY' | 'INCONSISTENT_LEADER' | 'NETWORK_ERROR'; term: number}
  | {kind: 'ledger'; index: number; term: number}
  | {kind: 'restart'}

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({kind: fc.constant('vote' as const), from: fc.integer({min: 0, max: 4}), term: fc.integer({min: 0, max: 6}), ledgerEndIndex: fc.integer({min: -1, max: 2}), ledgerEndTerm: fc.integer({min: -1, max: 3})}),
  fc.record({kind: fc.constant('heartbeat' as const), from: fc.integer({min: 0, max: 4}), term: fc.integer({min: 0, max: 6})}),
  fc.record({kind: fc.constant('tick' as const), dtMs: fc.integer({min: 0, max: 4000})}),
  fc.record({kind: fc.constant('voteReply' as const), pick: fc.nat(), result: fc.integer({min: 0, max: VOTE_RESULTS.length - 1}), term: fc.integer({min: 0, max: 6})}),
  fc.record({
    kind: fc.constant('heartbeatReply' as const),
    pick: fc.nat(),
    code: fc.constantFrom('SUCCESS' as const, 'EXPIRED_TERM' as const, 'TERM_NOT_READY' as const, 'INCONSISTENT_LEADER' as const, 'NETWORK_ERROR' as const),
    term: fc.integer({min: 0, max: 6}),
  }),
  fc.record({kind: fc.constant('ledger' as const), index: fc.integer({min: -1, max: 2}), term: fc.integer({min: -1, max: 3})}),
  fc.constant({kind: 'restart' as const}),
)

test('property: a member votes at most once per term whatever the message sequence, also across restarts from its persisted record', () => {
  const settings = buildSettings({selfId: 'n0', peers: peersOf(5)})
  fc.assert(
    fc.property(fc.integer({min: 0, max: 3}), fc.constantFrom<NodeId | null>(null, 'n1', 'n2'), fc.integer(), fc.array(action, {maxLength: 60}), (term0, vote0, seed, actions) => {
      let disk: DurableState = {currTerm: term0, currVoteFor: vote0}
      const random = seeded(seed)
      let now = 0
      let e = new Elector(settings, disk, random, now)
      const granted = new Map<number, Set<NodeId>>()
      const grant = (term: number, candidate: NodeId) => {
        const set = granted.get(term) ?? new Set<NodeId>()
        set.add(candidate)
        granted.set(term, set)
        assert.ok(set.size <= 1, `term ${term}: votes for ${[...set].join(', ')}`)
      }
      let ballot: VoteRequest[] = []
      let heartbeats: HeartBeatRequest[] = []
      const apply = (out: StepOutput) => {
        // the driver writes the record before sending anything in this output (S1)
        if (out.persist !== null) {
          assert.ok(out.persist.currTerm >= disk.currTerm, 'the persisted term never goes back')
          disk = out.persist
        }
        for (const m of out.messages) {
          if (m.kind === 'VoteResponse' && m.voteResult === 'ACCEPT') {
            grant(m.term, m.leaderId as NodeId)
            // the written record already forbids voting for anyone else in that term
            assert.ok(disk.currTerm > m.term || (disk.currTerm === m.term && disk.currVoteFor === m.leaderId), `ACCEPT in ${m.term} sent with ${JSON.stringify(disk)} on disk`)
          }
        }
        for (const ev of events(out, 'VOTE_RESPONSE')) if (ev.from === 'n0' && ev.voteResult === 'ACCEPT') grant(ev.term, 'n0')
        const newBallot = sent(out, 'VoteRequest').filter((r) => r.localId === 'n0')
        if (newBallot.length > 0) ballot = newBallot
        const newRound = sent(out, 'HeartBeatRequest')
        if (newRound.length > 0) heartbeats = newRound
      }
      for (const a of actions) {
        switch (a.kind) {
          case 'vote':
            apply(e.receive(voteRequest({from: `n${a.from}`, to: 'n0', term: a.term, ledgerEndIndex: a.ledgerEndIndex, ledgerEndTerm: a.ledgerEndTerm}), now))
            break
          case 'heartbeat':
            apply(e.receive(heartbeat({from: `n${a.from}`, to: 'n0', term: a.term}), now))
            break
          case 'tick':
            now += a.dtMs
            apply(e.tick(now))
            break
          case 'voteReply': {
            if (ballot.length === 0) break
            const req = ballot[a.pick % ballot.length]
            const result = VOTE_RESULTS[a.result]
            apply(e.receive(result === 'UNKNOWN' ? networkErrorResponse(req) : voteResponse(req, result, a.term), now))
            break
          }
          case 'heartbeatReply': {
            if (heartbeats.length === 0) break
            const req = heartbeats[a.pick % heartbeats.length]
            apply(e.receive(responseTo(req, {code: RESPONSE_CODES[a.code], term: a.term}), now))
            break
          }
          case 'ledger':
            apply(e.setLedgerEnd(a.index, a.term, now))
            break
          case 'restart':
            e = new Elector(settings, disk, random, now)
            ballot = []
            heartbeats = []
            break
        }
      }
    }),
    {numRuns: 300},
  )
})
