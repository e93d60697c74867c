/**
 * Append throughput and commit latency (issue 11) on 3 members, side by side with etcd when it
 * is installed. dledger: members with the `fast` timing preset, appends sent to the leader over
 * one admin connection (`dledger append` without its process start), each answered once
 * committed (fsync on every member before its ack). etcd: the same on its JSON gateway over one
 * keep-alive connection, `put` per entry and a `txn` of puts per batch (its WAL fsyncs on commit,
 * the same durability). Sequential requests: one in flight at a time, so a request's latency is
 * the commit latency and the throughput is what one client gets. Then CLIENTS clients at once
 * (one entry per request, each client sequential), which shows what pipelined pushes give.
 * The members' CPU time per entry (Linux /proc) during the one-entry series is the figure that
 * depends least on what else the machine runs.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {connectMember} from '../src/cli/member-client.js'
import {parsePeers} from '../src/core/settings.js'
import {freePorts, httpGet, peersFor, Sandbox, waitFor} from '../test/helpers/processes.js'
import {ETCD_TIMERS, etcdAvailable, etcdFlags} from './etcd-bench.js'
import {type BenchRow, median, quantile, round} from './stats.js'

const BODY = 'x'.repeat(100)
/** how many clients append at once in the concurrent series */
const CLIENTS = 8

interface Series {
  /** latency of each request, ms */
  latencies: number[]
  entries: number
  totalMs: number
}

/** The CPU time (user + system) the processes used so far, ms; null where /proc is not there. */
function cpuMs(pids: readonly (number | undefined)[]): number | null {
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100
    let ticks = 0
    for (const pid of pids) {
      // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return (ticks / hz) * 1000
  } catch {
    return null
  }
}

/** The single series, with the members' CPU time per entry when it can be read. */
async function measureWithCpu(pids: readonly (number | undefined)[], n: number, send: () => Promise<void>): Promise<Series & {cpuMsPerEntry: number | null}> {
  const before = cpuMs(pids)
  const series = await measure(n, 1, send)
  const after = cpuMs(pids)
  return {...series, cpuMsPerEntry: before === null || after === null ? null : (after - before) / series.entries}
}

function rows(prefix: string, single: Series & {cpuMsPerEntry: number | null}, batch: Series, batchSize: number, concurrent: Series): BenchRow[] {
  const cpu: BenchRow[] = single.cpuMsPerEntry === null ? [] : [{name: `${prefix}append 1/request members' CPU`, value: single.cpuMsPerEntry, unit: 'ms/entry', detail: 'user + system of the 3 members, summed'}]
  return [
    ...cpu,
    {name: `${prefix}append 1/request throughput`, value: (single.entries / single.totalMs) * 1000, unit: 'entries/s', detail: `${single.entries} sequential requests, 100-byte bodies`},
    {name: `${prefix}append 1/request commit p50`, value: median(single.latencies), unit: 'ms', detail: `p99 ${round(quantile(single.latencies, 0.99))} ms`},
    {name: `${prefix}append ${batchSize}/request throughput`, value: (batch.entries / batch.totalMs) * 1000, unit: 'entries/s', detail: `${batch.latencies.length} sequential requests`},
    {name: `${prefix}append ${batchSize}/request commit p50`, value: median(batch.latencies), unit: 'ms', detail: `p99 ${round(quantile(batch.latencies, 0.99))} ms`},
    {name: `${prefix}append 1/request ${CLIENTS} clients throughput`, value: (concurrent.entries / concurrent.totalMs) * 1000, unit: 'entries/s', detail: `${concurrent.latencies.length} requests, ${CLIENTS} at a time`},
    {name: `${prefix}append 1/request ${CLIENTS} clients commit p50`, value: median(concurrent.latencies), unit: 'ms', detail: `p99 ${round(quantile(concurrent.latencies, 0.99))} ms`},
  ]
}

async function measure(n: number, perRequest: number, send: () => Promise<void>): Promise<Series> {
  const latencies: number[] = []
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const s = performance.now()
    await send()
    latencies.push(performance.now() - s)
  }
  return {latencies, entries: n * perRequest, totalMs: performance.now() - t0}
}

