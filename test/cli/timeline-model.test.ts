/**
 * The timeline model (src/cli/timeline/model.ts, sources.ts): vote-log records and a run's faults
 * become lanes, role bands, terms, ballots, votes, markers and leaderless gaps.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {buildTimeline, type TimelineInput} from '../../src/cli/timeline/model.js'
import {fromJsonLines, fromSimReport} from '../../src/cli/timeline/sources.js'
import {at, parseResult, roleChange, T0} from '../helpers/vote-log-records.js'

/** n0 leads term 1 from 100 ms; it is killed at 1000 ms; n1 leads term 2 from 1400 ms. */
function killRun(): TimelineInput {
  return {
    title: 'kill',
    clock: 'simulated',
    startMs: T0,
    endMs: T0 + 3000,
    members: ['n0', 'n1', 'n2'],
    records: [
      roleChange('n0', 50, 1, 'FOLLOWER', 'CANDIDATE', ''),
      {ts: at(50), node: 'n0', term: 1, type: 'VOTE_REQUEST', ledgerEndIndex: -1, ledgerEndTerm: -1, peers: 3},
      {ts: at(60), node: 'n1', term: 1, type: 'VOTE_HANDLED', candidate: 'n0', voteResult: 'ACCEPT', requestTerm: 1},
      {ts: at(62), node: 'n2', term: 1, type: 'VOTE_HANDLED', candidate: 'n0', voteResult: 'REJECT_ALREADY_VOTED', requestTerm: 1},
      {ts: at(70), node: 'n0', term: 1, type: 'VOTE_RESPONSE', from: 'n1', voteResult: 'ACCEPT', responseTerm: 1},
      parseResult('n0', 100, 1, {peers: 3, costMs: 50}),
      roleChange('n0', 100, 1, 'CANDIDATE', 'LEADER', 'elected with 2/3 votes'),
      {ts: at(1300), node: 'n1', term: 1, type: 'HEARTBEAT_TIMEOUT', leaderId: 'n0', lastHeartbeatAgoMs: 300},
      roleChange('n1', 1300, 1, 'FOLLOWER', 'CANDIDATE', ''),
      roleChange('n1', 1400, 2, 'CANDIDATE', 'LEADER', 'elected with 2/3 votes'),
    ],
    faults: [
      {kind: 'kill', atMs: T0 + 1000, nodes: ['n0'], label: 'n0 killed'},
      {kind: 'restart', atMs: T0 + 2000, nodes: ['n0'], label: 'n0 restarted'},
    ],
  }
}

const bandsOf = (m: ReturnType<typeof buildTimeline>, node: string) => m.bands.filter((b) => b.node === node).map((b) => [b.role, b.fromMs, b.toMs])

