/**
 * Operator measurements (issue 4) on a real 3-member cluster with the `fast` timing preset,
 * members spawned exactly as a user would (`dledger start`), commands run as a user would:
 * - `transfer-leader --to X`: the whole command (spawn → exit), the leader's SUCCESS answer after
 *   the request (tookMs) and the status showing the new leader (visibleMs, both from the CLI's
 *   --json); plain, and with --preferred (the transferee then campaigns after DLedger's short
 *   take-leadership delay, 10–30 ms, instead of the ordinary 50–150 ms);
 * - `elect --node X`: the whole command, and the request → status showing X leading;
 * - a clean restart of the leader: SIGTERM (hand-off) vs SIGUSR2 (`down --no-handoff`), with
 *   every member's /status polled every 5 ms: the longest time no member reports LEADER.
 * `etcdctl move-leader` is measured side by side by bench/etcd-bench.ts when etcd is installed.
 */
import {join} from 'node:path'

import {type Child, exited, statusOf, watchLeaderGap} from '../test/helpers/cluster.js'
import {freePorts, peersFor, Sandbox, waitFor} from '../test/helpers/processes.js'
import {type BenchRow, median, quantile, round} from './stats.js'

export interface OpsSamples {
  transfer: {wallMs: number; tookMs: number; visibleMs: number}[]
  transferPreferred: {wallMs: number; tookMs: number; visibleMs: number}[]
  elect: {wallMs: number; tookMs: number}[]
  restartHandoffGapMs: number[]
  restartNoHandoffGapMs: number[]
}

interface Leader {
  index: number
  term: number
}

async function leaderOf(ports: number[]): Promise<Leader | null> {
  const st = await Promise.all(ports.map((p) => statusOf(p, undefined, 300)))
  const leaders = st.filter((s) => s?.role === 'LEADER')
  if (leaders.length !== 1) return null
  const l = leaders[0]!
  return st.every((s) => s === null || (s.leaderId === l.id && s.term === l.term)) ? {index: Number(l.id.slice(1)), term: l.term} : null
}

async function timed<T>(sb: Sandbox, args: string[]): Promise<{wallMs: number; out: T}> {
  const t0 = performance.now()
  const r = await sb.run(args)
  const wallMs = performance.now() - t0
  if (r.code !== 0) throw new Error(`dledger ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`)
  return {wallMs, out: JSON.parse(r.stdout) as T}
}

/** One cluster, `rounds` rounds of each measurement. */
export async function opsBench(opts: {rounds?: number} = {}): Promise<{rows: BenchRow[]; samples: OpsSamples}> {
  const rounds = opts.rounds ?? 5
  const samples: OpsSamples = {transfer: [], transferPreferred: [], elect: [], restartHandoffGapMs: [], restartNoHandoffGapMs: []}
  const sb = new Sandbox('dledger-bench-ops-')
  try {
    const ports = await freePorts(3)
    const peers = peersFor(ports)
    const children: (Child | null)[] = [null, null, null]
    const start = (i: number) => {
      children[i] = sb.spawn(['start', '--id', `n${i}`, '--peers', peers, '--data-dir', join(sb.home, `n${i}`), '--timing', 'fast'])
    }
    for (let i = 0; i < 3; i++) start(i)
    const settle = () => waitFor('one leader', () => leaderOf(ports), 15_000, 10)
    let leader = await settle()

    // elections before the preferred leader is set (it would pull leadership back)
    for (let r = 0; r < rounds; r++) {
      const to = (leader.index + 1) % 3
      const {wallMs, out} = await timed<{tookMs: number; term: number}>(sb, ['elect', '--node', `n${to}`, '--peers', peers, '--json'])
      samples.elect.push({wallMs, tookMs: out.tookMs})
      leader = await settle()
    }
    for (let r = 0; r < rounds; r++) {
      const to = (leader.index + 1) % 3
      const {wallMs, out} = await timed<{tookMs: number; visibleMs: number}>(sb, ['transfer-leader', '--to', `n${to}`, '--peers', peers, '--json'])
      samples.transfer.push({wallMs, tookMs: out.tookMs, visibleMs: out.visibleMs})
      leader = await settle()
    }

    // clean restarts of the leader: with the hand-off (SIGTERM), then without (SIGUSR2)
    for (const signal of ['SIGTERM', 'SIGUSR2'] as const) {
      for (let r = 0; r < rounds; r++) {
        leader = await settle()
        await new Promise((res) => setTimeout(res, 300)) // a heartbeat round: the leader knows its followers are live
        const victim = children[leader.index]!
        const watch = watchLeaderGap(ports, {everyMs: 5})
        victim.kill(signal)
        await exited(victim)
        await waitFor('a new leader', async () => {
          const l = await leaderOf(ports)
          return l !== null && l.index !== leader.index ? l : null
        }, 10_000, 5)
        const gap = await watch.stop()
        ;(signal === 'SIGTERM' ? samples.restartHandoffGapMs : samples.restartNoHandoffGapMs).push(gap.maxGapMs)
        start(leader.index)
        await waitFor('the restarted member', () => statusOf(ports[leader.index]!, undefined, 300), 10_000, 20)
      }
    }

    // transfers with --preferred last: every member then prefers the transferee
    leader = await settle()
    for (let r = 0; r < rounds; r++) {
      const to = (leader.index + 1) % 3
      const {wallMs, out} = await timed<{tookMs: number; visibleMs: number}>(sb, ['transfer-leader', '--to', `n${to}`, '--preferred', '--peers', peers, '--json'])
      samples.transferPreferred.push({wallMs, tookMs: out.tookMs, visibleMs: out.visibleMs})
      leader = await settle()
    }
  } finally {
    await sb.cleanup()
  }
  return {rows: rows(samples), samples}
}

function rows(s: OpsSamples): BenchRow[] {
  const d = (xs: number[]) => `${xs.length} runs, p90 ${round(quantile(xs, 0.9))} ms`
  const out: BenchRow[] = []
  const series = (name: string, xs: number[], detail?: string) => out.push({name, value: round(median(xs)), unit: 'ms', detail: detail ?? d(xs)})
  series('transfer-leader: whole command (median)', s.transfer.map((x) => x.wallMs))
  series('transfer-leader: request → SUCCESS (median)', s.transfer.map((x) => x.tookMs))
  series('transfer-leader: request → status shows it (median)', s.transfer.map((x) => x.visibleMs))
  series('transfer-leader --preferred: whole command (median)', s.transferPreferred.map((x) => x.wallMs))
  series('transfer-leader --preferred: request → status shows it (median)', s.transferPreferred.map((x) => x.visibleMs))
  series('elect --node: whole command (median)', s.elect.map((x) => x.wallMs))
  series('elect --node: request → status shows it (median)', s.elect.map((x) => x.tookMs))
  series('clean leader restart, hand-off: leaderless gap (median)', s.restartHandoffGapMs, `${d(s.restartHandoffGapMs)}, max ${round(Math.max(...s.restartHandoffGapMs))} ms`)
  series('clean leader restart, --no-handoff: leaderless gap (median)', s.restartNoHandoffGapMs, `${d(s.restartNoHandoffGapMs)}, max ${round(Math.max(...s.restartNoHandoffGapMs))} ms`)
  return out
}
