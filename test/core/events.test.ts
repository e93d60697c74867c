/**
 * The vote-log events (spec §3): every ROLE_CHANGE says why; every event carries its time, node
 * and term and is one of the documented types.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {VOTE_LOG_EVENT_TYPES} from '../../src/core/events.js'
import {
  electLeader,
  electLeaderWithLivePeers,
  events,
  followLeader,
  heartbeat,
  heartbeatResponse,
  makeNode,
  MiniCluster,
  oneEvent,
  sent,
  transferRequest,
  voteRequest,
} from './helpers.js'

function change(out: Parameters<typeof oneEvent>[0]) {
  const ev = oneEvent(out, 'ROLE_CHANGE')
  return {from: ev.from, to: ev.to, leaderId: ev.leaderId, reason: ev.reason, term: ev.term, atMs: ev.atMs, node: ev.node}
}

describe('which term ROLE_CHANGE reports (docs/differences.md D2)', () => {
  test('a demotion by a higher term reports the member\'s current term, not the target term; the target is in the reason', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const c = change(node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 7}), 10))
    assert.deepEqual([c.from, c.to, c.term], ['FOLLOWER', 'CANDIDATE', 5])
    assert.match(c.reason, /higher term 7 from n2/)
  })

  test('candidate → candidate (a higher term seen while campaigning) is no ROLE_CHANGE', () => {
    const node = makeNode({term: 5})
    node.e.tick(0)
    const out = node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 9}), 1)
    assert.deepEqual(events(out, 'ROLE_CHANGE'), [])
  })
})

describe('every ROLE_CHANGE carries its reason', () => {
  test('follower → candidate on timeout: "heartbeat timeout after N ms"', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 4)
    assert.deepEqual(change(node.e.tick(6005)), {from: 'FOLLOWER', to: 'CANDIDATE', leaderId: null, reason: 'heartbeat timeout after 6001 ms', term: 5, atMs: 6005, node: 'n0'})
  })

  test('follower → candidate on a higher-term ballot: "higher term 7 from n2 …"', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    const c = change(node.e.receive(voteRequest({from: 'n2', to: 'n0', term: 7}), 10))
    assert.deepEqual([c.from, c.to], ['FOLLOWER', 'CANDIDATE'])
    assert.match(c.reason, /^higher term 7 from n2/)
  })

  test('follower → candidate on a higher-term heartbeat: "higher term 7 from n2 …"', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    assert.match(change(node.e.receive(heartbeat({from: 'n2', to: 'n0', term: 7}), 10)).reason, /^higher term 7 from n2/)
  })

  test('candidate → leader: "elected with 2/3 votes …"', () => {
    const node = makeNode({term: 5})
    const c = change(electLeader(node, 0).out)
    assert.deepEqual([c.from, c.to, c.leaderId, c.term], ['CANDIDATE', 'LEADER', 'n0', 5])
    assert.match(c.reason, /^elected with 2\/3 votes/)
  })

  test('candidate → follower: the heartbeat that made it follower', () => {
    const node = makeNode({term: 5})
    const c = change(followLeader(node, 'n1', 5, 0))
    assert.deepEqual([c.from, c.to, c.leaderId], ['CANDIDATE', 'FOLLOWER', 'n1'])
    assert.match(c.reason, /heartbeat from leader n1 in term 5/)
  })

  test('follower → candidate on take-leadership: "transfer from n0 …"', () => {
    const node = makeNode({selfId: 'n1', term: 5})
    followLeader(node, 'n0', 5, 0)
    const out = node.e.receive(transferRequest({from: 'n0', to: 'n1', transferId: 'n0', transfereeId: 'n1', term: 5, takeLeadershipLedgerIndex: -1}), 1)
    assert.match(change(out).reason, /^transfer from n0/)
  })

  test('leader → candidate when its transferee\'s ballot arrives: "transfer to n1 …"', () => {
    const node = makeNode({term: 5})
    const t = electLeaderWithLivePeers(node, 0)
    node.e.receive(transferRequest({from: 'client', to: 'n0', transferId: 'n0', transfereeId: 'n1', term: 5}), t)
    const c = change(node.e.receive(voteRequest({from: 'n1', to: 'n0', term: 6}), t + 40))
    assert.deepEqual([c.from, c.to], ['LEADER', 'CANDIDATE'])
    assert.match(c.reason, /^transfer to n1/)
    assert.match(c.reason, /higher term 6 from n1/)
  })

  test('a transferring leader that learns the new term from a heartbeat reply names the transfer: "transfer to n1 …"', () => {
    const node = makeNode({term: 5})
    let t = electLeaderWithLivePeers(node, 0)
    node.e.receive(transferRequest({from: 'client', to: 'n0', transferId: 'n0', transfereeId: 'n1', term: 5}), t)
    let hbs: ReturnType<typeof sent<'HeartBeatRequest'>> = []
    for (let i = 0; i < 5000 && hbs.length === 0; i++) hbs = sent(node.e.tick(++t), 'HeartBeatRequest')
    assert.equal(hbs.length, 2, 'the transferring leader keeps heartbeating')
    for (const hb of hbs) node.e.receive(heartbeatResponse(hb, 'EXPIRED_TERM', 6), t + 1)
    let reason: string | undefined
    for (let i = 0; i < 100 && reason === undefined; i++) reason = events(node.e.tick(t + 2 + i), 'ROLE_CHANGE')[0]?.reason
    assert.match(reason ?? '', /^transfer to n1: higher term 6 in a heartbeat response/)
  })

  test('leader → candidate on a higher term in a heartbeat reply, on an inconsistent leader, and on a lost quorum', () => {
    const higher = makeNode({term: 5})
    electLeader(higher, 0)
    const [h1, h2] = sent(higher.e.tick(10), 'HeartBeatRequest')
    higher.e.receive(heartbeatResponse(h1, 'EXPIRED_TERM', 9), 11)
    higher.e.receive(heartbeatResponse(h2, 'SUCCESS'), 11)
    assert.match(change(higher.e.tick(21)).reason, /higher term 9/)

    const inconsistent = makeNode({term: 5})
    electLeader(inconsistent, 0)
    const [i1, i2] = sent(inconsistent.e.tick(10), 'HeartBeatRequest')
    inconsistent.e.receive(heartbeatResponse(i1, 'INCONSISTENT_LEADER'), 11)
    inconsistent.e.receive(heartbeatResponse(i2, 'NETWORK_ERROR'), 11)
    assert.match(change(inconsistent.e.tick(21)).reason, /INCONSISTENT_LEADER/)

    const alone = makeNode({term: 5})
    electLeader(alone, 0)
    let reason = ''
    for (let t = 1; t <= 7000 && reason === ''; t++) reason = events(alone.e.tick(t), 'ROLE_CHANGE')[0]?.reason ?? ''
    assert.match(reason, /^lost the heartbeat quorum \d+ ms ago \(1\/3 acks\)/)
  })

  test('the commands say what they did: a forced election, a step-down', () => {
    const node = makeNode({term: 5})
    followLeader(node, 'n1', 5, 0)
    assert.match(change(node.e.revote(6, 10)).reason, /forced election for term 6/)
    const leader = makeNode({term: 5})
    electLeader(leader, 0)
    assert.match(change(leader.e.stepDown(5)).reason, /step down/)
  })
})

describe('every event', () => {
  test('carries atMs, node and term, and is one of the documented types, through elections and a transfer', () => {
    const c = new MiniCluster(3, {seed: 11})
    c.runUntil(4000)
    const [old] = c.leaders()
    const target = old === 'n1' ? 'n2' : 'n1'
    c.command(old, (e, t) => e.receive(transferRequest({from: 'client', to: old, transferId: old, transfereeId: target, term: e.view.currTerm}), t))
    c.runUntil(6000)
    const all = c.eventsSince(0)
    const seen = new Set(all.map((ev) => ev.type))
    for (const type of ['INCREASE_TERM', 'VOTE_REQUEST', 'VOTE_RESPONSE', 'VOTE_HANDLED', 'PARSE_VOTE_RESULT', 'ROLE_CHANGE', 'LEADERSHIP_TRANSFER'] as const) assert.ok(seen.has(type), type)
    for (const r of c.log) {
      for (const ev of r.out.events) {
        assert.ok(VOTE_LOG_EVENT_TYPES.includes(ev.type), ev.type)
        assert.equal(ev.node, r.node)
        assert.equal(ev.atMs, r.atMs)
        assert.ok(Number.isInteger(ev.term) && ev.term >= 0, JSON.stringify(ev))
        if (ev.type === 'ROLE_CHANGE') assert.ok(ev.reason.length > 0)
      }
    }
  })
})
