/**
 * Several hosts, for real (issue 10, item 6): three members in three network namespaces, each
 * with its own address on a bridge (veth pairs, 10.231.0.1-3), started as on three machines
 * (`start --peers` with those addresses and a token file). They elect; the leader's link goes
 * down (`ip link set … down`); the majority elects a new leader in a higher term and the cut-off
 * leader steps down — the outcomes the fault layer's partition gives (test/scenarios/
 * partitioned-leader.txt); after the link comes back one leader remains and `dledger check`
 * finds the three homes sound.
 *
 * Needs root and `ip netns`; elsewhere it is skipped with the reason printed. Only traffic inside
 * the namespaces and bridge it creates, all removed afterwards, also when the test fails.
 */
import assert from 'node:assert/strict'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {ClusterStatus} from '../../src/wire/status.js'
import {BIN, REPO_ROOT, Sandbox, waitFor} from '../helpers/processes.js'

const N = 3
const TAG = `${process.pid % 100000}`
const NS = Array.from({length: N}, (_, i) => `dlt${TAG}n${i}`)
const BRIDGE = `dlb${TAG}`
const HOST_VETH = Array.from({length: N}, (_, i) => `dlh${TAG}n${i}`)
const NS_VETH = 'eth1'
const ADDR = Array.from({length: N}, (_, i) => `10.231.0.${i + 1}`)
const PORT = 20911
const PEERS = ADDR.map((a, i) => `n${i}-${a}:${PORT}`).join(';')

function ip(...args: string[]): void {
  execFileSync('ip', args, {stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000})
}

/** Why the test cannot run here, or null when it can. */
function whyNot(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, as CI does)'
  const probe = `dlt${TAG}probe`
  try {
    ip('netns', 'add', probe)
    ip('netns', 'del', probe)
    return null
  } catch (error) {
    return `\`ip netns add\` does not work here: ${((error as {stderr?: Buffer}).stderr?.toString() || (error as Error).message).trim()}`
  }
}

function setUpNetwork(): void {
  ip('link', 'add', BRIDGE, 'type', 'bridge')
  ip('link', 'set', BRIDGE, 'up')
  for (let i = 0; i < N; i++) {
    ip('netns', 'add', NS[i])
    ip('link', 'add', HOST_VETH[i], 'type', 'veth', 'peer', 'name', NS_VETH, 'netns', NS[i])
    ip('link', 'set', HOST_VETH[i], 'master', BRIDGE)
    ip('link', 'set', HOST_VETH[i], 'up')
    ip('-n', NS[i], 'addr', 'add', `${ADDR[i]}/24`, 'dev', NS_VETH)
    ip('-n', NS[i], 'link', 'set', NS_VETH, 'up')
    ip('-n', NS[i], 'link', 'set', 'lo', 'up')
  }
}

/** Removes every namespace and the bridge this test made (the veth pairs go with their namespaces). */
function tearDownNetwork(): void {
  for (const ns of NS) {
    try {
      ip('netns', 'del', ns)
    } catch {
      // not created
    }
  }
  try {
    ip('link', 'del', BRIDGE)
  } catch {
    // not created
  }
}

const reason = whyNot()
if (reason !== null) console.log(`# netns test skipped: ${reason}`)

describe('members on three hosts (network namespaces)', {skip: reason ?? false}, () => {
  it('elect, lose the leader to a downed link, elect in the majority, heal: the outcomes of the fault layer', async (t) => {
    const sb = new Sandbox('dledger-e2e-netns-')
    const members: ChildProcess[] = []
    t.after(async () => {
      for (const m of members) if (m.exitCode === null && m.signalCode === null) m.kill('SIGKILL')
      tearDownNetwork()
      await sb.cleanup()
    })
    tearDownNetwork() // leftovers of an earlier run with the same PID
    setUpNetwork()
    const tokenFile = join(sb.home, 'cluster.token')
    writeFileSync(tokenFile, 'netns-test-token\n', {mode: 0o600})
    const homes = NS.map((_, i) => join(sb.home, `host${i}`))
    for (const h of homes) mkdirSync(h, {recursive: true, mode: 0o700})

    // each "host" runs its member with its own home, as on a machine of its own
    for (let i = 0; i < N; i++) {
      const child = spawn('ip', ['netns', 'exec', NS[i], process.execPath, BIN, 'start', '--id', `n${i}`, '--peers', PEERS, '--token-file', tokenFile, '--timing', 'fast', '--home', homes[i]], {
        cwd: REPO_ROOT,
        env: {...process.env, NO_COLOR: '1'},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      child.stderr?.resume()
      members.push(child)
    }

    /** `dledger status --json` as seen from inside namespace `from`. */
    const status = (from: number): ClusterStatus | null => {
      try {
        const out = execFileSync('ip', ['netns', 'exec', NS[from], process.execPath, BIN, 'status', '--json', '--peers', PEERS, '--token-file', tokenFile, '--timeout', '300'], {
          cwd: REPO_ROOT,
          env: {...process.env, NO_COLOR: '1'},
          stdio: ['ignore', 'pipe', 'ignore'],
          timeout: 10_000,
        })
        return JSON.parse(out.toString('utf8')) as ClusterStatus
      } catch (error) {
        const stdout = (error as {stdout?: Buffer}).stdout?.toString('utf8') ?? ''
        return stdout.trim().startsWith('{') ? (JSON.parse(stdout) as ClusterStatus) : null
      }
    }
    const everyoneFollows = (s: ClusterStatus | null) =>
      s !== null && s.leaderId !== null && s.members.every((m) => m.reachable && m.term === s.term && m.leaderId === s.leaderId)

    const first = await waitFor('a leader all three follow, across namespaces', () => (everyoneFollows(status(0)) ? status(0) : null), 30_000, 200)
    const old = Number(first.leaderId!.slice(1))
    const majority = [0, 1, 2].filter((i) => i !== old)

    // the leader's host loses its network
    ip('-n', NS[old], 'link', 'set', NS_VETH, 'down')
    const elected = await waitFor(
      'a new leader in the majority, in a higher term',
      () => {
        const s = status(majority[0])
        return s !== null && s.leaderId !== null && majority.includes(Number(s.leaderId.slice(1))) && s.term! > first.term! ? s : null
      },
      30_000,
      200,
    )
    await waitFor(
      `the cut-off leader n${old} steps down`,
      () => {
        const self = status(old)?.members.find((m) => m.id === `n${old}`)
        return self?.reachable === true && self.role !== 'LEADER' ? self : null
      },
      30_000,
      200,
    )

    // the link comes back: one leader, followed by all, in a term at least the majority's
    ip('-n', NS[old], 'link', 'set', NS_VETH, 'up')
    const healed = await waitFor('one leader all three follow after the heal', () => {
      const s = status(old)
      return everyoneFollows(s) && s!.term! >= elected.term! ? s : null
    }, 30_000, 200)
    assert.notEqual(healed.leaderId, null)

    for (const m of members) m.kill('SIGTERM')
    await waitFor('the members to stop', () => members.every((m) => m.exitCode !== null || m.signalCode !== null), 15_000, 50)
    const check = await sb.run(['check', ...homes, '--json'])
    assert.equal(check.code, 0, check.stdout + check.stderr)
    const report = JSON.parse(check.stdout) as {ok: boolean; violations: unknown[]; members: unknown[]}
    assert.equal(report.ok, true)
    assert.equal(report.members.length, N)
  })
})
