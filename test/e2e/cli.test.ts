/**
 * The cluster commands end to end: real `dledger` processes on 127.0.0.1 with the fast timing
 * preset, a Sandbox (temp DLEDGER_HOME) per test, waits by bounded polling, and cleanup of every
 * process (detached members included, by the PIDs in their run records) even when a test fails.
 * Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {sandbox} from '../helpers/cluster.js'
import {explain, freePortRange, freePorts, httpGet, peersFor, Sandbox, waitFor, waitForExit} from '../helpers/processes.js'

interface RunRecord {
  pid: number
  id: string
  port: number
}

interface JsonMember {
  id: string
  address: string
  reachable: boolean
  pid: number | null
  role: string | null
  term: number | null
  leaderId: string | null
  error: string | null
  [k: string]: unknown
}

interface JsonStatus {
  group: string | null
  leaderId: string | null
  term: number | null
  members: JsonMember[]
  warnings: string[]
}

const MEMBER_FIELDS = [
  'id',
  'address',
  'reachable',
  'pid',
  'role',
  'term',
  'leaderId',
  'votedFor',
  'ledgerEndIndex',
  'ledgerEndTerm',
  'committedIndex',
  'preferred',
  'lastHeartbeatAgoMs',
  'error',
  'faults',
]

function runRecords(sb: Sandbox): RunRecord[] {
  const dir = join(sb.home, 'run')
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
}

function trackMembers(sb: Sandbox): RunRecord[] {
  const records = runRecords(sb)
  for (const r of records) sb.track(r.pid)
  return records
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The rows of the status table: the first whitespace-separated fields of each line after the header. */
function tableRows(stdout: string): string[][] {
  const lines = stdout.split('\n')
  const header = lines.findIndex((l) => /^ID\s+ADDRESS\s+ROLE\s+TERM\s+LEADER\s+VOTED-FOR\s+LEDGER-END\s+LAST-HEARTBEAT\s+PREFERRED\s+FAULTS\s+STATUS$/.test(l))
  assert.ok(header >= 0, `no status table in:\n${stdout}`)
  const rows: string[][] = []
  for (const line of lines.slice(header + 1)) {
    if (line === '' || line.startsWith('warning: ')) break
    rows.push(line.split(/\s+/))
  }
  return rows
}


async function statusJson(sb: Sandbox, args: string[] = []): Promise<JsonStatus> {
  const r = await sb.run(['status', '--json', ...args])
  assert.equal(r.code, 0, explain(r))
  return JSON.parse(r.stdout) as JsonStatus
}

