/**
 * The script runner of `dledger test` (issue 10, item 3): the simulator's script, parsed by the
 * simulator's parser, run line by line at its time against a real local cluster. Targets such as
 * `leader` are resolved from the status at that moment; expectations poll the status until they
 * hold or their `within` window closes. Nothing here waits on a line: transfers, elections and
 * expectations run alongside the later lines, and the run waits for them at the end.
 */
import type {NodeId} from '../../core/types.js'
import {Rng} from '../../sim/random.js'
import {holds} from '../../sim/runner.js'
import {type Action, describeExpectation, type Expectation, formatTime, type Script, type ScriptLine, type Target} from '../../sim/script.js'
import type {ClusterView, TimelineEntry} from '../../sim/observer.js'
import type {ClusterStatus} from '../../wire/status.js'
import {faultOpOf, type FaultOp, resolveTargetIds} from '../faults.js'
import type {FaultInput} from '../timeline/model.js'
import {traceFault} from '../timeline/sources.js'
import type {LocalCluster} from './local-cluster.js'

export interface RealExpectation {
  line: number
  ok: boolean
  detail: string
  atMs: number
}

/** A script line that took the leader out (kill, isolate, pause): a failover starts there. */
export interface LeaderHit {
  atMs: number
  cause: 'kill' | 'isolate' | 'pause'
  leader: NodeId
}

/** How often expectations poll the status. */
const POLL_MS = 100
/** How long a stopped member may take to exit (a leader hands off first) before the run stops watching. */
const STOP_WATCH_MS = 15_000

/** The cluster view of a real status: the highest term a member reports and the member leading it. */
export function viewOf(status: ClusterStatus): ClusterView {
  const live = status.members.filter((m) => m.reachable && m.term !== null)
  if (live.length === 0) return {term: null, leaderId: null}
  const term = Math.max(...live.map((m) => m.term as number))
  return {term, leaderId: live.find((m) => m.role === 'LEADER' && m.term === term)?.id ?? null}
}

function describeView(v: ClusterView): string {
  if (v.term === null) return 'no member answers'
  return v.leaderId === null ? `no leader (highest term ${v.term})` : `${v.leaderId} leads term ${v.term}`
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })

export class RealScriptRunner {
  readonly expectations: RealExpectation[] = []
  readonly timeline: TimelineEntry[] = []
  readonly hits: LeaderHit[] = []
  /** the faults as they hit the members, for the timeline page (`--html`) */
  readonly faults: FaultInput[] = []
  private readonly background: Promise<void>[] = []
  private readonly rng: Rng
  private t0 = 0

  constructor(
    private readonly cluster: LocalCluster,
    private readonly script: Script,
    seed: number,
    private readonly signal: AbortSignal,
  ) {
    this.rng = new Rng(seed, 'faults')
  }

  /** Milliseconds since the script started. */
  now(): number {
    return Math.round(performance.now() - this.t0)
  }

  /** Runs every line at its time, then waits for what they started. Stops early when aborted. */
  async run(): Promise<void> {
    this.t0 = performance.now()
    for (const line of this.script.lines) {
      await sleep(line.atMs - this.now(), this.signal)
      if (this.signal.aborted) break
      await this.runLine(line)
    }
    await Promise.all(this.background)
  }

  /** When the run started, on the wall clock (ms since the epoch), to place vote-log records. */
  startedAtWallMs(): number {
    return Date.now() - this.now()
  }

  private note(kind: TimelineEntry['kind'], text: string, atMs = this.now()): void {
    this.timeline.push({atMs, kind, text})
  }

  /** A fault in `sim --trace`'s words (`crash`, `start`, `pause`, …): the page draws both runs alike. */
  private fault(line: {kind: string} & Record<string, unknown>, atMs = this.now()): void {
    const f = traceFault(line, atMs)
    if (f !== null) this.faults.push(f)
  }

  /** Waits (bounded) until a member that was sent SIGTERM is gone, and marks when it went down. */
  private async watchStop(id: NodeId): Promise<void> {
    const until = this.now() + STOP_WATCH_MS
    while (this.cluster.pidOf(id) !== null && this.now() < until && !this.signal.aborted) await sleep(50, this.signal)
    if (this.cluster.pidOf(id) === null) this.fault({kind: 'crash', node: id, cause: 'stop'})
  }

