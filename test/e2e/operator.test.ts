/**
 * The operator commands end to end (issue 4): `elect`, `transfer-leader` (with --preferred) and
 * the graceful hand-off of a cleanly stopped leader, on real `dledger` processes with the fast
 * timing preset. DLedger's testThreeServer and testThreeServerAndPreferredLeader (reference §6.1)
 * are ported here; every outcome is checked from each member's /status and from the vote logs
 * (at most one leader per term). Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {
  assertOneLeaderPerTerm,
  exited,
  oneLeader,
  processCluster,
  readVoteLog,
  statusOf,
  trackUpMembers,
  sandbox,
  watchLeaderGap,
  type ProcessCluster,
} from '../helpers/cluster.js'
import {freePorts, waitFor, type CliResult} from '../helpers/processes.js'

function explain(r: CliResult, c?: ProcessCluster): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}${c ? `\nmembers:\n${c.diag()}` : ''}`
}

/** Runs a command against the cluster (--peers) and parses its --json output. */
async function json<T>(c: ProcessCluster, args: string[], expectCode = 0): Promise<T> {
  const r = await c.sb.run([...args, '--peers', c.peers, '--json'])
  assert.equal(r.code, expectCode, explain(r, c))
  return JSON.parse(r.stdout) as T
}

interface TransferJson {
  from: string
  to: string
  term: number
  previousTerm: number
  tookMs: number
  visibleMs: number
  noop: boolean
  preferred?: {ids: string[]; applied: string[]; failed: {id: string; error: string}[]; profile: boolean}
}

interface ErrorJson {
  error: {message: string; code: string; hint: string | null}
}

interface StatusJson {
  leaderId: string | null
  term: number | null
  members: {id: string; reachable: boolean; role: string | null; preferred: string | null}[]
  warnings: string[]
}

const ALL = [0, 1, 2]

describe('dledger elect', () => {
  it('testThreeServer: ten forced elections in a row, each on the next member, each won by exactly that member', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-elect-')
    for (const i of ALL) c.start(i)
    let {term} = await oneLeader(c, ALL)

    for (let i = 0; i < 10; i++) {
      const id = `n${i % 3}`
      const out = await json<{leaderId: string; term: number; previousTerm: number; tookMs: number; attempts: number}>(c, ['elect', '--node', id])
      assert.equal(out.leaderId, id)
      // a lost race with another candidate is retried within the deadline (forced-election.ts)
      assert.ok(out.attempts >= 1 && out.attempts <= 3, `election ${i}: ${out.attempts} attempts`)
      assert.ok(out.term > term, `election ${i}: term ${out.term} after ${term}`)
      assert.equal(out.previousTerm, term)
      // exactly one leader, the forced candidate, and both others follow it in its term
      const now = await oneLeader(c, ALL, 5000)
      assert.deepEqual(now, {leader: i % 3, term: out.term}, `election ${i}`)
      term = now.term
    }

    const byTerm = assertOneLeaderPerTerm(ALL.map((i) => c.dataDir(i)))
    for (let i = 0; i < 10; i++) assert.ok([...byTerm.values()].some((ids) => ids.includes(`n${i % 3}`)))
    assert.deepEqual(byTerm.get(term), [`n${9 % 3}`])
  })

  it('without --node the leader steps down and another member wins a newer term', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-elect-')
    for (const i of ALL) c.start(i)
    const before = await oneLeader(c, ALL)
    const r = await c.sb.run(['elect', '--peers', c.peers])
    assert.equal(r.code, 0, explain(r, c))
    const line = /^(n\d) leads term (\d+) \(step down, \d+ ms\)$/.exec(r.stdout.trim())
    assert.ok(line, r.stdout)
    assert.notEqual(line[1], `n${before.leader}`, 'the stepped-down leader holds its ballot back')
    assert.ok(Number(line[2]) > before.term)
    const after = await oneLeader(c, ALL, 5000)
    assert.equal(`n${after.leader}`, line[1])
    const stepped = readVoteLog(c.dataDir(before.leader)).find((e) => e.type === 'ROLE_CHANGE' && e.from === 'LEADER')
    assert.equal(stepped?.reason, 'step down requested')
    assertOneLeaderPerTerm(ALL.map((i) => c.dataDir(i)))
  })
})

