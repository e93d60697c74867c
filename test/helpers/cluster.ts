/**
 * End-to-end clusters of real `dledger start` processes (fast timing, 127.0.0.1, a Sandbox home,
 * a data dir per member), read through each member's own `GET /status` and its vote log.
 * Every child is killed by PID and the home removed in t.after, also when a test fails.
 */
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {TestContext} from 'node:test'

import type {MemberStatus} from '../../src/wire/status.js'
import {freePorts, httpGet, peersFor, Sandbox, waitFor} from './processes.js'

export type Child = ChildProcess & {output: () => string}

export interface ProcessCluster {
  sb: Sandbox
  ports: number[]
  peers: string
  dataDir: (i: number) => string
  children: (Child | null)[]
  /** `dledger start --id n<i> --peers … --data-dir … --timing fast …extra` */
  start(i: number, extra?: string[], env?: Record<string, string>): Child
  kill9(i: number): Promise<void>
  /** the last lines of every member's output, for failure messages */
  diag(): string
}

/** A sandbox and `n` free ports; nothing is started yet. */
export async function processCluster(t: TestContext, n: number, prefix = 'dledger-e2e-'): Promise<ProcessCluster> {
  const sb = new Sandbox(prefix)
  t.after(() => sb.cleanup())
  const ports = await freePorts(n)
  const peers = peersFor(ports)
  const dataDir = (i: number) => join(sb.home, `n${i}`)
  const children: (Child | null)[] = ports.map(() => null)
  const all: Child[] = []
  return {
    sb,
    ports,
    peers,
    dataDir,
    children,
    start(i, extra = [], env = {}) {
      const child = sb.spawn(['start', '--id', `n${i}`, '--peers', peers, '--data-dir', dataDir(i), '--timing', 'fast', ...extra], {env})
      children[i] = child
      all.push(child)
      return child
    },
    async kill9(i) {
      const child = children[i]
      assert.ok(child, `n${i} runs`)
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGKILL')
      await gone
      children[i] = null
    },
    diag: () => all.map((c) => c.output().split('\n').slice(-12).join('\n')).join('\n----\n'),
  }
}

/** A member's own `GET /status`, or null when it does not answer 200. */
export async function statusOf(port: number, token?: string, timeoutMs = 1000): Promise<MemberStatus | null> {
  try {
    const r = await httpGet(port, '/status', {token, timeoutMs})
    return r.status === 200 ? (JSON.parse(r.body) as MemberStatus) : null
  } catch {
    return null
  }
}

/** Exactly one leader among the members at `indexes`, followed by all of them in its term. */
export async function oneLeader(c: ProcessCluster, indexes: number[], timeoutMs = 15_000): Promise<{leader: number; term: number}> {
  try {
    return await waitFor(
      `one leader among ${indexes.map((i) => `n${i}`).join(', ')}`,
      async () => {
        const st = await Promise.all(indexes.map((i) => statusOf(c.ports[i])))
        if (st.some((s) => s === null)) return false
        const leaders = st.filter((s) => s!.role === 'LEADER')
        if (leaders.length !== 1) return false
        const {id, term} = leaders[0]!
        return st.every((s) => s!.leaderId === id && s!.term === term) ? {leader: Number(id.slice(1)), term} : false
      },
      timeoutMs,
      20,
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${c.diag()}`)
  }
}

/** Resolves with the child's exit (rejects after timeoutMs with its output). */
export function exited(child: Child, timeoutMs = 10_000): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({code: child.exitCode, signal: child.signalCode})
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms:\n${child.output()}`)), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal})
    })
  })
}

/** One vote-log record (spec §3), loosely typed. */
export interface VoteLogLine {
  ts: string
  node: string
  term: number
  type: string
  [field: string]: unknown
}

/** The records of `<dataDir>/vote.log` (rotated files not included); [] when there is none. */
export function readVoteLog(dataDir: string): VoteLogLine[] {
  const file = join(dataDir, 'vote.log')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as VoteLogLine)
}

