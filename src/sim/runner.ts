/**
 * The script runner: runs a fault script's lines against a simulated cluster at their times,
 * resolves their targets (leader, follower, killed, …) at that moment, and judges expectations —
 * at once, or as soon as they hold within their `within` window.
 */
import type {NodeId} from '../core/types.js'

import type {Cluster} from './cluster.js'
import type {ClusterView} from './observer.js'
import {Rng} from './random.js'
import {type Action, describeExpectation, type Expectation, formatTime, type Script, type ScriptLine, type Target} from './script.js'

export interface ExpectationResult {
  line: number
  ok: boolean
  detail: string
  atMs: number
}

interface PendingExpectation {
  line: ScriptLine
  expectation: Expectation
  deadlineMs: number
}

/** Whether the cluster view meets an expectation. */
export function holds(e: Expectation, v: ClusterView): boolean {
  if (e.kind === 'leader') {
    if (e.leader === 'any') return v.leaderId !== null
    if (e.leader === 'none') return v.leaderId === null
    return v.leaderId !== null && e.leader.includes(v.leaderId)
  }
  if (v.term === null) return false
  switch (e.op) {
    case '>=':
      return v.term >= e.value
    case '>':
      return v.term > e.value
    case '<=':
      return v.term <= e.value
    case '<':
      return v.term < e.value
    case '==':
      return v.term === e.value
    case '!=':
      return v.term !== e.value
  }
}

function describeView(v: ClusterView): string {
  if (v.term === null) return 'every member is down'
  return v.leaderId === null ? `no leader (highest term ${v.term})` : `${v.leaderId} leads term ${v.term}`
}

export class ScriptRunner {
  readonly expectations: ExpectationResult[] = []
  private index = 0
  private pending: PendingExpectation[] = []
  private readonly faultRng: Rng

  constructor(
    private readonly cluster: Cluster,
    readonly script: Script,
  ) {
    this.faultRng = new Rng(cluster.seed, 'faults')
  }

  /** When the next line runs (+∞ when the script is done). */
  nextLineAtMs(): number {
    return this.index < this.script.lines.length ? this.script.lines[this.index].atMs : Number.POSITIVE_INFINITY
  }

  /** Fails `within` expectations whose window closed before `t`. */
  expireBefore(t: number): void {
    if (this.pending.length === 0) return
    const expired = this.pending.filter((p) => p.deadlineMs < t)
    if (expired.length === 0) return
    this.pending = this.pending.filter((p) => p.deadlineMs >= t)
    for (const p of expired) this.fail(p, p.deadlineMs, this.miss(p.expectation))
  }

  /** After every step: the open expectations that hold now pass. */
  checkPending(): void {
    if (this.pending.length === 0) return
    const still: PendingExpectation[] = []
    for (const p of this.pending) {
      if (holds(p.expectation, this.cluster.observer.clusterView())) this.pass(p)
      else still.push(p)
    }
    this.pending = still
  }

  /** The run ended: open expectations fail. */
  finish(nowMs: number): void {
    for (const p of this.pending) this.fail(p, nowMs, `not met before the run ended at ${formatTime(nowMs)}`)
    this.pending = []
  }

  /** Resolves a script target now. `follower(s)`: the live members other than the leader (if one leads), else the live FOLLOWERs. */
  resolve(t: Target): NodeId[] {
    const c = this.cluster
    switch (t.kind) {
      case 'ids':
        return [...t.ids]
      case 'leader': {
        const l = c.leadingMember()
        return l === null ? [] : [l]
      }
      case 'followers':
        return this.followers()
      case 'follower': {
        const f = this.followers()
        return f.length === 0 ? [] : [this.faultRng.pick(f)]
      }
      case 'killed':
        return c.ids.filter((id) => !c.isAlive(id))
    }
  }