describe('timeline model', () => {
  it('has one lane per member, in natural order, including members that logged nothing', () => {
    const m = buildTimeline({title: 't', clock: 'wall', records: [roleChange('n10', 0, 1, 'FOLLOWER', 'CANDIDATE', '')], members: ['n2', 'n0']})
    assert.deepEqual(m.members, ['n0', 'n2', 'n10'])
  })

  it('ends a killed leader’s band at the kill, shows it down until the restart, and shades the gap to the next leader', () => {
    const m = buildTimeline(killRun())
    assert.deepEqual(bandsOf(m, 'n0'), [
      ['FOLLOWER', 0, 50],
      ['CANDIDATE', 50, 100],
      ['LEADER', 100, 1000],
      ['DOWN', 1000, 2000],
      ['FOLLOWER', 2000, 3000],
    ])
    assert.deepEqual(
      m.gaps.map((g) => [g.fromMs, g.toMs, g.durationMs, g.open]),
      [
        [0, 100, 100, false],
        [1000, 1400, 400, false],
      ],
    )
    assert.equal(m.leaderlessMs, 500)
    assert.deepEqual(
      m.terms.map((t) => [t.term, t.leaderId]),
      [
        [1, 'n0'],
        [2, 'n1'],
      ],
    )
  })

  it('ends a leader that went quiet in real vote logs where its followers last heard it', () => {
    const input = killRun()
    delete input.faults
    const m = buildTimeline({...input, clock: 'wall'})
    // the heartbeat timeout at 1300 ms says n0 was last heard 300 ms before
    assert.deepEqual(bandsOf(m, 'n0').slice(2), [
      ['LEADER', 100, 1000],
      ['SILENT', 1000, 3000],
    ])
    assert.deepEqual(m.gaps[1], {fromMs: 1000, toMs: 1400, durationMs: 400, open: false})
  })

  it('keeps a ballot’s PARSE_VOTE_RESULT outcome and counters, from VOTE_REQUEST to the result', () => {
    const [ballot] = buildTimeline(killRun()).ballots
    assert.equal(ballot.node, 'n0')
    assert.equal(ballot.result, 'PASSED')
    assert.deepEqual([ballot.fromMs, ballot.toMs], [50, 100])
    assert.equal(ballot.counters.acceptedNum, 2)
    assert.equal(ballot.counters.allNum, 3)
  })

  it('draws each accepted vote once, from voter to candidate; rejections are no votes', () => {
    assert.deepEqual(
      buildTimeline(killRun()).votes.map((v) => [v.from, v.to, v.term]),
      [['n1', 'n0', 1]],
    )
  })

  it('marks heartbeat timeouts and faults on their member’s lane', () => {
    const kinds = buildTimeline(killRun()).markers.map((k) => [k.kind, k.node, k.atMs])
    assert.deepEqual(kinds, [
      ['kill', 'n0', 1000],
      ['heartbeat-timeout', 'n1', 1300],
      ['restart', 'n0', 2000],
    ])
  })

  it('keeps the leader leading when only an isolated follower stops hearing it', () => {
    const input = killRun()
    const m = buildTimeline({
      ...input,
      records: [
        ...input.records.filter((r) => r.node === 'n0'),
        {ts: at(1300), node: 'n2', term: 1, type: 'HEARTBEAT_TIMEOUT', leaderId: 'n0', lastHeartbeatAgoMs: 300},
        roleChange('n2', 1300, 1, 'FOLLOWER', 'CANDIDATE', ''),
        // the leader logs on: it never went away
        {ts: at(1500), node: 'n0', term: 1, type: 'HEARTBEAT_QUORUM_LOST', succNum: 1, notReadyNum: 0, allNum: 3, lastSuccessAgoMs: 400, reason: 'acks'},
      ],
      faults: [
        {kind: 'isolate', atMs: T0 + 900, nodes: ['n2'], label: 'isolate n2'},
        {kind: 'heal', atMs: T0 + 2000, nodes: [], label: 'heal'},
      ],
    })
    assert.deepEqual(bandsOf(m, 'n0').slice(2), [['LEADER', 100, 3000]])
    assert.deepEqual(m.gaps.map((g) => g.fromMs), [0])
  })

  it('marks a real member’s FAULTS records on its lane, unless the run gives its own faults', () => {
    const records = [
      {ts: at(500), node: 'n1', term: 1, type: 'FAULTS' as const, faults: 'cut off n0,n2', by: 'cli'},
      {ts: at(900), node: 'n1', term: 1, type: 'FAULTS' as const, faults: 'none', by: 'cli'},
    ]
    const m = buildTimeline({title: 'f', clock: 'wall', records})
    assert.deepEqual(
      m.markers.map((k) => [k.kind, k.node, k.atMs, k.label]),
      [
        ['fault-set', 'n1', 0, 'n1: cut off n0,n2 (by cli)'],
        ['fault-cleared', 'n1', 400, 'n1: faults cleared (by cli)'],
      ],
    )
    const scripted = buildTimeline({title: 'f', clock: 'wall', records, faults: [{kind: 'isolate', atMs: Date.parse(at(500)), nodes: ['n1'], label: 'isolate n1'}]})
    assert.deepEqual(
      scripted.markers.map((k) => k.kind),
      ['isolate'],
    )
  })

  it('leaves a run that ends without a leader with an open gap', () => {
    const m = buildTimeline({title: 't', clock: 'wall', records: [roleChange('n0', 0, 1, 'FOLLOWER', 'CANDIDATE', '')], endMs: Date.parse(at(500))})
    assert.deepEqual(m.gaps, [{fromMs: 0, toMs: 500, durationMs: 500, open: true}])
  })
})