/** `n` requests of one entry, CLIENTS at a time (each client waits for its answer before the next). */
async function measureConcurrent(n: number, send: () => Promise<void>): Promise<Series> {
  const series = await Promise.all(Array.from({length: CLIENTS}, () => measure(Math.ceil(n / CLIENTS), 1, send)))
  return {latencies: series.flatMap((s) => s.latencies), entries: series.reduce((k, s) => k + s.entries, 0), totalMs: Math.max(...series.map((s) => s.totalMs))}
}

async function dledgerRound(singles: number, batches: number, batchSize: number): Promise<BenchRow[]> {
  const sb = new Sandbox('dledger-bench-append-')
  try {
    const ports = await freePorts(3)
    const peers = peersFor(ports)
    const members = [0, 1, 2].map((i) => sb.spawn(['start', '--id', `n${i}`, '--peers', peers, '--data-dir', join(sb.home, `n${i}`), '--timing', 'fast']))
    const leader = await waitFor('a leader', async () => {
      for (const port of ports) {
        const r = await httpGet(port, '/status', {timeoutMs: 300}).catch(() => null)
        const s = r?.status === 200 ? (JSON.parse(r.body) as {role: string; id: string}) : null
        if (s?.role === 'LEADER') return s.id
      }
      return false
    }, 20_000)
    const peer = parsePeers(peers).find((p) => p.id === leader)!
    const conn = await connectMember(peer, {requestTimeoutMs: 10_000})
    try {
      const append = async (bodies: string[]) => {
        const answer = await conn.admin({op: 'append', bodies})
        if (!answer.ok) throw new Error(`append failed: ${answer.code}: ${answer.error}`)
      }
      await append([BODY]) // warm-up
      const single = await measureWithCpu(members.map((m) => m.pid), singles, () => append([BODY]))
      const batch = await measure(batches, batchSize, () => append(Array(batchSize).fill(BODY)))
      const concurrent = await measureConcurrent(singles * 2, () => append([BODY]))
      return rows('', single, batch, batchSize, concurrent)
    } finally {
      conn.close()
    }
  } finally {
    await sb.cleanup()
  }
}

async function etcdRound(singles: number, batches: number, batchSize: number): Promise<BenchRow[]> {
  const sb = new Sandbox('dledger-bench-append-etcd-')
  const children: ChildProcess[] = []
  try {
    const ports = await freePorts(6)
    const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`
    const cluster = [0, 1, 2].map((i) => `e${i}=${peerUrl(i)}`).join(',')
    for (let i = 0; i < 3; i++) {
      const url = `http://127.0.0.1:${ports[2 * i]}`
      const child = spawn('etcd', [
        `--name=e${i}`,
        `--data-dir=${join(sb.home, `e${i}`)}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${peerUrl(i)}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=append-bench-${process.pid}`,
        ...etcdFlags(ETCD_TIMERS),
      ], {stdio: 'ignore'})
      children.push(child)
      sb.children.add(child)
    }
    const base = `http://127.0.0.1:${ports[0]}`
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, {method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000)})
      if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
    }
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    let key = 0
    const put = () => post('/v3/kv/put', {key: b64(`k${key++}`), value: b64(BODY)})
    await waitFor('etcd to accept a put', async () => put().then(() => true, () => false), 20_000, 50)
    const single = await measureWithCpu(children.map((c) => c.pid), singles, put)
    const batch = await measure(batches, batchSize, () =>
      post('/v3/kv/txn', {success: Array.from({length: batchSize}, () => ({requestPut: {key: b64(`k${key++}`), value: b64(BODY)}}))}),
    )
    const concurrent = await measureConcurrent(singles * 2, put)
    return rows('etcd ', single, batch, batchSize, concurrent)
  } finally {
    await sb.cleanup()
  }
}

/** Both sides, one round each; etcd only when it is on the PATH. */
export async function appendBench(opts: {singles?: number; batches?: number; batchSize?: number} = {}): Promise<{rows: BenchRow[]}> {
  const singles = opts.singles ?? 300
  const batches = opts.batches ?? 30
  const batchSize = opts.batchSize ?? 100
  const out = await dledgerRound(singles, batches, batchSize)
  if (etcdAvailable()) out.push(...(await etcdRound(singles, batches, batchSize)))
  else console.log('etcd not on PATH: skipping the side-by-side append run')
  return {rows: out}
}