describe('dledger up / status / leader / down', () => {
  it('brings up 3 members, reads them, fails over after kill -9 of the leader, and stops them', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const base = await freePortRange(3)

    const up = await sb.run(['up', '--nodes', '3', '--base-port', String(base), '--timing', 'fast'])
    const records = trackMembers(sb)
    assert.equal(up.code, 0, explain(up))
    assert.equal(records.length, 3)
    const rows = tableRows(up.stdout)
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['n0', 'n1', 'n2'],
    )
    assert.equal(rows.filter((r) => r[2] === 'LEADER').length, 1, up.stdout)

    // status --json: spec §4, every field, real PIDs
    const s1 = await statusJson(sb)
    assert.deepEqual(Object.keys(s1).sort(), ['group', 'leaderId', 'members', 'term', 'warnings'])
    assert.equal(s1.group, 'default')
    assert.ok(s1.leaderId !== null && typeof s1.term === 'number' && s1.term > 0, JSON.stringify(s1))
    for (const m of s1.members) {
      assert.deepEqual(Object.keys(m), MEMBER_FIELDS)
      assert.equal(m.reachable, true)
      assert.equal(typeof m.pid, 'number')
      assert.equal(m.pid, records.find((r) => r.id === m.id)?.pid)
    }
    assert.equal(s1.members.filter((m) => m.role === 'LEADER').length, 1)

    const leader = await sb.run(['leader'])
    assert.equal(leader.code, 0, explain(leader))
    assert.equal(leader.stdout.trim(), s1.leaderId)

    // status --watch redraws until interrupted, then exits 0
    const watch = sb.spawn(['status', '--watch', '--interval', '200'])
    await waitFor('two rounds of status --watch', () => (watch.output().match(/^ID\s+ADDRESS/gm) ?? []).length >= 2, 10000)
    watch.kill('SIGINT')
    await waitFor('status --watch to exit', () => watch.exitCode !== null || watch.signalCode !== null, 5000)
    assert.equal(watch.exitCode, 0, watch.output())

    // a second up refuses
    const again = await sb.run(['up', '--timing', 'fast'])
    assert.equal(again.code, 1, explain(again))
    assert.match(again.stderr, /already running: n0 \(pid \d+\).*run `dledger down` first/)

    // kill -9 the leader: another member takes over in a higher term
    const oldLeader = records.find((r) => r.id === s1.leaderId) as RunRecord
    process.kill(oldLeader.pid, 'SIGKILL')
    const next = await sb.run(['leader', '--wait', '10000'])
    assert.equal(next.code, 0, explain(next))
    const newLeaderId = next.stdout.trim()
    assert.notEqual(newLeaderId, oldLeader.id)
    const s2 = await statusJson(sb)
    assert.ok((s2.term ?? 0) > (s1.term ?? 0), `term ${s2.term} after ${s1.term}`)
    const dead = s2.members.find((m) => m.id === oldLeader.id) as JsonMember
    assert.equal(dead.reachable, false)
    assert.match(dead.error ?? '', /unreachable/)

    // down stops the rest cleanly and removes the records
    const downResult = await sb.run(['down', '--json'])
    assert.equal(downResult.code, 0, explain(downResult))
    const {stopped} = JSON.parse(downResult.stdout) as {stopped: {id: string; how: string}[]}
    assert.equal(stopped.length, 2)
    assert.ok(stopped.every((s) => s.how === 'SIGUSR2'), `stopping every member skips the leader's hand-off: ${downResult.stdout}`)
    await waitFor('members to exit', () => records.every((r) => !alive(r.pid)), 10000)
    assert.deepEqual(runRecords(sb), [])
    const nothing = await sb.run(['down'])
    assert.equal(nothing.code, 0)
    assert.match(nothing.stdout, /nothing is running/)
  })

  it('refuses before spawning anything when a port is taken by another process', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const base = await freePortRange(3)
    // a program that hangs up on every connection (`up` asks whoever listens there who it is)
    const blocker = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(base + 1, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
    const up = await sb.run(['up', '--base-port', String(base), '--timing', 'fast'])
    assert.equal(up.code, 1, explain(up))
    assert.match(up.stderr, new RegExp(`^Error: port ${base + 1} of n1 \\(127\\.0\\.0\\.1:${base + 1}\\) is already in use by another process`, 'm'))
    assert.deepEqual(trackMembers(sb), [])
    assert.equal(existsSync(join(sb.home, 'profile.json')), false)
  })

  it('brings up 5 members with one leader', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const base = await freePortRange(5)
    const up = await sb.run(['up', '--nodes', '5', '--base-port', String(base), '--timing', 'fast'])
    trackMembers(sb)
    assert.equal(up.code, 0, explain(up))
    const rows = tableRows(up.stdout)
    assert.equal(rows.length, 5)
    assert.equal(rows.filter((r) => r[2] === 'LEADER').length, 1, up.stdout)
    const down = await sb.run(['down'])
    assert.equal(down.code, 0, explain(down))
  })
})

describe('dledger up, interrupted', () => {
  it('Ctrl-C while up waits for a leader stops the waiting (exit 130), not the members, and says how to stop them', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const base = await freePortRange(3)
    // slow ballots keep the members leaderless for seconds: up is surely still waiting
    const up = sb.spawn(['up', '--base-port', String(base), '--min-vote-interval-ms', '5000', '--max-vote-interval-ms', '6000'])
    const records = await waitFor('three run records', () => {
      const r = runRecords(sb)
      return r.length === 3 ? r : null
    }, 15000)
    for (const r of records) sb.track(r.pid)
    up.kill('SIGINT')
    const exit = await waitForExit(up)
    assert.equal(exit.code, 130, up.output())
    assert.match(up.output(), /interrupted: n0, n1, n2 keep running; `dledger status` shows them, `dledger down` stops them/)
    assert.ok(records.every((r) => alive(r.pid)), 'the members keep running')
    const down = await sb.run(['down'])
    assert.equal(down.code, 0, explain(down))
    await waitFor('members to exit', () => records.every((r) => !alive(r.pid)), 10000)
  })
})

