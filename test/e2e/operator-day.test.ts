/**
 * The operator's day end to end (issue 8, items 1–3): one member's life cycle (`up --id`, `up`
 * starting only the missing members, `start` recording its PID, `down` finding every running
 * member and saying which), `health` and the status warnings it shares, and the preferred leaders
 * (`preferred set|clear`, `transfer-leader --no-preferred`, `init --force` refused over a running
 * cluster). Real `dledger` processes on 127.0.0.1, ports chosen by the OS, the fast timing
 * preset, a temp DLEDGER_HOME per test. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {readVoteLog, statusOf, trackUpMembers, sandbox} from '../helpers/cluster.js'
import {freePorts, peersFor, Sandbox, waitFor, waitForExit, type CliResult} from '../helpers/processes.js'

interface StatusJson {
  leaderId: string | null
  term: number | null
  members: {id: string; pid: number | null; reachable: boolean; role: string | null; preferred: string | null}[]
  warnings: string[]
}

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

/** A sandbox with a fast three-member cluster started by `up`; every member is killed at the end. */
async function upCluster(t: TestContext, extra: string[] = []): Promise<{sb: Sandbox; ports: number[]; peers: string}> {
  const sb = sandbox(t, 'dledger-e2e-day-')
  const ports = await freePorts(3)
  const peers = peersFor(ports)
  const up = await sb.run(['up', '--peers', peers, '--timing', 'fast', ...extra])
  trackUpMembers(sb)
  assert.equal(up.code, 0, explain(up))
  return {sb, ports, peers}
}

async function ok(sb: Sandbox, args: string[]): Promise<CliResult> {
  const r = await sb.run(args)
  assert.equal(r.code, 0, `${args.join(' ')}: ${explain(r)}`)
  return r
}

async function status(sb: Sandbox): Promise<StatusJson> {
  return JSON.parse((await ok(sb, ['status', '--json'])).stdout) as StatusJson
}

/** Waits until every member answers and follows one confirmed leader; returns the status. */
async function settled(sb: Sandbox, leader?: string): Promise<StatusJson> {
  return waitFor(
    `every member to follow ${leader ?? 'one leader'}`,
    async () => {
      const s = await status(sb)
      const lead = s.members.find((m) => m.role === 'LEADER')
      const one = lead !== undefined && s.leaderId === lead.id && s.members.every((m) => m.reachable)
      return one && (leader === undefined || s.leaderId === leader) && s.warnings.length === 0 ? s : false
    },
    15_000,
    100,
  )
}

/**
 * Nobody prefers a leader any more: after longer than the leader's preferred-leader check (1 s),
 * no leader has handed leadership to a preferred member (no new PREFERRED_LEADER transfer in any
 * vote log), and every member reports no preferred leader. (Not "the same leader and term": on a
 * loaded machine an election may happen anyway.)
 */
async function assertNoPreferredHandBack(sb: Sandbox): Promise<void> {
  const handBacks = () =>
    ['n0', 'n1', 'n2']
      .flatMap((id) => readVoteLog(join(sb.home, 'data', 'default', id)))
      .filter((e) => e.type === 'LEADERSHIP_TRANSFER' && e.phase === 'PREFERRED_LEADER').length
  const before = handBacks()
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal(handBacks(), before, 'a leader handed leadership to a preferred member')
  assert.deepEqual(
    (await status(sb)).members.map((m) => m.preferred),
    [null, null, null],
  )
}