describe('timeline sources', () => {
  it('reads a sim trace: event lines are records, crash and restart lines are faults, messages are ignored', () => {
    const text = [
      {ts: at(0), atMs: 0, kind: 'start', node: 'n0', incarnation: 0, currTerm: 0, currVoteFor: null},
      {ts: at(5), atMs: 5, kind: 'message', from: 'n0', to: 'n1', fate: 'queued', message: {}},
      {ts: at(10), atMs: 10, kind: 'event', node: 'n0', term: 1, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: 'n0', reason: 'x'},
      {ts: at(20), atMs: 20, kind: 'crash', node: 'n0', cause: 'kill', inboundDropped: 0},
      {ts: at(30), atMs: 30, kind: 'start', node: 'n0', incarnation: 1, currTerm: 1, currVoteFor: 'n0'},
      {ts: at(40), atMs: 40, kind: 'partition', groups: [['n0'], ['n1', 'n2']]},
      {ts: at(50), atMs: 50, kind: 'pause', node: 'n1', forMs: 2000},
      {ts: at(60), atMs: 60, kind: 'resume', node: 'n1', held: 3},
      {ts: at(70), atMs: 70, kind: 'crash', node: 'n2', cause: 'stop', inboundDropped: 0},
    ]
      .map((l) => JSON.stringify(l))
      .join('\n')
    const lines = fromJsonLines(`${text}\nnot json\n`)
    assert.equal(lines.simulated, true)
    assert.equal(lines.skipped, 1)
    assert.deepEqual(
      lines.records.map((r) => r.type),
      ['ROLE_CHANGE'],
    )
    assert.deepEqual(
      lines.faults.map((f) => [f.kind, f.nodes, f.label]),
      [
        ['kill', ['n0'], 'n0 killed'],
        ['restart', ['n0'], 'n0 restarted (term 1)'],
        ['partition', [], 'partition n0 | n1 n2'],
        ['pause', ['n1'], 'n1 paused for 2000 ms'],
        ['resume', ['n1'], 'n1 resumed'],
        ['kill', ['n2'], 'n2 stopped'],
      ],
    )
  })

  it('reads a sim report: leaders from leaderChanges, step-downs and kills from its timeline', () => {
    const report = {
      seed: 1,
      durationMs: 5000,
      final: {members: [{id: 'n0'}, {id: 'n1'}, {id: 'n2'}]},
      leaderChanges: [
        {atMs: 100, leaderId: 'n0', term: 1},
        {atMs: 1400, leaderId: 'n1', term: 2},
        {atMs: 3050, leaderId: 'n2', term: 3},
      ],
      timeline: [
        {atMs: 1000, kind: 'script', text: 'line 1: kill leader → n0'},
        {atMs: 3000, kind: 'step-down', text: 'n1 steps down in term 2 (transfer to n2)'},
      ],
    }
    const m = buildTimeline(fromSimReport(report, 'r'))
    const leaders = m.bands.filter((b) => b.role === 'LEADER').map((b) => [b.node, b.term, b.fromMs, b.toMs])
    assert.deepEqual(leaders, [
      ['n0', 1, 100, 1000],
      ['n1', 2, 1400, 3000],
      ['n2', 3, 3050, 5000],
    ])
    assert.deepEqual(
      m.gaps.map((g) => g.durationMs),
      [100, 400, 50],
    )
  })
})
