/**
 * Real-process measurements (issue 3): cold start (spawn → elected leader), failover after
 * `kill -9` of the leader, `status --json` latency, idle RSS per member. Members run with the
 * `fast` timing preset on 127.0.0.1, spawned exactly as a user would (`dledger start`).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {freePorts, httpGet, peersFor, Sandbox, waitFor} from '../test/helpers/processes.js'
import {type BenchRow, median, quantile, round} from './stats.js'

interface Status {
  id: string
  role: string
  term: number
}

async function statusOf(port: number): Promise<Status | null> {
  try {
    const res = await httpGet(port, '/status', {timeoutMs: 300})
    return res.status === 200 ? (JSON.parse(res.body) as Status) : null
  } catch {
    return null
  }
}

async function leaderAmong(ports: number[]): Promise<Status | null> {
  const all = await Promise.all(ports.map(statusOf))
  const leaders = all.filter((s): s is Status => s !== null && s.role === 'LEADER')
  if (leaders.length === 0) return null
  return leaders.sort((a, b) => b.term - a.term)[0] as Status
}

function rssMb(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? Number.NaN)
  return kb / 1024
}

export interface ClusterSample {
  nodes: number
  coldStartMs: number
  failoverMs: number
  statusCliMs: number[]
  statusHttpMs: number[]
  rssMb: number[]
}

/** One round: start `nodes` members, measure, kill the leader, measure, stop everything. */
export async function clusterRound(nodes: number): Promise<ClusterSample> {
  const sandbox = new Sandbox('dledger-bench-')
  try {
    const ports = await freePorts(nodes)
    const peers = peersFor(ports)
    const t0 = performance.now()
    const children = ports.map((_, i) =>
      sandbox.spawn(['start', '--id', `n${i}`, '--peers', peers, '--data-dir', join(sandbox.home, `n${i}`), '--timing', 'fast']),
    )
    const first = await waitFor('a leader', () => leaderAmong(ports), 20000, 5)
    const coldStartMs = performance.now() - t0
    await new Promise((r) => setTimeout(r, 1000))
    const rss = children.map((c) => rssMb(c.pid as number))
    const statusHttpMs: number[] = []
    for (let i = 0; i < 10; i++) {
      const s = performance.now()
      await Promise.all(ports.map(statusOf))
      statusHttpMs.push(performance.now() - s)
    }
    const statusCliMs: number[] = []
    for (let i = 0; i < 3; i++) {
      const s = performance.now()
      const res = await sandbox.run(['status', '--json', '--peers', peers])
      if (res.code !== 0) throw new Error(`status failed: ${res.stderr}`)
      statusCliMs.push(performance.now() - s)
    }
    const leaderIndex = Number(first.id.slice(1))
    const survivors = ports.filter((_, i) => i !== leaderIndex)
    const t1 = performance.now()
    children[leaderIndex]?.kill('SIGKILL')
    await waitFor('a new leader', async () => {
      const l = await leaderAmong(survivors)
      return l !== null && l.term > first.term ? l : null
    }, 20000, 5)
    const failoverMs = performance.now() - t1
    return {nodes, coldStartMs, failoverMs, statusCliMs, statusHttpMs, rssMb: rss}
  } finally {
    await sandbox.cleanup()
  }
}

export async function clusterBench(opts: {sizes?: number[]; rounds?: number} = {}): Promise<{rows: BenchRow[]; samples: ClusterSample[]}> {
  const sizes = opts.sizes ?? [3, 5]
  const rounds = opts.rounds ?? 5
  const samples: ClusterSample[] = []
  const rows: BenchRow[] = []
  for (const n of sizes) {
    const mine: ClusterSample[] = []
    for (let r = 0; r < rounds; r++) mine.push(await clusterRound(n))
    samples.push(...mine)
    const cold = mine.map((s) => s.coldStartMs)
    const fail = mine.map((s) => s.failoverMs)
    const cli = mine.flatMap((s) => s.statusCliMs)
    const http = mine.flatMap((s) => s.statusHttpMs)
    const rss = mine.flatMap((s) => s.rssMb)
    const d = `${rounds} rounds`
    rows.push(
      {name: `${n} members: cold start to leader (median)`, value: round(median(cold)), unit: 'ms', detail: `${d}, p90 ${round(quantile(cold, 0.9))} ms`},
      {name: `${n} members: failover after kill -9 (median)`, value: round(median(fail)), unit: 'ms', detail: d},
      {name: `${n} members: failover after kill -9 (p90)`, value: round(quantile(fail, 0.9)), unit: 'ms', detail: d},
      {name: `${n} members: status --json, whole command (median)`, value: round(median(cli)), unit: 'ms', detail: `${cli.length} runs, p90 ${round(quantile(cli, 0.9))} ms`},
      {name: `${n} members: GET /status of all members (median)`, value: round(median(http)), unit: 'ms', detail: `${http.length} rounds`},
      {name: `${n} members: idle RSS per member (max)`, value: round(Math.max(...rss)), unit: 'MB', detail: `median ${round(median(rss))} MB`},
    )
  }
  return {rows, samples}
}
