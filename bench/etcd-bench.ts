/**
 * Side by side (issues 3 and 4): the cluster and operator measurements against a local etcd
 * cluster, when `etcd` and `etcdctl` are on the PATH (Debian: etcd-server, etcd-client). Members
 * run on 127.0.0.1 with free ports, each with its own data dir in one temp dir, and are killed by
 * PID at the end. Per size and round: cold start (spawn of all members → a member's status reports
 * a leader), idle RSS per member after 1 s, status latency (`etcdctl endpoint status --cluster -w
 * json`, and POST /v3/maintenance/status to every member), `etcdctl move-leader` (whole command,
 * and spawn → the transferee's status shows it leading a newer term) and failover after `kill -9`
 * of the leader (→ a survivor reports another leader in a higher term). Status is polled every 5 ms.
 *
 * Timers: etcd rejects an election timeout under 5 heartbeats, so dledger's `fast` pair (heartbeat
 * 100 ms, follower timeout 3 × 100 ms) cannot be copied as is. The default keeps what decides
 * failover, the 300 ms timeout before a member campaigns, and uses the largest heartbeat etcd
 * allows with it (60 ms); pre-vote is on.
 *
 * Row names are the dledger rows' names with an `etcd ` prefix, so `ratioRows` can pair them;
 * the detail says which etcd command or request was measured.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {accessSync, constants, readFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'

import {freePorts, Sandbox} from '../test/helpers/processes.js'
import {type BenchRow, median, quantile, round} from './stats.js'

export interface EtcdTimers {
  heartbeatMs: number
  electionMs: number
}

/** heartbeat 60 ms, election timeout 300 ms: dledger `fast`'s 300 ms timeout (see above). */
export const ETCD_TIMERS: Readonly<EtcdTimers> = Object.freeze({heartbeatMs: 60, electionMs: 300})

const POLL_MS = 5
const PROBE_TIMEOUT_MS = 300
const WAIT_MS = 20_000
const CTL_TIMEOUT_MS = 15_000
const TRANSFERS_PER_ROUND = 3

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      // not here
    }
  }
  return false
}

/** `etcd` and `etcdctl` are both on the PATH. */
export function etcdAvailable(): boolean {
  return onPath('etcd') && onPath('etcdctl')
}

/** The environment without ETCD_* / ETCDCTL_* settings of the user's own (they would override or clash with flags). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v
  return {...env, ETCDCTL_API: '3'}
}

export function etcdFlags(timers: EtcdTimers): string[] {
  return [`--heartbeat-interval=${timers.heartbeatMs}`, `--election-timeout=${timers.electionMs}`, '--pre-vote=true', '--logger=zap', '--log-outputs=stderr', '--log-level=error']
}

interface Member {
  name: string
  clientPort: number
  peerPort: number
  url: string
  child: ChildProcess
  output: () => string
  /** decimal uint64, as the JSON gateway writes it; learnt from the member's first status */
  id?: string
}

interface EtcdStatus {
  memberId: string
  /** '0' while the member knows no leader */
  leader: string
  term: number
}