describe('dledger init / start', () => {
  it('three `start --id nX` from a profile written by `init` form one cluster and stop cleanly', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const ports = await freePorts(3)
    const init = await sb.run(['init', '--peers', peersFor(ports), '--timing', 'fast'])
    assert.equal(init.code, 0, explain(init))

    const members = [0, 1, 2].map((i) => sb.spawn(['start', '--id', `n${i}`]))
    for (const [i, m] of members.entries()) {
      await waitFor(`n${i} to listen`, () => m.output().includes(`n${i} listening on 127.0.0.1:${ports[i]}`) || m.exitCode !== null, 10000)
      assert.equal(m.exitCode, null, m.output())
    }
    const leader = await sb.run(['leader', '--wait', '10000'])
    assert.equal(leader.code, 0, explain(leader))
    const s = await statusJson(sb)
    assert.ok(s.members.every((m) => m.reachable && m.leaderId === s.leaderId), JSON.stringify(s))
    assert.deepEqual(
      s.members.map((m) => m.pid),
      members.map((m) => m.pid),
    )

    for (const m of members) m.kill('SIGTERM')
    await waitFor('members to stop', () => members.every((m) => m.exitCode !== null || m.signalCode !== null), 10000)
    assert.deepEqual(
      members.map((m) => m.exitCode),
      [0, 0, 0],
      members.map((m) => m.output()).join('\n---\n'),
    )
  })

  it('with a token, a request without it gets 401 and `status` says so', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const base = await freePortRange(3)
    const peers = [0, 1, 2].map((i) => `n${i}-127.0.0.1:${base + i}`).join(';')
    const up = await sb.run(['up', '--base-port', String(base), '--timing', 'fast', '--token', 's3cret'])
    trackMembers(sb)
    assert.equal(up.code, 0, explain(up))

    assert.equal((await httpGet(base, '/status')).status, 401)
    assert.equal((await httpGet(base, '/status', {token: 'wrong'})).status, 401)
    assert.equal((await httpGet(base, '/status', {token: 's3cret'})).status, 200)
    assert.equal((await httpGet(base, '/healthz')).status, 200)

    const denied = await sb.run(['status', '--peers', peers])
    assert.equal(denied.code, 1, explain(denied))
    const rows = tableRows(denied.stdout)
    assert.equal(rows.length, 3)
    for (const line of denied.stdout.split('\n').slice(1, 4)) assert.match(line, /unauthorized.*401/)

    const deniedJson = await sb.run(['status', '--peers', peers, '--json'])
    assert.equal(deniedJson.code, 1)
    assert.ok((JSON.parse(deniedJson.stdout) as JsonStatus).members.every((m) => !m.reachable && /401/.test(m.error ?? '')))

    const allowed = await sb.run(['status', '--peers', peers, '--token', 's3cret'])
    assert.equal(allowed.code, 0, explain(allowed))
    assert.equal(tableRows(allowed.stdout).filter((r) => r[2] === 'LEADER').length, 1)
    // the profile carries the token for the local cluster
    assert.equal((await sb.run(['leader'])).code, 0)
  })

  it('usage errors exit 2 without prompting', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-cli-')
    const init = await sb.run(['init'])
    assert.equal(init.code, 2, explain(init))
    assert.equal(init.stdout, '')
    assert.match(init.stderr, /^Error: missing --peers/)

    assert.equal((await sb.run(['init', '--peers', 'n0-127.0.0.1:7001;n1-127.0.0.1:7002', '--timing', 'fast'])).code, 0)
    const unknown = await sb.run(['start', '--id', 'n9'])
    assert.equal(unknown.code, 2, explain(unknown))
    assert.match(unknown.stderr, /^Error: self id "n9" is not in peers/m)
    const badFlag = await sb.run(['status', '--bogus'])
    assert.equal(badFlag.code, 2, explain(badFlag))
    const badValue = await sb.run(['up', '--nodes', '0'])
    assert.equal(badValue.code, 2, explain(badValue))
  })
})
