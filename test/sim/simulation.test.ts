/**
 * The simulation driver and its fault model: refusal vs silent loss, crashes losing inbound
 * messages, script targets, expectations, transfer and forced elections, the report fields.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {RESPONSE_CODES} from '../../src/core/types.js'
import {LATE_MS, Network} from '../../src/sim/network.js'
import {Rng} from '../../src/sim/random.js'
import {buildReport, renderHuman, reportPassed} from '../../src/sim/report.js'
import {Simulation, SimulationError, type TraceLine} from '../../src/sim/simulation.js'

import {awaitLeader, cluster, describe} from './helpers.js'

function traced(options: ConstructorParameters<typeof Simulation>[0]): {sim: Simulation; lines: TraceLine[]} {
  const lines: TraceLine[] = []
  const sim = new Simulation({...options, trace: (l) => lines.push(l)})
  return {sim, lines}
}

const msg = (l: TraceLine) => l.message as {kind: string; code: number; reqId: string; localId: string; remoteId: string}

test('a late message takes LATE_MS longer; a run without late messages draws nothing for them', () => {
  const net = new Network(new Rng(1, 'net'), {delayMs: [1, 1], lossProbability: 0}, new Rng(1, 'late'))
  assert.equal(net.drawLate(), 0)
  net.lateProbability = 1
  for (let i = 0; i < 20; i++) {
    const late = net.drawLate()
    assert.ok(late >= LATE_MS[0] && late <= LATE_MS[1], String(late))
  }
})

test('the network queue delivers by (time, send order), and a crash drops what is on its way', () => {
  const net = new Network(new Rng(1, 'net'), {delayMs: [1, 1], lossProbability: 0}, new Rng(1, 'late'))
  const m = (reqId: string) => ({kind: 'HeartBeatResponse', group: 'g', localId: 'a', remoteId: 'b', code: 200, leaderId: null, term: 1, reqId}) as const
  net.enqueue(5, 'a', 'b', m('1'))
  net.enqueue(3, 'a', 'c', m('2'))
  net.enqueue(5, 'c', 'b', m('3'))
  net.enqueue(3, 'b', 'a', m('4'))
  assert.deepEqual(net.dropInbound('c').map((i) => i.message.reqId), ['2'])
  const order: string[] = []
  for (let item = net.pop(); item; item = net.pop()) order.push(item.message.reqId)
  assert.deepEqual(order, ['4', '1', '3'])
  net.cut(['a'], ['b'])
  assert.ok(net.isCut('a', 'b'))
  assert.ok(!net.isCut('b', 'a'))
  net.partition([['a'], ['b', 'c']])
  assert.deepEqual(net.cutLinks(), [
    ['a', 'b'],
    ['a', 'c'],
    ['b', 'a'],
    ['c', 'a'],
  ])
  net.heal()
  assert.deepEqual(net.cutLinks(), [])
})

test('a request to a crashed member is refused: NETWORK_ERROR comes back after one delay', () => {
  const {sim, lines} = traced({nodes: 3, seed: 3, durationMs: 60_000, delayMs: [7, 7]})
  assert.ok(awaitLeader(sim, 2000))
  const leader = sim.leadingMember() as string
  const victim = sim.ids.find((id) => id !== leader) as string
  sim.kill([victim])
  sim.runFor(4100) // two heartbeat rounds
  const refused = lines.filter((l) => l.kind === 'message' && l.fate === 'refused' && l.to === victim)
  assert.ok(refused.length >= 1, 'heartbeats to the crashed member are refused')
  for (const r of refused) assert.equal(r.deliverAtMs, r.atMs + 7)
  // only a NETWORK_ERROR reply marks a peer dead in the leader's live table (reference §3.3)
  assert.equal(sim.view(leader)?.peersLiveTable.get(victim), false)
  assert.ok(sim.messages.refused >= 1)
  assert.equal(sim.role(leader), 'LEADER')
})

test('a cut drops silently (no reply), one way only', () => {
  const {sim, lines} = traced({nodes: 3, seed: 4, durationMs: 60_000})
  assert.ok(awaitLeader(sim, 2000))
  const leader = sim.leadingMember() as string
  const follower = sim.ids.find((id) => id !== leader) as string
  sim.cut([follower], [leader])
  const from = lines.length
  sim.runFor(2100)
  const after = lines.slice(from).filter((l) => l.kind === 'message')
  assert.ok(after.some((l) => l.from === follower && l.to === leader && l.fate === 'cut'), 'the follower’s replies are cut')
  assert.ok(after.some((l) => l.from === leader && l.to === follower && l.fate === 'queued'), 'the leader still reaches the follower')
  assert.ok(!after.some((l) => l.fate === 'refused'))
  // the follower still hears the leader, so it stays a follower
  assert.equal(sim.role(follower), 'FOLLOWER', describe(sim))
})

test('a crash loses the messages on their way to the member; a restart keeps its durable record', () => {
  const {sim, lines} = traced({nodes: 3, seed: 5, durationMs: 60_000, delayMs: [50, 50]})
  assert.ok(awaitLeader(sim, 3000))
  // stop right after a heartbeat round went out
  sim.waitFor(() => lines.at(-1)?.kind === 'message' && msg(lines.at(-1) as TraceLine).kind === 'HeartBeatRequest', 3000, 1)
  const target = (lines.at(-1) as TraceLine).to as string
  const record = sim.disk.read(target)
  sim.kill([target])
  const crash = lines.at(-1) as TraceLine
  assert.equal(crash.kind, 'crash')
  assert.ok((crash.inboundDropped as number) >= 1)
  sim.restart([target])
  const start = lines.at(-1) as TraceLine
  assert.equal(start.kind, 'start')
  assert.equal(start.incarnation, 1)
  assert.equal(start.currTerm, record.currTerm)
  assert.equal(start.currVoteFor, record.currVoteFor)
})

test('script targets resolve when the line runs: leader, followers, killed', () => {
  const sim = new Simulation({
    nodes: 5,
    seed: 6,
    durationMs: 30_000,
    script: 'at 3s kill leader\nat 12s kill followers\nat 12s expect leader any\nat 21s expect leader none\nat 22s restart killed\nat 22s expect leader any within 5s',
  }).run()
  const notes = sim.timeline.filter((e) => e.kind === 'script').map((e) => e.text)
  const first = sim.leaderChanges[0].leaderId
  assert.match(notes[0], new RegExp(`^line 1: kill leader → ${first}$`))
  const second = sim.leaderChanges[1].leaderId
  const others = sim.ids.filter((id) => id !== first && id !== second)
  assert.equal(notes[1], `line 2: kill followers → ${others.join(', ')}`)
  assert.equal(notes[2], `line 5: restart killed → ${[first, ...others].sort().join(', ')}`)
  // a leader that lost its followers still leads until its heartbeat rounds fail for 6 s (reference §3.3)
  assert.deepEqual(
    sim.expectations.map((e) => [e.line, e.ok]),
    [
      [3, true],
      [4, true],
      [6, true],
    ],
  )
  assert.ok(reportPassed(buildReport(sim, 1)))
})

test('expectations fail with a reason, also when their window closes', () => {
  const sim = new Simulation({
    nodes: 3,
    seed: 7,
    durationMs: 20_000,
    script: 'at 5s expect leader none\nat 6s kill n0,n1,n2\nat 6s expect term >= 100 within 1s\nat 7s expect leader any within 2s\nat 19s expect leader any within 5s',
  })
  sim.runUntil(20_000)
  sim.finish()
  const r = buildReport(sim, 1)
  assert.equal(reportPassed(r), false)
  assert.deepEqual(
    r.expectations.map((e) => [e.line, e.ok, e.atMs]),
    [
      [1, false, 5000],
      [3, false, 7000],
      [4, false, 9000],
      [5, false, 20_000],
    ],
  )
  assert.match(r.expectations[0].detail, /^expected leader none, but n\d leads term \d+ at 5s$/)
  assert.match(r.expectations[1].detail, /expected term >= 100, but every member is down \(checked from 6s within 1s\)/)
  assert.match(r.expectations[3].detail, /not met before the run ended at 20s/)
  assert.equal(r.final.term, null)
  assert.equal(r.final.leaderId, null)
  for (const m of r.final.members) {
    assert.equal(m.alive, false)
    assert.equal(m.role, null)
    assert.ok(m.term >= 1, 'a down member reports its durable term')
  }
  assert.match(renderHuman(r), /expectations: {3}0\/4 ok/)
})

test('transfer asks the leader to hand over; the answer lands in the timeline', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = new Simulation({nodes: 3, seed, durationMs: 10_000, script: 'at 3s transfer n1\nat 3s expect leader n1 within 1s\nat 5s transfer n1'}).run()
    assert.ok(reportPassed(buildReport(sim, 1)), describe(sim) + JSON.stringify(sim.expectations))
    const answers = sim.timeline.filter((e) => e.kind === 'transfer').map((e) => e.text)
    const was = sim.leaderChanges[0].leaderId
    if (was === 'n1') assert.match(answers[0], /^line 1: transfer to n1 answered by n1: SUCCESS/)
    else {
      assert.match(answers[0], new RegExp(`^line 1: transfer to n1 answered by ${was}: SUCCESS \\(term \\d+\\)$`))
      // n1 is not a preferred leader: its ballots keep the normal 300–1000 ms spacing (reference §7.2 item 4)
      const took = (sim.timeline.find((e) => e.kind === 'transfer')?.atMs ?? Infinity) - 3000
      assert.ok(took >= 300 && took < 1100, `the transfer took ${took} ms`)
    }
    // the second one is a no-op success on the leader (spec S6)
    assert.match(answers[1], /^line 3: transfer to n1 answered by n1: SUCCESS/)
  }
})

test('elect forces a member to campaign for the next term; it wins', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const sim = new Simulation({nodes: 5, seed, durationMs: 10_000, script: 'at 3s elect n4\nat 3s expect leader n4 within 500ms\nat 4s expect term >= 2'}).run()
    assert.ok(reportPassed(buildReport(sim, 1)), JSON.stringify(sim.expectations))
  }
})

test('leaderless time and failovers: an isolated leader counts from the isolation to the next leader', () => {
  const sim = new Simulation({nodes: 3, seed: 8, durationMs: 30_000, script: 'at 5s isolate leader\nat 20s heal'}).run()
  assert.equal(sim.failovers.length, 1)
  const [f] = sim.failovers
  assert.equal(f.cause, 'isolate')
  assert.ok(f.recovered)
  assert.notEqual(f.to, f.from)
  const firstLeaderAt = sim.leaderChanges[0].atMs
  // before the first leader, and from the old leader's loss of the highest term to the new leader
  assert.ok(sim.leaderlessMs >= firstLeaderAt, `${sim.leaderlessMs}`)
  assert.ok(sim.leaderlessMs <= firstLeaderAt + f.leaderlessMs, `${sim.leaderlessMs}`)
})

test('a run that cannot make progress in simulated time is stopped, not hung', () => {
  const sim = cluster(3, 1, {maxStepsPerMs: 2})
  assert.throws(() => sim.runFor(1000), SimulationError)
})

test('the report has every field the CLI promises', () => {
  const sim = new Simulation({nodes: 3, seed: 9, durationMs: 15_000, script: 'at 5s kill leader\nat 14s expect leader any'}).run()
  const r = buildReport(sim, 12)
  for (const key of ['seed', 'nodes', 'durationMs', 'wallMs', 'final', 'leaderChanges', 'failovers', 'leaderlessMs', 'messages', 'violations', 'expectations'])
    assert.ok(key in r, key)
  assert.deepEqual(Object.keys(r.final), ['leaderId', 'term', 'members'])
  assert.deepEqual(Object.keys(r.final.members[0]), ['id', 'alive', 'role', 'term', 'votedFor', 'leaderId'])
  assert.deepEqual(Object.keys(r.leaderChanges[0]), ['atMs', 'leaderId', 'term'])
  assert.ok(Object.keys(r.failovers[0]).includes('atMs') && Object.keys(r.failovers[0]).includes('leaderlessMs'))
  assert.ok('sent' in r.messages && 'dropped' in r.messages)
  assert.deepEqual(Object.keys(r.expectations[0]).slice(0, 3), ['line', 'ok', 'detail'])
  assert.equal(r.wallMs, 12)
  const killed = r.final.members.find((m) => !m.alive)
  assert.ok(killed && killed.role === null)
  assert.equal(r.final.term, Math.max(...r.final.members.filter((m) => m.alive).map((m) => m.term)))
  const code = RESPONSE_CODES.NETWORK_ERROR
  assert.equal(code, 302)
})

test('one validator checks the simulator options: every problem once, and the Simulation refuses them with the same list', async () => {
  const {validateSimOptions, SimOptionsError} = await import('../../src/sim/options.js')
  const bad = {nodes: 52, seed: -1, durationMs: 1.5, delayMs: [5, 1] as [number, number], lossProbability: 2}
  const problems = validateSimOptions(bad)
  assert.equal(problems.length, 5, problems.join('\n'))
  assert.deepEqual(validateSimOptions({nodes: 3, seed: 0, durationMs: 0}), [])
  assert.throws(
    () => new Simulation(bad),
    (error: unknown) => error instanceof SimOptionsError && JSON.stringify(error.problems) === JSON.stringify(problems),
  )
})
