/**
 * Same seed + script + flags → the same run, byte for byte: the report (but wallMs) and every
 * trace line. Streams are independent: a different seed gives a different run, and the network
 * stream does not shift a member's random stream.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {Rng} from '../../src/sim/random.js'
import {buildReport} from '../../src/sim/report.js'
import {type SimOptions, Simulation, type TraceLine} from '../../src/sim/simulation.js'

const SCRIPT = `
at 2s kill leader
at 3s loss 0.1
at 5s restart killed
at 6s partition n0 | n1 n2 n3
at 7s cut n1 -> n2
at 8s isolate leader
at 9s heal
at 9s loss 0
at 10s transfer n3
at 11s elect follower
at 13s expect leader any within 3s
`

function runOnce(options: Partial<SimOptions> = {}): {json: string; trace: string[]} {
  const trace: string[] = []
  const sim = new Simulation({
    nodes: 5,
    seed: 1234,
    durationMs: 20_000,
    script: SCRIPT,
    delayMs: [1, 30],
    settings: {timing: 'fast'},
    trace: (line: TraceLine) => trace.push(JSON.stringify(line)),
    ...options,
  }).run()
  const report = buildReport(sim, 0)
  return {json: JSON.stringify(report), trace}
}

test('the same seed, script and flags give the same report and the same trace', () => {
  const a = runOnce()
  const b = runOnce()
  assert.equal(a.json, b.json)
  assert.equal(a.trace.length, b.trace.length)
  assert.ok(a.trace.length > 1000, `a busy run (${a.trace.length} lines)`)
  for (let i = 0; i < a.trace.length; i++) assert.equal(a.trace[i], b.trace[i], `trace line ${i + 1}`)
})

test('tracing does not change the run', () => {
  const traced = runOnce()
  const plain = runOnce({trace: undefined})
  assert.equal(plain.json, traced.json)
})

test('another seed gives another run', () => {
  assert.notEqual(runOnce().json, runOnce({seed: 1235}).json)
})

test('trace lines carry the simulated time as an ISO date and cover messages, events, persists and faults', () => {
  const {trace} = runOnce()
  const lines = trace.map((l) => JSON.parse(l) as TraceLine)
  for (const l of lines.slice(0, 50)) assert.equal(l.ts, new Date(l.atMs).toISOString())
  const kinds = new Set(lines.map((l) => l.kind))
  for (const k of ['start', 'message', 'event', 'persist', 'script', 'crash', 'partition', 'cut', 'isolate', 'heal', 'loss', 'elect', 'expectation'])
    assert.ok(kinds.has(k), `trace has ${k} lines`)
  const fates = new Set(lines.filter((l) => l.kind === 'message').map((l) => l.fate))
  for (const f of ['queued', 'loss', 'cut', 'refused', 'direct']) assert.ok(fates.has(f), `a message with fate ${f}`)
  // times never go back
  for (let i = 1; i < lines.length; i++) assert.ok(lines[i].atMs >= lines[i - 1].atMs, `line ${i + 1}`)
})

test('random streams are independent: one stream per (seed, name)', () => {
  const take = (r: Rng, n: number) => Array.from({length: n}, () => r.next())
  assert.deepEqual(take(new Rng(7, 'node:n0:0'), 5), take(new Rng(7, 'node:n0:0'), 5))
  assert.notDeepEqual(take(new Rng(7, 'node:n0:0'), 5), take(new Rng(7, 'node:n1:0'), 5))
  assert.notDeepEqual(take(new Rng(7, 'node:n0:0'), 5), take(new Rng(8, 'node:n0:0'), 5))
  const r = new Rng(1, 'x')
  for (let i = 0; i < 1000; i++) {
    const v = r.next()
    assert.ok(v >= 0 && v < 1)
    const k = r.between(3, 5)
    assert.ok(k >= 3 && k <= 5 && Number.isInteger(k))
  }
})

test("adding a member or loss does not perturb another member's random stream", () => {
  // a core draws its incarnation (part of every reqId) first from its stream: n0's is the same
  const firstReqId = (nodes: number, loss: number) => {
    let reqId = ''
    new Simulation({
      nodes,
      seed: 99,
      durationMs: 50,
      lossProbability: loss,
      trace: (l) => {
        const m = l.message as {localId?: string; reqId?: string} | undefined
        if (reqId === '' && l.kind === 'message' && m?.localId === 'n0') reqId = m.reqId ?? ''
      },
    }).run()
    return reqId
  }
  const base = firstReqId(3, 0)
  assert.match(base, /^n0\.[0-9a-z]+\.\d+$/)
  assert.equal(firstReqId(5, 0), base)
  assert.equal(firstReqId(3, 0.5), base)
  assert.notEqual(firstReqId(3, 0), '')
})