describe("one member's life cycle", () => {
  it('down --id, then up starts just that member; up --id refuses a running one; restart does both; an exited member gets one line', async (t) => {
    const {sb, ports} = await upCluster(t)
    const first = await status(sb)
    const n1 = first.members.find((m) => m.id === 'n1')!
    // the member `up` spawned keeps up's record (with its log file) when `start` comes up in it
    const record = JSON.parse(readFileSync(join(sb.home, 'run', 'n1.json'), 'utf8')) as {pid: number; logFile: string | null}
    assert.deepEqual([record.pid, record.logFile], [n1.pid, join(sb.home, 'logs', 'n1.log')])

    const down = await ok(sb, ['down', '--id', 'n1'])
    assert.equal(down.stdout.trim(), `stopped n1 (pid ${n1.pid})`)
    const up = await ok(sb, ['up'])
    trackUpMembers(sb)
    assert.match(up.stdout, /^started n1 \(pid (\d+)\); n0, n2 were already running; logs in /m)
    const again = await settled(sb)
    assert.deepEqual(
      again.members.filter((m) => m.id !== 'n1').map((m) => m.pid),
      first.members.filter((m) => m.id !== 'n1').map((m) => m.pid),
      'the others kept running',
    )

    const twice = await sb.run(['up', '--id', 'n1'])
    assert.equal(twice.code, 1, explain(twice))
    assert.match(twice.stderr, /^Error: n1 is already running \(pid \d+\)$/m)

    await ok(sb, ['down', '--id', 'n2'])
    const back = await ok(sb, ['up', '--id', 'n2'])
    trackUpMembers(sb)
    assert.match(back.stdout, /^started n2 \(pid \d+\); n0, n1 were already running/m)

    // restart: down --id, then up --id, in one command
    const before = (await settled(sb)).members.find((m) => m.id === 'n1')!
    // with --token-file, as a user of a secured cluster passes it (this cluster has no token: it
    // accepts any); `restart` must not hand it on as a flag `down` does not take
    const tokenFile = join(sb.home, 'token.txt')
    writeFileSync(tokenFile, 'a-token\n', {mode: 0o600})
    const restart = await sb.run(['restart', 'n1', '--token-file', tokenFile])
    assert.equal(restart.code, 0, explain(restart))
    trackUpMembers(sb)
    assert.match(restart.stdout, new RegExp(`^stopped n1 \\(pid ${before.pid}\\)\nusing cluster profile .*\nstarted n1 \\(pid \\d+\\); n0, n2 were already running`, 'm'))
    assert.notEqual((await settled(sb)).members.find((m) => m.id === 'n1')!.pid, before.pid)

    // a member that died on its own: one line, not two
    const n0 = (await settled(sb)).members.find((m) => m.id === 'n0')!
    process.kill(n0.pid!, 'SIGKILL')
    await waitFor('n0 to be gone', async () => (await statusOf(ports[0], undefined, 300)) === null, 5000)
    const gone = await ok(sb, ['down', '--id', 'n0'])
    assert.equal(gone.stdout, `n0 (pid ${n0.pid}) had already exited\n`)
  })

  it('start records its PID like up; down finds hand-started members by record, or by their port when the record is gone, and says which', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-day-')
    const ports = await freePorts(3)
    await ok(sb, ['init', '--peers', peersFor(ports), '--timing', 'fast'])
    const members = [0, 1, 2].map((i) => sb.spawn(['start', '--id', `n${i}`]))
    await ok(sb, ['health', '--wait', '15000'])
    // a majority makes the cluster healthy; the third member may still be coming up
    const records = await waitFor('a run record per member', () => {
      const r = trackUpMembers(sb)
      return r.length === 3 ? r : false
    }, 10_000)
    assert.deepEqual(
      records.map((r) => [r.id, r.pid]),
      members.map((m, i) => [`n${i}`, m.pid]),
    )
    // up knows they run
    const up = await sb.run(['up'])
    assert.equal(up.code, 1, explain(up))
    assert.match(up.stderr, /^Error: already running: n0 \(pid \d+\), n1 \(pid \d+\), n2 \(pid \d+\); run `dledger down` first$/m)

    // n2's record is lost: down still finds it on its port, whose /status names its PID
    rmSync(join(sb.home, 'run', 'n2.json'))
    const down = await ok(sb, ['down'])
    assert.deepEqual(
      down.stdout.trim().split('\n'),
      members.map((m, i) => `stopped n${i} (pid ${m.pid}, started by hand)`),
    )
    for (const m of members) assert.deepEqual(await waitForExit(m), {code: 0, signal: null}, m.output())
    assert.deepEqual(trackUpMembers(sb), [], 'each member removed its record as it stopped')
    assert.equal((await ok(sb, ['down'])).stdout, 'nothing is running\n')
  })
})

describe('health', () => {
  it('exits 0 while a leader holds a majority and 1 once it does not; status warns about the missing leader', async (t) => {
    const {sb} = await upCluster(t)
    const healthy = JSON.parse((await ok(sb, ['health', '--json'])).stdout) as {healthy: boolean; following: string[]; quorum: number}
    assert.deepEqual([healthy.healthy, healthy.following.length, healthy.quorum], [true, 3, 2])

    const {leaderId} = await status(sb)
    const followers = ['n0', 'n1', 'n2'].filter((id) => id !== leaderId)
    await ok(sb, ['down', '--id', followers[0]])
    assert.match((await ok(sb, ['health', '--wait', '10000'])).stdout, /^cluster is healthy: \S+ leads term \d+ with 2\/3 members \(a majority is 2\)$/m)

    // one of three left: it loses its leadership and campaigns alone
    await ok(sb, ['down', '--id', followers[1]])
    const lone = await waitFor('the lone member to stop leading', async () => {
      const r = await sb.run(['health', '--json'])
      return r.code === 1 ? r : false
    }, 10_000, 100)
    const verdict = JSON.parse(lone.stdout) as {healthy: boolean; reason: string}
    assert.equal(verdict.healthy, false)
    assert.match(verdict.reason, /^no (leader: 1\/3 members answer|majority: )/)
    const human = await sb.run(['health'])
    assert.equal(human.code, 1, explain(human))
    assert.match(human.stderr, /^Error: unhealthy cluster: no (leader|majority)/m)
    assert.match(human.stderr, /^Hint: a majority \(2 of 3\) must run/m)
    const s = await sb.run(['status'])
    assert.equal(s.code, 0, explain(s))
    assert.match(s.stdout, /^warning: no (leader: 1\/3 members answer|majority: )/m)

    // the others come back: health --wait sees the cluster healthy again
    await ok(sb, ['up'])
    trackUpMembers(sb)
    await ok(sb, ['health', '--wait', '10000'])
  })
})