/** POST /v3/maintenance/status on a member's client URL; null when it does not answer in time. */
async function statusOf(port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<EtcdStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v3/maintenance/status`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    if (!res.ok) return null
    const j = JSON.parse(text) as {header?: {member_id?: string}; leader?: string; raftTerm?: string}
    return {memberId: String(j.header?.member_id ?? '0'), leader: String(j.leader ?? '0'), term: Number(j.raftTerm ?? 0)}
  } catch {
    return null
  }
}

/** Resolves with the first member status that satisfies `ok`, or null once every probe is done without one. */
function firstStatus(ports: number[], ok: (s: EtcdStatus) => boolean, timeoutMs = PROBE_TIMEOUT_MS): Promise<EtcdStatus | null> {
  return new Promise((resolve) => {
    let pending = ports.length
    for (const p of ports) {
      void statusOf(p, timeoutMs).then((s) => {
        if (s !== null && ok(s)) resolve(s)
        if (--pending === 0) resolve(null)
      })
    }
  })
}

/** Every member answers and all report the same leader and term. */
async function agreedLeader(members: Member[]): Promise<EtcdStatus | null> {
  const st = await Promise.all(members.map((m) => statusOf(m.clientPort)))
  const first = st[0]
  if (first === null || first === undefined || first.leader === '0') return null
  return st.every((s) => s !== null && s.leader === first.leader && s.term === first.term) ? first : null
}

/** Polls `check` every `everyMs` until it returns non-null; fails at the deadline or when a member exits. */
async function until<T>(what: string, check: () => Promise<T | null>, members: Member[], opts: {timeoutMs?: number; everyMs?: number; allowExited?: Member[]} = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? WAIT_MS)
  for (;;) {
    const dead = members.find((m) => !opts.allowExited?.includes(m) && (m.child.exitCode !== null || m.child.signalCode !== null))
    if (dead) throw new Error(`etcd member ${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}:\n${dead.output()}`)
    const v = await check()
    if (v !== null) return v
    if (Date.now() >= deadline) {
      const tails = members.map((m) => `--- ${m.name}\n${m.output().slice(-2000)}`).join('\n')
      throw new Error(`timed out after ${opts.timeoutMs ?? WAIT_MS} ms waiting for ${what}\n${tails}`)
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? POLL_MS))
  }
}

function spawnTracked(sb: Sandbox, cmd: string, args: string[]): ChildProcess & {output: () => string} {
  const child = spawn(cmd, args, {cwd: sb.home, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']})
  sb.children.add(child) // killed by PID at cleanup
  let out = ''
  const keep = (d: string) => {
    out = (out + d).slice(-16_000)
  }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  child.on('exit', () => sb.children.delete(child))
  return Object.assign(child, {output: () => out})
}

/** Runs `etcdctl args…` to completion (killed after CTL_TIMEOUT_MS); the wall time covers spawn → exit. */
function etcdctl(sb: Sandbox, args: string[]): Promise<{code: number | null; stdout: string; stderr: string; wallMs: number}> {
  const t0 = performance.now()
  const child = spawn('etcdctl', ['--dial-timeout=2s', '--command-timeout=10s', ...args], {cwd: sb.home, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']})
  sb.children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), CTL_TIMEOUT_MS)
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const wallMs = performance.now() - t0
      clearTimeout(timer)
      sb.children.delete(child)
      resolve({code, stdout, stderr, wallMs})
    })
  })
}

async function ctlOk(sb: Sandbox, args: string[]): Promise<number> {
  const r = await etcdctl(sb, args)
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`)
  return r.wallMs
}

function rssMb(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? Number.NaN) / 1024
}

export interface EtcdSample {
  nodes: number
  coldStartMs: number
  failoverMs: number
  statusCliMs: number[]
  statusHttpMs: number[]
  rssMb: number[]
  moveLeader: {wallMs: number; visibleMs: number}[]
  etcdctlVersionMs: number[]
}