/** term → the members whose vote logs say they became LEADER in it (ROLE_CHANGE to LEADER). */
export function leadersByTerm(dataDirs: string[]): Map<number, string[]> {
  const byTerm = new Map<number, string[]>()
  for (const dir of dataDirs) {
    for (const e of readVoteLog(dir)) {
      if (e.type !== 'ROLE_CHANGE' || e.to !== 'LEADER') continue
      const ids = byTerm.get(e.term) ?? []
      if (!ids.includes(e.node)) ids.push(e.node)
      byTerm.set(e.term, ids)
    }
  }
  return byTerm
}

/** Fails when any term has two leaders in the vote logs (election safety, read from the logs). */
export function assertOneLeaderPerTerm(dataDirs: string[]): Map<number, string[]> {
  const byTerm = leadersByTerm(dataDirs)
  const doubled = [...byTerm].filter(([, ids]) => ids.length > 1)
  assert.deepEqual(doubled, [], `two leaders in one term: ${JSON.stringify(doubled)}`)
  return byTerm
}

/** What `dledger up` records for each member it starts (`<home>/run/<id>.json`). */
export interface UpRecord {
  pid: number
  id: string
  port: number
}

/** The run records of the members `up` started in this sandbox; each PID is tracked for cleanup. */
export function trackUpMembers(sb: Sandbox): UpRecord[] {
  const dir = join(sb.home, 'run')
  if (!existsSync(dir)) return []
  const records = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as UpRecord)
    .sort((a, b) => a.id.localeCompare(b.id))
  for (const r of records) sb.track(r.pid)
  return records
}

/**
 * A fresh sandbox for one test, cleaned up when the test ends: every process it started is killed,
 * the detached members of `dledger up` too (found from their run records), and its home removed.
 */
export function sandbox(t: TestContext, prefix = 'dledger-e2e-'): Sandbox {
  const sb = new Sandbox(prefix)
  t.after(async () => {
    trackUpMembers(sb)
    await sb.cleanup()
  })
  return sb
}

/** The longest time without a leader, sampled from every member's /status. */
export interface LeaderGap {
  /** the longest stretch between a sample that showed a LEADER and the next one that did */
  maxGapMs: number
  samples: number
  leaderlessSamples: number
}

/**
 * Samples every member's /status every `everyMs` (one round at a time) until `stop()`, and
 * measures the longest stretch without any member reporting itself LEADER.
 */
export function watchLeaderGap(ports: number[], opts: {everyMs?: number; token?: string} = {}): {stop(): Promise<LeaderGap>} {
  let stopped = false
  let lastLeaderAt: number | null = null
  let inGap = false
  const gap: LeaderGap = {maxGapMs: 0, samples: 0, leaderlessSamples: 0}
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now()
      const st = await Promise.all(ports.map((p) => statusOf(p, opts.token, 300)))
      const at = performance.now()
      gap.samples++
      if (st.some((s) => s?.role === 'LEADER')) {
        if (inGap && lastLeaderAt !== null) gap.maxGapMs = Math.max(gap.maxGapMs, at - lastLeaderAt)
        inGap = false
        lastLeaderAt = at
      } else {
        gap.leaderlessSamples++
        inGap = true
      }
      const pause = (opts.everyMs ?? 5) - (performance.now() - started)
      if (pause > 0) await new Promise((r) => setTimeout(r, pause))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      // still leaderless at the end: count the open stretch too
      if (inGap && lastLeaderAt !== null) gap.maxGapMs = Math.max(gap.maxGapMs, performance.now() - lastLeaderAt)
      return gap
    },
  }
}

/**
 * A sandbox for `dledger test … --home <sb.home>/home`, whose cleanup also kills the members the
 * run spawned (by the PIDs of their run records), should the run be cut short.
 */
export function testRunSandbox(t: TestContext, prefix = 'dledger-e2e-scenario-'): Sandbox {
  const sb = new Sandbox(prefix)
  t.after(async () => {
    const runDir = join(sb.home, 'home', 'run')
    let files: string[] = []
    try {
      files = readdirSync(runDir)
    } catch {
      // no member left running
    }
    for (const f of files) {
      try {
        const {pid} = JSON.parse(readFileSync(join(runDir, f), 'utf8')) as {pid: number}
        process.kill(pid, 'SIGCONT')
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    await sb.cleanup()
  })
  return sb
}