describe('preferred leaders', () => {
  it('preferred set moves leadership to the member everywhere; clear lets a later transfer stay', async (t) => {
    // with a token: the admin requests are authenticated, and a wrong token changes nothing
    const {sb} = await upCluster(t, ['--token', 's3cret'])
    const profileBefore = readFileSync(join(sb.home, 'profile.json'), 'utf8')
    const denied = await sb.run(['preferred', 'set', 'n2', '--token', 'wrong'])
    assert.equal(denied.code, 1, explain(denied))
    assert.match(denied.stderr, /^Error: n0, n1, n2 refused the request: unauthorized: .*; nothing was changed$/m)
    assert.equal(readFileSync(join(sb.home, 'profile.json'), 'utf8'), profileBefore)

    const set = await ok(sb, ['preferred', 'set', 'n2'])
    assert.equal(set.stdout.trim(), 'preferred leader n2 on n0, n1, n2 (kept in the profile)')
    const led = await settled(sb, 'n2')
    assert.deepEqual(
      led.members.map((m) => m.preferred),
      ['n2', 'n2', 'n2'],
    )
    assert.deepEqual(JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')).preferredLeaderIds, ['n2'])

    const clear = await ok(sb, ['preferred', 'clear'])
    assert.equal(clear.stdout.trim(), 'no preferred leader on n0, n1, n2 (kept in the profile)')
    assert.deepEqual(JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')).preferredLeaderIds, [])
    await ok(sb, ['transfer-leader', '--to', 'n0'])
    await assertNoPreferredHandBack(sb)
  })

  it('transfer-leader --no-preferred clears the preferred leader everywhere, so the transfer stays', async (t) => {
    const {sb} = await upCluster(t)
    await ok(sb, ['transfer-leader', '--to', 'n1', '--preferred'])
    const out = JSON.parse((await ok(sb, ['transfer-leader', '--to', 'n2', '--no-preferred', '--json'])).stdout) as {
      to: string
      term: number
      preferred: {ids: string[]; applied: string[]; profile: boolean}
    }
    assert.deepEqual(out.preferred, {ids: [], applied: ['n0', 'n1', 'n2'], failed: [], profile: true})
    assert.equal(out.to, 'n2')
    await assertNoPreferredHandBack(sb)
  })

  it('init --force is refused while the cluster runs; once it is stopped it replaces the profile and drops the run-time choice', async (t) => {
    const {sb, peers} = await upCluster(t)
    await ok(sb, ['preferred', 'set', 'n1'])
    const profileBefore = readFileSync(join(sb.home, 'profile.json'), 'utf8')
    const refused = await sb.run(['init', '--peers', peers, '--timing', 'fast', '--force'])
    assert.equal(refused.code, 1, explain(refused))
    assert.match(refused.stderr, /^Error: the cluster of .*profile\.json is running \(n0, n1, n2 answer\)/m)
    assert.match(refused.stderr, /^Hint: stop it first with `dledger down`/m)
    assert.equal(readFileSync(join(sb.home, 'profile.json'), 'utf8'), profileBefore)

    await ok(sb, ['down'])
    const init = await ok(sb, ['init', '--peers', peers, '--timing', 'fast', '--force'])
    assert.match(init.stdout, /^ {2}preferred {2}none$/m)
    assert.match(init.stdout, /^ {2}dropped the run-time preferred leaders of n0, n1, n2$/m)
    for (const id of ['n0', 'n1', 'n2']) assert.equal(existsSync(join(sb.home, 'data', 'default', id, 'preferred.json')), false)
    await ok(sb, ['up'])
    trackUpMembers(sb)
    const s = await settled(sb)
    assert.deepEqual(
      s.members.map((m) => m.preferred),
      [null, null, null],
      'the members prefer nobody, as init said',
    )
  })
})