/** One round: start `nodes` etcd members, measure, move the leader, kill the leader, stop everything. */
export async function etcdRound(nodes: number, timers: EtcdTimers = ETCD_TIMERS): Promise<EtcdSample> {
  if (timers.electionMs < 5 * timers.heartbeatMs) throw new Error(`etcd rejects --election-timeout=${timers.electionMs} under 5 × --heartbeat-interval=${timers.heartbeatMs}`)
  const sb = new Sandbox('dledger-bench-etcd-')
  try {
    const ports = await freePorts(2 * nodes)
    const names = Array.from({length: nodes}, (_, i) => `e${i}`)
    const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`
    const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',')
    const token = `dledger-bench-${process.pid}-${Date.now()}`
    const t0 = performance.now()
    const members: Member[] = names.map((name, i) => {
      const clientPort = ports[2 * i] as number
      const url = `http://127.0.0.1:${clientPort}`
      const child = spawnTracked(sb, 'etcd', [
        `--name=${name}`,
        `--data-dir=${join(sb.home, name)}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${peerUrl(i)}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${token}`,
        ...etcdFlags(timers),
      ])
      return {name, clientPort, peerPort: ports[2 * i + 1] as number, url, child, output: child.output}
    })
    const clientPorts = members.map((m) => m.clientPort)
    // a member serves its client URL once it has published itself through the elected leader;
    // probes made before wait on the open socket, so they get a longer bound than later ones
    await until('a leader', () => firstStatus(clientPorts, (s) => s.leader !== '0', 2000), members)
    const coldStartMs = performance.now() - t0

    await new Promise((r) => setTimeout(r, 1000))
    let leader = await until('all members agreeing on a leader', () => agreedLeader(members), members)
    const rss = members.map((m) => rssMb(m.child.pid as number))
    const ids = await Promise.all(members.map((m) => until(`${m.name}'s status`, () => statusOf(m.clientPort), members)))
    ids.forEach((s, i) => ((members[i] as Member).id = s.memberId))
    const indexOf = (id: string) => members.findIndex((m) => m.id === id)

    const statusHttpMs: number[] = []
    for (let i = 0; i < 10; i++) {
      const s = performance.now()
      const st = await Promise.all(clientPorts.map((p) => statusOf(p)))
      statusHttpMs.push(performance.now() - s)
      if (st.some((x) => x === null)) throw new Error('a member did not answer the status request')
    }
    const endpoints = `--endpoints=${members.map((m) => m.url).join(',')}`
    const statusCliMs: number[] = []
    for (let i = 0; i < 3; i++) statusCliMs.push(await ctlOk(sb, [endpoints, 'endpoint', 'status', '--cluster', '-w', 'json']))
    const etcdctlVersionMs: number[] = []
    for (let i = 0; i < 3; i++) etcdctlVersionMs.push(await ctlOk(sb, ['version']))

    const moveLeader: EtcdSample['moveLeader'] = []
    for (let r = 0; r < TRANSFERS_PER_ROUND; r++) {
      const from = members[indexOf(leader.leader)] as Member
      const to = members[(indexOf(leader.leader) + 1) % nodes] as Member
      const previousTerm = leader.term
      const hexId = BigInt(to.id as string).toString(16)
      let visibleMs = Number.NaN
      let watching = true
      const s = performance.now()
      // the transferee's status, polled while etcdctl runs: it may show the change before exit
      const watch = (async () => {
        const deadline = Date.now() + WAIT_MS
        while (watching && Date.now() < deadline) {
          const st = await statusOf(to.clientPort)
          if (st !== null && st.leader === to.id && st.term > previousTerm) {
            visibleMs = performance.now() - s
            return
          }
          await new Promise((res) => setTimeout(res, POLL_MS))
        }
      })()
      const moved = await etcdctl(sb, [`--endpoints=${from.url}`, 'move-leader', hexId])
      if (moved.code !== 0) {
        watching = false
        await watch
        throw new Error(`etcdctl move-leader ${hexId} failed (${moved.code}): ${moved.stderr || moved.stdout}`)
      }
      await watch // bounded by its deadline
      const wallMs = moved.wallMs
      if (Number.isNaN(visibleMs)) throw new Error(`move-leader to ${to.name}: its status never showed it leading`)
      moveLeader.push({wallMs, visibleMs})
      leader = await until('all members agreeing on the new leader', async () => {
        const l = await agreedLeader(members)
        return l !== null && l.leader === to.id ? l : null
      }, members)
    }

    const victim = members[indexOf(leader.leader)] as Member
    const survivors = members.filter((m) => m !== victim).map((m) => m.clientPort)
    const t1 = performance.now()
    victim.child.kill('SIGKILL')
    await until('a new leader', () => firstStatus(survivors, (st) => st.leader !== '0' && st.leader !== victim.id && st.term > leader.term), members, {allowExited: [victim]})
    const failoverMs = performance.now() - t1
    return {nodes, coldStartMs, failoverMs, statusCliMs, statusHttpMs, rssMb: rss, moveLeader, etcdctlVersionMs}
  } finally {
    await sb.cleanup()
  }
}