describe('dledger transfer-leader', () => {
  it('hands leadership to each member in turn; status and vote logs show the transferee leading a newer term, one leader per term', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-transfer-')
    for (const i of ALL) c.start(i)
    let current = await oneLeader(c, ALL)

    for (let k = 0; k < 3; k++) {
      const to = (current.leader + 1) % 3
      const out = await json<TransferJson>(c, ['transfer-leader', '--to', `n${to}`])
      assert.deepEqual([out.from, out.to, out.noop], [`n${current.leader}`, `n${to}`, false])
      assert.ok(out.term > current.term, `term ${out.term} after ${current.term}`)
      assert.equal(out.previousTerm, current.term)
      assert.ok(out.tookMs > 0 && out.visibleMs >= out.tookMs, JSON.stringify(out))
      // the status: exactly the transferee leads, everyone follows it in the new term
      const now = await oneLeader(c, ALL, 5000)
      assert.deepEqual(now, {leader: to, term: out.term})
      // the logs: the old leader completed the transfer, the transferee became LEADER in that term
      const oldLog = readVoteLog(c.dataDir(current.leader))
      assert.ok(
        oldLog.some((e) => e.type === 'LEADERSHIP_TRANSFER' && e.phase === 'COMPLETED' && e.transferee === `n${to}` && e.code === 'SUCCESS'),
        'the old leader logged the completed transfer',
      )
      assert.ok(readVoteLog(c.dataDir(to)).some((e) => e.type === 'ROLE_CHANGE' && e.to === 'LEADER' && e.term === out.term))
      current = now
    }
    assertOneLeaderPerTerm(ALL.map((i) => c.dataDir(i)))

    // to the current leader: a no-op success (spec S6)
    const same = await c.sb.run(['transfer-leader', '--to', `n${current.leader}`, '--peers', c.peers])
    assert.equal(same.code, 0, explain(same, c))
    assert.equal(same.stdout.trim(), `n${current.leader} already leads term ${current.term} (nothing to transfer)`)
    assert.deepEqual(await oneLeader(c, ALL, 5000), current)
  })

  it('to a killed member fails with NETWORK_ERROR, to an unknown id with exit 2, and the leader stays', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-transfer-')
    for (const i of ALL) c.start(i)
    const first = await oneLeader(c, ALL)
    const victim = (first.leader + 1) % 3
    const other = (first.leader + 2) % 3
    await c.kill9(victim)

    const failed = await json<ErrorJson>(c, ['transfer-leader', '--to', `n${victim}`], 1)
    assert.equal(failed.error.code, 'NETWORK_ERROR')
    assert.match(failed.error.message, new RegExp(`^transfer to n${victim} failed: NETWORK_ERROR \\(302\\): n${victim} is down`))
    assert.match(failed.error.hint ?? '', new RegExp(`start n${victim} again.*live follower \\(n${other}\\)`))

    const human = await c.sb.run(['transfer-leader', '--to', `n${victim}`, '--peers', c.peers])
    assert.equal(human.code, 1)
    assert.equal(human.stdout, '')
    const lines = human.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 2, human.stderr)
    assert.match(lines[0], /^Error: transfer to n\d failed: NETWORK_ERROR \(302\)/)
    assert.match(lines[1], /^Hint: /)

    const unknown = await json<ErrorJson>(c, ['transfer-leader', '--to', 'n7'], 2)
    assert.equal(unknown.error.code, 'UNKNOWN_MEMBER')
    assert.match(unknown.error.message, /unknown member "n7" \(known: n0, n1, n2\)/)

    // nothing moved: the same leader, the same term
    assert.deepEqual(await oneLeader(c, [first.leader, other], 5000), first)
    assert.ok(!readVoteLog(c.dataDir(first.leader)).some((e) => e.type === 'LEADERSHIP_TRANSFER'), 'no transfer was started')
  })
})