  /** Runs the next line of the script. */
  runNextLine(): void {
    const line = this.script.lines[this.index++]
    const c = this.cluster
    const a = line.action
    const say = (text: string) => {
      const what = line.text.replace(/^at\s+\S+\s+/, '')
      c.observer.note('script', `line ${line.line}: ${what}${text === '' ? '' : ` → ${text}`}`, c.now)
      c.trace({kind: 'script', line: line.line, text: line.text, result: text})
    }
    const list = (ids: readonly NodeId[]) => (ids.length === 0 ? 'nobody' : ids.join(', '))
    switch (a.type) {
      case 'kill':
        return say(list(c.kill(this.resolve(a.targets))))
      case 'restart': {
        const ids = this.resolve(a.targets)
        // a restart of a live member is most likely a script mistake (a kill missing before it)
        const running = ids.filter((id) => c.isAlive(id))
        const done = c.restart(ids)
        return say(`${list(done)}${running.length === 0 ? '' : `; warning: ${running.join(', ')} ${running.length === 1 ? 'is' : 'are'} running, not restarted (kill first)`}`)
      }
      case 'stop':
        return say(list(c.stop(this.resolve(a.targets))))
      case 'pause': {
        const ids = c.pause(this.resolve(a.targets), a.forMs)
        return say(`${list(ids)}${a.forMs === null || ids.length === 0 ? '' : `, resumes at ${formatTime(c.now + a.forMs)}`}`)
      }
      case 'resume':
        return say(list(c.resume(this.resolve(a.targets))))
      case 'isolate': {
        const ids = this.resolve(a.targets)
        say(list(ids))
        return c.isolate(ids)
      }
      case 'partition': {
        // a member named in two groups after resolution (e.g. "leader | n0") stays in the first
        const seen = new Set<NodeId>()
        const groups = a.groups.map((g) => this.resolve(g).filter((id) => (seen.has(id) ? false : (seen.add(id), true))))
        say(groups.map((g) => list(g)).join(' | '))
        return c.partition(groups)
      }
      case 'cut': {
        const from = this.resolve(a.from)
        const to = this.resolve(a.to)
        say(`${list(from)} -> ${list(to)}`)
        return c.cut(from, to)
      }
      case 'delay': {
        const from = this.resolve(a.from)
        const to = this.resolve(a.to)
        say(`${list(from)} -> ${list(to)} ${a.extraMs === 0 ? 'back to normal' : `+${formatTime(a.extraMs)}`}`)
        return c.delay(from, to, a.extraMs)
      }
      case 'heal':
        say('')
        return c.heal()
      case 'late':
        say('')
        return c.setLate(a.probability)
      case 'loss':
        say('')
        return c.setLoss(a.probability)
      case 'transfer': {
        const [id] = this.resolve(a.target)
        if (id === undefined) return say('no such member now, skipped')
        const leader = c.leadingMember()
        say(leader === null ? `to ${id}: no leader, skipped` : `asked leader ${leader} to hand over to ${id}`)
        if (leader !== null) c.transfer(id, line.line)
        return
      }
      case 'elect': {
        const [id] = this.resolve(a.target)
        if (id === undefined) return say('no such member now, skipped')
        if (!c.isAlive(id)) return say(`${id} is down, skipped`)
        if (c.isPaused(id)) return say(`${id} is paused, skipped`)
        say(`${id} campaigns for term ${c.highestLiveTerm() + 1}`)
        c.elect(id)
        return
      }
      case 'append': {
        const leader = c.append(a.count, line.line)
        return say(leader === null ? 'no leader, skipped' : `asked leader ${leader}`)
      }
      case 'expect': {
        const p: PendingExpectation = {line, expectation: a.expectation, deadlineMs: c.now + a.withinMs}
        if (holds(a.expectation, c.observer.clusterView())) this.pass(p)
        else if (a.withinMs === 0) this.fail(p, c.now, this.miss(a.expectation))
        else this.pending.push(p)
        return
      }
      default:
        assertNeverAction(a)
    }
  }

  private followers(): NodeId[] {
    const c = this.cluster
    const leader = c.leadingMember()
    if (leader !== null) return c.ids.filter((id) => id !== leader && c.isAlive(id))
    return c.withRole('FOLLOWER')
  }

  private miss(e: Expectation): string {
    return `expected ${describeExpectation(e)}, but ${describeView(this.cluster.observer.clusterView())}`
  }

  private pass(p: PendingExpectation): void {
    const c = this.cluster
    const now = describeView(c.observer.clusterView())
    const detail = `${describeExpectation(p.expectation)}: ${now} at ${formatTime(c.now)}`
    this.expectations.push({line: p.line.line, ok: true, detail, atMs: c.now})
    c.observer.note('expectation', `line ${p.line.line}: expect ${describeExpectation(p.expectation)}${within(p)} → ok (${now})`, c.now)
    c.trace({kind: 'expectation', line: p.line.line, ok: true, detail})
  }

  private fail(p: PendingExpectation, atMs: number, why: string): void {
    const w = within(p)
    const detail = `${why}${w ? ` (checked from ${formatTime(p.line.atMs)}${w})` : ` at ${formatTime(atMs)}`}`
    this.expectations.push({line: p.line.line, ok: false, detail, atMs})
    this.cluster.observer.note('expectation', `line ${p.line.line}: expect ${describeExpectation(p.expectation)}${w} → FAILED: ${why}`, atMs)
    this.cluster.trace({kind: 'expectation', line: p.line.line, ok: false, detail}, atMs)
  }
}

function assertNeverAction(a: never): never {
  throw new Error(`unknown script action ${JSON.stringify(a as Action)}`)
}

/** ` within 2 s` for an expectation given time to hold, '' for one checked at its line's time. */
function within(p: PendingExpectation): string {
  return p.deadlineMs > p.line.atMs ? ` within ${formatTime(p.deadlineMs - p.line.atMs)}` : ''
}
