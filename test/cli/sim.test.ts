/**
 * `dledger sim` as a user runs it: the built CLI (`npm run build` first; `npm test` does) spawned
 * with `node bin/run.js sim …`. Checks the --json shape, the exit codes (0 ok, 1 a failed
 * expectation or violation, 2 a bad script with its line number), --trace and determinism.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, test} from 'node:test'

import {REPO_ROOT, Sandbox} from '../helpers/processes.js'

let box: Sandbox

before(() => {
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'cli', 'commands', 'sim.js')), 'run "npm run build" first (npm test does)')
  box = new Sandbox('dledger-sim-')
})
after(async () => box.cleanup())

function script(name: string, text: string): string {
  const file = join(box.home, name)
  writeFileSync(file, text)
  return file
}

interface Report {
  seed: number
  nodes: number
  durationMs: number
  wallMs: number
  final: {leaderId: string | null; term: number | null; members: {id: string; alive: boolean; role: string | null; term: number; votedFor: string | null; leaderId: string | null}[]}
  leaderChanges: {atMs: number; leaderId: string; term: number}[]
  failovers: {atMs: number; leaderlessMs: number}[]
  leaderlessMs: number
  messages: {sent: number; dropped: number}
  violations: {atMs: number; invariant: string; detail: string}[]
  expectations: {line: number; ok: boolean; detail: string}[]
}

const FAULTS = `at 10s kill leader          # crash: volatile state lost, durable record kept
at 17s restart killed
at 20s partition n0 | n1 n2 # symmetric cut between two groups
at 25s cut n1 -> n0         # one-way
at 30s heal
at 31s loss 0.1
at 40s loss 0
at 45s elect n1
at 46s expect leader n1 within 2s
at 55s transfer n2
at 59s expect leader n2
at 59s expect term >= 3
`

test('--json prints the whole report; exit 0 when every expectation holds', async () => {
  const file = script('faults.txt', FAULTS)
  const r = await box.run(['sim', '--nodes', '3', '--seed', '7', '--duration', '60s', '--script', file, '--json'])
  assert.equal(r.code, 0, r.stderr + r.stdout)
  const report = JSON.parse(r.stdout) as Report
  assert.equal(report.seed, 7)
  assert.equal(report.nodes, 3)
  assert.equal(report.durationMs, 60_000)
  assert.equal(typeof report.wallMs, 'number')
  assert.equal(report.final.leaderId, 'n2')
  assert.ok((report.final.term ?? 0) >= 3)
  assert.deepEqual(
    report.final.members.map((m) => Object.keys(m)),
    Array(3).fill(['id', 'alive', 'role', 'term', 'votedFor', 'leaderId']),
  )
  assert.ok(report.leaderChanges.length >= 3)
  for (const c of report.leaderChanges) assert.deepEqual(Object.keys(c), ['atMs', 'leaderId', 'term'])
  assert.equal(report.failovers.length, 1)
  assert.equal(report.failovers[0].atMs, 10_000)
  assert.ok(report.failovers[0].leaderlessMs > 0)
  assert.equal(typeof report.leaderlessMs, 'number')
  assert.ok(report.messages.sent > 0 && report.messages.dropped > 0)
  assert.deepEqual(report.violations, [])
  assert.deepEqual(
    report.expectations.map((e) => [e.line, e.ok]),
    [
      [9, true],
      [11, true],
      [12, true],
    ],
  )
})

test('without --json: a timeline of leader changes and a summary', async () => {
  const file = script('faults.txt', FAULTS)
  const r = await box.run(['sim', '--seed', '7', '--script', file])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^dledger sim: 3 members, seed 7, 1m simulated/)
  assert.match(r.stdout, /10\.000s {2}line 1: kill leader → n\d/)
  assert.match(r.stdout, /n\d leads term \d+ \(elected with \d\/3 votes in term \d+\); failover /)
  assert.match(r.stdout, /\nfailovers: +1 \(/)
  assert.match(r.stdout, /\nviolations: +none/)
  assert.match(r.stdout, /\nexpectations: +3\/3 ok/)
})

test('a failed expectation exits 1, and the report says why', async () => {
  const file = script('fail.txt', 'at 5s expect leader none\n')
  const r = await box.run(['sim', '--seed', '1', '--duration', '10s', '--script', file, '--json'])
  assert.equal(r.code, 1, r.stderr)
  const report = JSON.parse(r.stdout) as Report
  assert.deepEqual(report.expectations.map((e) => [e.line, e.ok]), [[1, false]])
  assert.match(report.expectations[0].detail, /expected leader none, but n\d leads term/)
  const human = await box.run(['sim', '--seed', '1', '--duration', '10s', '--script', file])
  assert.equal(human.code, 1)
  assert.match(human.stdout, /line 1: FAILED: expected leader none/)
})

test('a bad script exits 2 and names the line, also with --json', async () => {
  const file = script('bad.txt', '# faults\nat 1s kill leader\nat 2s explode n0\n')
  const r = await box.run(['sim', '--script', file])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /line 3: unknown action "explode"/)
  const j = await box.run(['sim', '--script', file, '--json'])
  assert.equal(j.code, 2)
  const err = JSON.parse(j.stdout) as {error: {message: string; code: string}}
  assert.match(err.error.message, /line 3: unknown action "explode"/)
  assert.equal(err.error.code, 'BAD_SCRIPT')
  const member = await box.run(['sim', '--nodes', '2', '--script', '-'], {input: 'at 1s kill n2\n'})
  assert.equal(member.code, 2)
  assert.match(member.stderr, /line 1: unknown member "n2" \(members: n0, n1\)/)
})

test('bad flags exit 2', async () => {
  const runs: Promise<void>[] = []
  for (const args of [
    ['--nodes', '52'],
    ['--duration', '10'],
    ['--loss', '2'],
    ['--delay-ms', '5-1'],
    ['--timing', 'warp'],
    ['--min-vote-interval-ms', '500', '--max-vote-interval-ms', '400'],
    ['--preferred-leader', 'n9'],
  ]) {
    runs.push(box.run(['sim', ...args]).then((r) => assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)))
  }
  await Promise.all(runs)
})

test('the same seed gives the same --json (but wallMs) and the same --trace file', async () => {
  const file = script('short.txt', 'at 2s kill leader\nat 3s partition n0 n1 | n2 n3 n4\nat 4s heal\nat 4s restart killed\nat 5s elect n3\n')
  const [a, b] = await Promise.all(
    ['a', 'b'].map(async (name) => {
      const trace = join(box.home, `${name}.jsonl`)
      const r = await box.run(['sim', '--nodes', '5', '--seed', '99', '--timing', 'fast', '--loss', '0.05', '--delay-ms', '1-20', '--duration', '8s', '--script', file, '--trace', trace, '--json'])
      assert.equal(r.code, 0, r.stderr)
      return {json: JSON.parse(r.stdout) as Report, trace: readFileSync(trace, 'utf8')}
    }),
  )
  assert.deepEqual({...a.json, wallMs: 0}, {...b.json, wallMs: 0})
  assert.equal(a.trace, b.trace)
  const lines = a.trace.trim().split('\n')
  assert.ok(lines.length > 100)
  const first = JSON.parse(lines[0]) as {ts: string; atMs: number; kind: string}
  assert.equal(first.ts, '1970-01-01T00:00:00.000Z')
  assert.ok(lines.some((l) => l.includes('"kind":"message"')) && lines.some((l) => l.includes('"kind":"event"')))
})

test('--script - reads the script from stdin, and the run is long enough for it', async () => {
  const r = await box.run(['sim', '--seed', '3', '--script', '-', '--json'], {input: 'at 90s expect leader any\n'})
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout) as Report
  assert.equal(report.durationMs, 91_000)
  const late = await box.run(['sim', '--seed', '3', '--duration', '30s', '--script', '-'], {input: 'at 90s expect leader any\n'})
  assert.equal(late.code, 2)
  assert.match(late.stderr, /line 1: .* ends after the run \(--duration 30s\)/)
})

test('--swarm --seed N rebuilds the whole run from the seed: the same report twice, with its replay command', async () => {
  const [a, b] = await Promise.all([box.run(['sim', '--swarm', '--seed', '77', '--json']), box.run(['sim', '--swarm', '--seed', '77', '--json'])])
  assert.equal(a.code, 0, a.stderr + a.stdout)
  const ra = JSON.parse(a.stdout) as Report & {replay: string}
  const rb = JSON.parse(b.stdout) as Report & {replay: string}
  assert.deepEqual({...ra, wallMs: 0}, {...rb, wallMs: 0})
  assert.equal(ra.replay, 'dledger sim --swarm --seed 77')
  assert.ok(ra.expectations.length >= 1, 'a swarm run ends with an expectation')
})

test('--swarm --print-script prints the run\'s script, and running that script with the printed flags gives the same run', async () => {
  const printed = await box.run(['sim', '--swarm', '--seed', '12', '--nodes', '3', '--print-script'])
  assert.equal(printed.code, 0, printed.stderr)
  assert.match(printed.stdout, /^# dledger sim --swarm --seed 12 --nodes 3 — the same run as: dledger sim .* --script FILE\n/)
  const flags = /the same run as: dledger sim (.*) --script FILE/.exec(printed.stdout)?.[1]
  assert.ok(flags, printed.stdout)
  const file = script('swarm-12.txt', printed.stdout)
  const args = flags.split(' ').map((a) => a.replace(/^'(.*)'$/, '$1'))
  const [plain, swarm] = await Promise.all([box.run(['sim', ...args, '--script', file, '--json']), box.run(['sim', '--swarm', '--seed', '12', '--nodes', '3', '--json'])])
  const {replay: _replay, ...fromSwarm} = JSON.parse(swarm.stdout) as Report & {replay: string}
  assert.deepEqual({...(JSON.parse(plain.stdout) as Report), wallMs: 0}, {...fromSwarm, wallMs: 0})
})

test('--swarm --seeds A-B sweeps, reports progress on stderr and the result; bad combinations exit 2', async () => {
  const r = await box.run(['sim', '--swarm', '--seeds', '1-40', '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), {from: 1, to: 40, seeds: 40, nodes: null, failures: []})
  assert.match(r.stderr, /swarm: 40\/40 seeds, 0 failing/)
  for (const args of [['--seeds', '1-5'], ['--swarm', '--seeds', '9-1'], ['--swarm', '--seed', '1', '--script', '-'], ['--swarm', '--seed', '1', '--seeds', '1-2'], ['--swarm', '--seed', '1', '--timing', 'fast']]) {
    const bad = await box.run(['sim', ...args])
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`)
  }
})

test('--help documents swarm runs: --swarm, --seed and --seeds, --print-script, and the replay command', async () => {
  const r = await box.run(['sim', '--help'])
  assert.equal(r.code, 0, r.stderr)
  for (const text of ['--swarm', '--seeds', '--print-script', 'dledger sim --swarm --seed 77', 'sim --swarm --seeds 1-10000']) assert.ok(r.stdout.includes(text), text)
})
