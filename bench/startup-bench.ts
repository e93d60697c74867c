/**
 * Start-up and memory (issue 13): what every command pays before it does anything, as wall time
 * and as a ratio to `node -e 0` measured in the same run (the ratio holds on another machine;
 * the milliseconds do not). Per round, interleaved so load hits every command alike:
 * `node -e 0`, `dledger --version`, `--help`, `status --json` and `leader` against a running
 * 3-member cluster; then the idle RSS of those members (spawned as `dledger start`, as a user
 * would) and, unless `quick`, `dledger up` of 3 and 5 members until a leader is followed by every
 * member (the whole command, each round in a fresh home, stopped with `dledger down`).
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {freePorts, peersFor, REPO_ROOT, Sandbox, waitFor} from '../test/helpers/processes.js'
import {type BenchRow, median, quantile, round} from './stats.js'

export interface StartupSamples {
  /** wall ms per command, one entry per round */
  commands: Record<string, number[]>
  memberRssMb: number[]
  /** anonymous memory of each member (smaps_rollup), MB */
  memberPrivateMb: number[]
  upMs: Record<string, number[]>
}

/** The commands timed against bare Node; the key is the row name. */
const COMMANDS: Record<string, (peers: string) => string[]> = {
  'dledger --version': () => ['--version'],
  'dledger --help': () => ['--help'],
  'dledger status --json': (peers) => ['status', '--json', '--peers', peers],
  'dledger leader': (peers) => ['leader', '--peers', peers],
}
export const BARE = 'node -e 0'

function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, {cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe']})
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  // a hung command fails the bench instead of hanging it
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer)
      const ms = performance.now() - t0
      if (code === 0) resolve(ms)
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))
    })
  })
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN)
  return kb / 1024
}

/**
 * The part of a member's RSS that is its own: anonymous memory (heaps, stacks). Most of the rest
 * is the `node` binary's pages, which every member on the host shares.
 */
function privateMb(pid: number): number {
  const kb = Number(/Anonymous:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? Number.NaN)
  return kb / 1024
}

async function leaderFollowed(sb: Sandbox, peers: string): Promise<boolean> {
  const r = await sb.run(['health', '--peers', peers], {timeoutMs: 5000})
  return r.code === 0
}

export async function startupBench(opts: {rounds?: number; quick?: boolean} = {}): Promise<{rows: BenchRow[]; samples: StartupSamples}> {
  const rounds = opts.rounds ?? 11
  const samples: StartupSamples = {commands: {[BARE]: []}, memberRssMb: [], memberPrivateMb: [], upMs: {}}
  for (const name of Object.keys(COMMANDS)) samples.commands[name] = []
  const sb = new Sandbox('dledger-bench-startup-')
  try {
    const ports = await freePorts(3)
    const peers = peersFor(ports)
    const members = ports.map((_, i) => sb.spawn(['start', '--id', `n${i}`, '--peers', peers, '--data-dir', join(sb.home, `n${i}`), '--timing', 'fast']))
    await waitFor('a followed leader', () => leaderFollowed(sb, peers), 20_000, 50)
    const env = sb.env()
    const bin = join(REPO_ROOT, 'bin', 'run.js')
    for (let r = 0; r < rounds + 1; r++) {
      const keep = r > 0 // the first round warms the page cache
      const bare = await timeProcess(['-e', '0'], env)
      if (keep) samples.commands[BARE]!.push(bare)
      for (const [name, args] of Object.entries(COMMANDS)) {
        const ms = await timeProcess([bin, ...args(peers)], env)
        if (keep) samples.commands[name]!.push(ms)
      }
    }
    await new Promise((res) => setTimeout(res, 500))
    samples.memberRssMb.push(...members.map((c) => rssMb(c.pid as number)))
    samples.memberPrivateMb.push(...members.map((c) => privateMb(c.pid as number)))
  } finally {
    await sb.cleanup()
  }
  if (!opts.quick) {
    for (const n of [3, 5]) {
      const key = `dledger up, ${n} members`
      samples.upMs[key] = []
      for (let r = 0; r < Math.max(3, Math.ceil(rounds / 2)); r++) samples.upMs[key].push(await upOnce(n))
    }
  }
  return {rows: startupRows(samples), samples}
}

/** `dledger up` of n members with the fast timing, in a fresh home: wall ms until it returns (a leader followed by all). */
async function upOnce(n: number): Promise<number> {
  const sb = new Sandbox('dledger-bench-up-')
  try {
    const peers = peersFor(await freePorts(n))
    const t0 = performance.now()
    const r = await sb.run(['up', '--peers', peers, '--timing', 'fast', '--json'], {timeoutMs: 30_000})
    const ms = performance.now() - t0
    if (r.code !== 0) throw new Error(`up failed (${r.code}): ${r.stderr || r.stdout}`)
    for (const m of (JSON.parse(r.stdout) as {members: {pid?: number}[]}).members) if (m.pid) sb.track(m.pid)
    await sb.run(['down'], {timeoutMs: 15_000})
    return ms
  } finally {
    await sb.cleanup()
  }
}

/** The ratio of a command's median to bare Node's median in the same run. */
export function ratios(samples: StartupSamples): Record<string, number> {
  const bare = median(samples.commands[BARE] ?? [])
  const out: Record<string, number> = {}
  for (const [name, xs] of Object.entries(samples.commands)) if (name !== BARE) out[name] = round(median(xs) / bare, 2)
  return out
}

function startupRows(s: StartupSamples): BenchRow[] {
  const rows: BenchRow[] = []
  const bare = median(s.commands[BARE] ?? [])
  const r = ratios(s)
  for (const [name, xs] of Object.entries(s.commands)) {
    const ratio = name === BARE ? '' : `, ${r[name]}× bare node`
    rows.push({name: `startup: ${name} (median)`, value: round(median(xs)), unit: 'ms', detail: `${xs.length} runs, p90 ${round(quantile(xs, 0.9))} ms${ratio}`})
  }
  if (s.memberRssMb.length > 0)
    rows.push({name: 'startup: idle member RSS (max)', value: round(Math.max(...s.memberRssMb)), unit: 'MB', detail: `median ${round(median(s.memberRssMb))} MB of ${s.memberRssMb.length} members`})
  if (s.memberPrivateMb.length > 0)
    rows.push({
      name: 'startup: idle member private memory (max)',
      value: round(Math.max(...s.memberPrivateMb)),
      unit: 'MB',
      detail: 'anonymous pages of the RSS; the rest is mostly the node binary, shared by every member',
    })
  for (const [name, xs] of Object.entries(s.upMs)) {
    rows.push({name: `startup: ${name} to a followed leader (median)`, value: round(median(xs)), unit: 'ms', detail: `${xs.length} runs, p90 ${round(quantile(xs, 0.9))} ms, ${round(median(xs) / bare, 2)}× bare node`})
  }
  return rows
}