describe('preferred leader', () => {
  it('testThreeServerAndPreferredLeader: preferred n2 leads, is killed, another leads, n2 restarts and leads again', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-preferred-')
    for (const i of ALL) c.start(i, ['--preferred-leader', 'n2'])
    // whoever wins the first election, checkPreferredLeader hands leadership to n2
    const first = await waitFor('n2 to lead', async () => {
      const l = await oneLeader(c, ALL)
      return l.leader === 2 ? l : false
    }, 15_000, 100)

    await c.kill9(2)
    const interim = await oneLeader(c, [0, 1])
    assert.ok(interim.term > first.term)

    c.start(2, ['--preferred-leader', 'n2'])
    const back = await waitFor('n2 to lead again', async () => {
      const l = await oneLeader(c, ALL)
      return l.leader === 2 && l.term > interim.term ? l : false
    }, 15_000, 100)
    assert.ok(back.term > interim.term)
    assertOneLeaderPerTerm(ALL.map((i) => c.dataDir(i)))
  })

  it('transfer-leader --preferred makes it the preferred leader on every member, durably: leadership comes back to it after it fails, and restarted members keep it', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-preferred-')
    for (const i of ALL) c.start(i)
    await oneLeader(c, ALL)

    const out = await json<TransferJson>(c, ['transfer-leader', '--to', 'n2', '--preferred'])
    assert.equal(out.to, 'n2')
    assert.deepEqual(out.preferred, {ids: ['n2'], applied: ['n0', 'n1', 'n2'], failed: [], profile: false})
    const status = await json<StatusJson>(c, ['status'])
    assert.deepEqual(
      status.members.map((m) => m.preferred),
      ['n2', 'n2', 'n2'],
    )
    assert.equal(status.leaderId, 'n2')
    assert.ok(!status.warnings.some((w) => /preferred/.test(w)), status.warnings.join('\n'))
    for (const i of ALL) assert.deepEqual(JSON.parse(readFileSync(join(c.dataDir(i), 'preferred.json'), 'utf8')).preferredLeaderIds, ['n2'])

    // n2 fails: another member leads; n2 returns (without --preferred-leader) and leads again
    await c.kill9(2)
    const interim = await oneLeader(c, [0, 1])
    c.start(2)
    const back = await waitFor('n2 to lead again', async () => {
      const l = await oneLeader(c, ALL)
      return l.leader === 2 && l.term > interim.term ? l : false
    }, 15_000, 100)
    assert.equal((await statusOf(c.ports[2]))?.preferred, 'n2', 'the restarted member read its preferred.json')

    // the other members restart with the same command lines and keep it too
    for (const i of [0, 1]) {
      await c.kill9(i)
      c.start(i)
      await waitFor(`n${i} to answer again`, async () => (await statusOf(c.ports[i]))?.preferred === 'n2', 10_000)
    }
    assert.equal((await oneLeader(c, ALL)).leader, 2)
    assert.ok((await oneLeader(c, ALL)).term >= back.term)

    // a member whose configuration names another preferred leader: status warns
    await c.kill9(1)
    c.start(1, ['--preferred-leader', 'n0'])
    const warned = await waitFor('status to warn about the preferred leader', async () => {
      const s = await json<StatusJson>(c, ['status'])
      return s.warnings.find((w) => /members disagree on the preferred leader/.test(w)) ?? false
    }, 10_000, 100)
    assert.match(warned, /n1 says n0/)
    assertOneLeaderPerTerm(ALL.map((i) => c.dataDir(i)))
  })

  it('with a profile, --preferred is kept in the profile, so a member that was down gets it when started again', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-preferred-')
    const ports = await freePorts(3)
    const peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
    const up = await sb.run(['up', '--peers', peers, '--timing', 'fast'])
    const records = trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    const leaderOut = await sb.run(['leader'])
    const leader = leaderOut.stdout.trim()
    // n1 is down (or, if it leads, n0): --preferred reaches the others and the profile
    const absent = leader === 'n1' ? 'n0' : 'n1'
    const target = 'n2'
    const stop = await sb.run(['down', '--id', absent])
    assert.equal(stop.code, 0, explain(stop))

    const r = await sb.run(['transfer-leader', '--to', target, '--preferred'])
    assert.equal(r.code, 0, explain(r))
    assert.match(r.stdout, new RegExp(`preferred leader n2 on ${['n0', 'n1', 'n2'].filter((id) => id !== absent).join(', ')} \\(kept in the profile\\)`))
    assert.match(r.stderr, new RegExp(`Warning: ${absent} did not take the preferred leader: unreachable`))
    assert.deepEqual(JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')).preferredLeaderIds, ['n2'])

    const again = sb.spawn(['start', '--id', absent])
    const port = records.find((x) => x.id === absent)!.port
    await waitFor(`${absent} to answer with the preferred leader`, async () => (await statusOf(port))?.preferred === 'n2', 10_000)
    const s = JSON.parse((await sb.run(['status', '--json'])).stdout) as StatusJson
    assert.deepEqual(
      s.members.map((m) => m.preferred),
      ['n2', 'n2', 'n2'],
    )
    again.kill('SIGTERM')
  })
})