export async function etcdBench(opts: {sizes?: number[]; rounds: number; timers?: EtcdTimers}): Promise<{rows: BenchRow[]; samples: unknown}> {
  const sizes = opts.sizes ?? [3, 5]
  const timers = opts.timers ?? ETCD_TIMERS
  const version = /etcd Version: (\S+)/.exec((await etcdVersion()) ?? '')?.[1] ?? 'unknown'
  const samples: EtcdSample[] = []
  const rows: BenchRow[] = []
  const p90 = (xs: number[]) => `p90 ${round(quantile(xs, 0.9))} ms`
  const timing = `heartbeat ${timers.heartbeatMs} ms, election ${timers.electionMs} ms, pre-vote`
  for (const n of sizes) {
    const mine: EtcdSample[] = []
    for (let r = 0; r < opts.rounds; r++) mine.push(await etcdRound(n, timers))
    samples.push(...mine)
    const cold = mine.map((s) => s.coldStartMs)
    const fail = mine.map((s) => s.failoverMs)
    const cli = mine.flatMap((s) => s.statusCliMs)
    const http = mine.flatMap((s) => s.statusHttpMs)
    const rss = mine.flatMap((s) => s.rssMb)
    const moveWall = mine.flatMap((s) => s.moveLeader.map((m) => m.wallMs))
    const moveVisible = mine.flatMap((s) => s.moveLeader.map((m) => m.visibleMs))
    const d = `${opts.rounds} rounds`
    // the operator rows of ops-bench are for one 3-member cluster: the 3-member etcd rows take their names
    const ops = n === 3 ? 'etcd ' : `etcd ${n} members: `
    rows.push(
      {name: `etcd ${n} members: cold start to leader (median)`, value: round(median(cold)), unit: 'ms', detail: `${d}, min ${round(Math.min(...cold))} ms, ${p90(cold)}; etcd ${version}, ${timing}`},
      {name: `etcd ${n} members: failover after kill -9 (median)`, value: round(median(fail)), unit: 'ms', detail: `${d}; ${timing}`},
      {name: `etcd ${n} members: failover after kill -9 (p90)`, value: round(quantile(fail, 0.9)), unit: 'ms', detail: d},
      {name: `etcd ${n} members: status --json, whole command (median)`, value: round(median(cli)), unit: 'ms', detail: `etcdctl endpoint status --cluster -w json: ${cli.length} runs, ${p90(cli)}`},
      {name: `etcd ${n} members: GET /status of all members (median)`, value: round(median(http)), unit: 'ms', detail: `POST /v3/maintenance/status to each: ${http.length} rounds`},
      {name: `etcd ${n} members: idle RSS per member (max)`, value: round(Math.max(...rss)), unit: 'MB', detail: `median ${round(median(rss))} MB`},
      {name: `${ops}transfer-leader: whole command (median)`, value: round(median(moveWall)), unit: 'ms', detail: `etcdctl move-leader, ${n} members: ${moveWall.length} runs, ${p90(moveWall)}`},
      {name: `${ops}transfer-leader: request → status shows it (median)`, value: round(median(moveVisible)), unit: 'ms', detail: `spawn of etcdctl move-leader → transferee's status: ${moveVisible.length} runs, ${p90(moveVisible)}`},
    )
  }
  const ver = samples.flatMap((s) => s.etcdctlVersionMs)
  rows.push({name: 'etcd etcdctl version, whole command (median)', value: round(median(ver)), unit: 'ms', detail: `etcdctl's own start-up, for the whole-command rows: ${ver.length} runs`})
  return {rows, samples: {version, timers, flags: etcdFlags(timers), transfersPerRound: TRANSFERS_PER_ROUND, rounds: samples}}
}

function etcdVersion(): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('etcd', ['--version'], {env: cleanEnv(), stdio: ['ignore', 'pipe', 'ignore']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.on('error', () => resolve(null))
    child.on('close', () => {
      clearTimeout(timer)
      resolve(out)
    })
  })
}

/** `ratio dledger/etcd: <name>` for every etcd row whose name without `etcd ` is a dledger row's name (same unit). */
export function ratioRows(dledgerRows: BenchRow[], etcdRows: BenchRow[]): BenchRow[] {
  const out: BenchRow[] = []
  for (const e of etcdRows) {
    if (!e.name.startsWith('etcd ')) continue
    const name = e.name.slice('etcd '.length)
    const d = dledgerRows.find((r) => r.name === name)
    if (d === undefined || d.unit !== e.unit || !Number.isFinite(d.value) || !Number.isFinite(e.value) || e.value <= 0) continue
    const ratio = d.value / e.value
    out.push({name: `ratio dledger/etcd: ${name}`, value: round(ratio, 2), unit: '×', detail: `${d.value} ${d.unit} / ${e.value} ${e.unit} = ${round(ratio, 2)}×`})
  }
  return out
}