  private async resolve(t: Target, status: ClusterStatus): Promise<NodeId[]> {
    if (t.kind === 'killed') return this.cluster.ids.filter((id) => this.cluster.pidOf(id) === null)
    if (t.kind === 'follower') {
      const all = resolveTargetIds({kind: 'followers'}, status)
      return all.length === 0 ? [] : [this.rng.pick(all)]
    }
    return resolveTargetIds(t, status)
  }

  private async runLine(line: ScriptLine): Promise<void> {
    const a: Action = line.action
    const at = this.now()
    const say = (text: string) => this.note('script', `line ${line.line}: ${line.text.replace(/^at\s+\S+\s+/, '')}${text === '' ? '' : ` → ${text}`}`, at)
    const list = (ids: readonly NodeId[]) => (ids.length === 0 ? 'nobody' : ids.join(', '))
    const c = this.cluster
    const status = a.type === 'expect' || a.type === 'heal' || a.type === 'loss' ? null : await c.status()
    const leader = status === null ? null : viewOf(status).leaderId
    const hit = (cause: LeaderHit['cause'], ids: NodeId[]) => {
      if (leader !== null && ids.includes(leader)) this.hits.push({atMs: at, cause, leader})
    }
    switch (a.type) {
      case 'kill': {
        const ids = c.kill(await this.resolve(a.targets, status!))
        hit('kill', ids)
        for (const id of ids) this.fault({kind: 'crash', node: id}, at)
        return say(list(ids))
      }
      case 'restart': {
        const ids = await this.resolve(a.targets, status!)
        const running = ids.filter((id) => c.pidOf(id) !== null)
        const done = c.restart(ids)
        for (const id of done) this.fault({kind: 'start', node: id}, at)
        return say(`${list(done)}${running.length === 0 ? '' : `; warning: ${running.join(', ')} ${running.length === 1 ? 'is' : 'are'} running, not restarted (kill first)`}`)
      }
      case 'stop': {
        // SIGTERM: the member stops cleanly, a leader handing leadership off first; it is down once it exits
        const ids = c.signal(await this.resolve(a.targets, status!), 'SIGTERM')
        for (const id of ids) this.background.push(this.watchStop(id))
        return say(list(ids))
      }
      case 'pause': {
        const ids = c.signal(await this.resolve(a.targets, status!), 'SIGSTOP')
        hit('pause', ids)
        for (const id of ids) this.fault({kind: 'pause', node: id, ...(a.forMs === null ? {} : {forMs: a.forMs})}, at)
        if (a.forMs !== null && ids.length > 0) {
          const forMs = a.forMs
          this.background.push(
            sleep(forMs, this.signal).then(() => {
              // the time before SIGCONT: a resumed member may log its first event before we look again
              const atMs = this.now()
              const resumed = c.signal(ids, 'SIGCONT')
              for (const id of resumed) this.fault({kind: 'resume', node: id}, atMs)
              this.note('script', `line ${line.line}: ${list(resumed)} resumed after ${formatTime(forMs)}`, atMs)
            }),
          )
        }
        return say(`${list(ids)}${a.forMs === null || ids.length === 0 ? '' : `, resumes at ${formatTime(at + a.forMs)}`}`)
      }
      case 'resume': {
        const ids = c.signal(await this.resolve(a.targets, status!), 'SIGCONT')
        for (const id of ids) this.fault({kind: 'resume', node: id}, at)
        return say(list(ids))
      }
      case 'partition':
      case 'cut':
      case 'isolate':
      case 'heal':
      case 'loss': {
        const op = faultOpOf(a, status ?? (await c.status()))!
        if (op.kind === 'isolate') hit('isolate', op.ids)
        if (op.kind === 'partition' && leader !== null) {
          // a leader cut off from a majority cannot lead: a failover starts as with isolate
          const own = op.groups.find((g) => g.includes(leader))
          if (own !== undefined && own.length <= c.ids.length / 2) hit('isolate', [leader])
        }
        const members = await c.faults(op)
        this.fault(traceLineOf(op), at)
        const missed = members.filter((m) => m.error !== null).map((m) => m.id)
        const shown = op.kind === 'partition' ? op.groups.map((g) => list(g)).join(' | ') : op.kind === 'cut' ? `${list(op.from)} -> ${list(op.to)}` : op.kind === 'isolate' ? list(op.ids) : ''
        const note = missed.length > 0 ? `not set on ${missed.join(', ')} (no answer)` : ''
        return say([shown, note].filter((x) => x !== '').join('; '))
      }
      case 'transfer': {
        const [id] = await this.resolve(a.target, status!)
        if (id === undefined) return say('no such member now, skipped')
        say(leader === null ? `to ${id}: no leader, skipped` : `asked leader ${leader} to hand over to ${id}`)
        if (leader === null) return
        this.background.push(
          c.cli(['transfer-leader', '--to', id, '--timeout', '5000']).then((r) => this.note('transfer', `line ${line.line}: transfer to ${id}: ${firstLine(r.code === 0 ? r.stdout : r.stderr)}`)),
        )
        return
      }
      case 'elect': {
        const [id] = await this.resolve(a.target, status!)
        if (id === undefined) return say('no such member now, skipped')
        if (c.pidOf(id) === null) return say(`${id} is down, skipped`)
        if (c.isPaused(id)) return say(`${id} is paused, skipped`)
        say(`${id} campaigns for the next term`)
        this.fault({kind: 'elect', node: id}, at)
        this.background.push(c.cli(['elect', '--node', id, '--timeout', '5000']).then((r) => this.note('leader', `line ${line.line}: elect ${id}: ${firstLine(r.code === 0 ? r.stdout : r.stderr)}`)))
        return
      }
      case 'append': {
        // through the operator path: `dledger append` finds the leader and waits for the commit
        say(`a client appends ${a.count} ${a.count === 1 ? 'entry' : 'entries'}`)
        this.background.push(c.cli(['append', `entry at line ${line.line}`, '--count', String(a.count), '--timeout', '5000']).then((r) => this.note('leader', `line ${line.line}: append: ${firstLine(r.code === 0 ? r.stdout : r.stderr)}`)))
        return
      }
      case 'delay':
      case 'late':
        // the members' fault layer delays everything one member sends: no faithful match
        return say('a simulator action, skipped: use `dledger fault delay` on real members')
      case 'expect':
        this.background.push(this.expect(line, a.expectation, at, a.withinMs))
        return
      default: {
        const never: never = a
        throw new Error(`unknown script action ${JSON.stringify(never)}`)
      }
    }
  }