describe('graceful hand-off', () => {
  it('a leader stopped cleanly (`down --id`) hands over first: the leaderless gap is shorter than the transfer, and no election timeout is paid', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-handoff-')
    const ports = await freePorts(3)
    const peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
    const up = await sb.run(['up', '--peers', peers, '--timing', 'fast'])
    trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    const before = JSON.parse((await sb.run(['status', '--json'])).stdout) as StatusJson
    const leader = before.leaderId!
    const dataDir = (id: string) => join(sb.home, 'data', 'default', id)
    // the leader knows its followers are live after one heartbeat round (100 ms with fast timing)
    await new Promise((r) => setTimeout(r, 300))

    const watch = watchLeaderGap(ports, {everyMs: 5})
    const down = await sb.run(['down', '--id', leader])
    assert.equal(down.code, 0, explain(down))
    assert.match(down.stdout, new RegExp(`stopped ${leader} \\(pid \\d+\\)$`, 'm'))
    const rest = before.members.map((m) => m.id).filter((id) => id !== leader)
    const after = await waitFor('a new leader', async () => {
      const st = await Promise.all(rest.map((id) => statusOf(ports[Number(id.slice(1))])))
      const l = st.find((x) => x?.role === 'LEADER')
      return l && st.every((x) => x?.leaderId === l.id && x.term === l.term) ? l : false
    }, 5000, 10)
    const gap = await watch.stop()

    // the old leader's log: a hand-off to the new leader, completed
    const log = readVoteLog(dataDir(leader))
    const requested = log.find((e) => e.type === 'LEADERSHIP_TRANSFER' && e.phase === 'REQUESTED' && e.detail === 'hand-off')
    const completed = log.find((e) => e.type === 'LEADERSHIP_TRANSFER' && e.phase === 'COMPLETED')
    assert.ok(requested && completed, JSON.stringify(log.filter((e) => e.type === 'LEADERSHIP_TRANSFER')))
    assert.equal(completed.transferee, after.id)
    assert.equal(after.term, (before.term ?? 0) + 1, 'one term: the transfer, not an election after a timeout')
    const transferMs = Date.parse(completed.ts) - Date.parse(requested.ts)
    // the only leaderless moment is inside the transfer, and far below the follower timeout (300 ms)
    assert.ok(gap.maxGapMs <= transferMs + 50, `gap ${gap.maxGapMs.toFixed(0)} ms, transfer ${transferMs} ms (${gap.samples} samples)`)
    assert.ok(gap.maxGapMs < 300, `gap ${gap.maxGapMs.toFixed(0)} ms`)
    assert.ok(!readVoteLog(dataDir(after.id)).some((e) => e.type === 'HEARTBEAT_TIMEOUT' && e.term === before.term), 'no follower timed out')
    assertOneLeaderPerTerm(['n0', 'n1', 'n2'].map(dataDir))
  })

  it('SIGUSR2 (what `down --no-handoff` sends) and `start --no-handoff` stop a leader cleanly without a transfer', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-handoff-')
    for (const i of ALL) c.start(i)
    const first = await oneLeader(c, ALL)
    const transfers = (i: number) => readVoteLog(c.dataDir(i)).filter((e) => e.type === 'LEADERSHIP_TRANSFER').length

    const victim = c.children[first.leader]!
    victim.kill('SIGUSR2')
    assert.deepEqual(await exited(victim), {code: 0, signal: null})
    assert.match(victim.output(), /SIGUSR2: stopping without a leadership hand-off/)
    assert.equal(transfers(first.leader), 0)
    const rest = ALL.filter((i) => i !== first.leader)
    const second = await oneLeader(c, rest)
    assert.ok(second.term > first.term)

    // restarted with --no-handoff and made leader again: SIGTERM stops it without a transfer too
    const again = c.start(first.leader, ['--no-handoff'])
    await waitFor(`n${first.leader} to answer again`, () => statusOf(c.ports[first.leader]), 10_000)
    const forced = await json<{leaderId: string}>(c, ['elect', '--node', `n${first.leader}`])
    assert.equal(forced.leaderId, `n${first.leader}`)
    await oneLeader(c, ALL, 5000)
    again.kill('SIGTERM')
    assert.deepEqual(await exited(again), {code: 0, signal: null})
    assert.equal(transfers(first.leader), 0, 'no hand-off was attempted')
    await oneLeader(c, rest)
  })
})