  /** Polls the status until the expectation holds or its window closed (checked at least once). */
  private async expect(line: ScriptLine, e: Expectation, fromMs: number, withinMs: number): Promise<void> {
    const w = withinMs > 0 ? ` within ${formatTime(withinMs)}` : ''
    for (;;) {
      const view = viewOf(await this.cluster.status())
      const now = this.now()
      if (holds(e, view)) {
        this.expectations.push({line: line.line, ok: true, detail: `${describeExpectation(e)}: ${describeView(view)} at ${formatTime(now)}`, atMs: now})
        return this.note('expectation', `line ${line.line}: expect ${describeExpectation(e)}${w} → ok (${describeView(view)})`, now)
      }
      if (now >= fromMs + withinMs || this.signal.aborted) {
        const why = `expected ${describeExpectation(e)}, but ${describeView(view)}`
        this.expectations.push({line: line.line, ok: false, detail: `${why}${w ? ` (checked from ${formatTime(line.atMs)}${w})` : ` at ${formatTime(now)}`}`, atMs: now})
        return this.note('expectation', `line ${line.line}: expect ${describeExpectation(e)}${w} → FAILED: ${why}`, now)
      }
      await sleep(Math.min(POLL_MS, fromMs + withinMs - now), this.signal)
    }
  }
}

/** A network fault in the trace's words (the simulator's `heal` and `loss` span the cluster, as here). */
function traceLineOf(op: FaultOp): {kind: string} & Record<string, unknown> {
  switch (op.kind) {
    case 'partition':
      return {kind: 'partition', groups: op.groups}
    case 'cut':
      return {kind: 'cut', from: op.from, to: op.to}
    case 'isolate':
      return {kind: 'isolate', nodes: op.ids}
    case 'loss':
      return {kind: 'loss', probability: op.probability}
    case 'delay':
    case 'heal':
      return {kind: op.kind}
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}
