/**
 * A simulated run: the cluster (cluster.ts), a fault script run against it (runner.ts) and the
 * observer's record (observer.ts), on one clock. The clock jumps to the earliest of the next
 * script line, the next message delivery and the next core deadline, so idle time costs nothing.
 */
import {Cluster, SimulationError} from './cluster.js'
import type {ClusterView, Failover, LeaderChange, TimelineEntry} from './observer.js'
import type {SimOptions} from './options.js'
import {type ExpectationResult, ScriptRunner} from './runner.js'
import {parseScript, type Script, type Target} from './script.js'

export {CLIENT_ID, type MessageCounts, SimulationError} from './cluster.js'
export type {ClusterView, Failover, LeaderChange, TimelineEntry} from './observer.js'
export {DEFAULT_DELAY_MS, MAX_NODES, MIN_NODES, type SimOptions, SimOptionsError, type SimSettings, type TraceLine} from './options.js'
export type {ExpectationResult} from './runner.js'

export class Simulation extends Cluster {
  readonly durationMs: number
  readonly script: Script
  private readonly runner: ScriptRunner
  private finished = false

  constructor(options: SimOptions) {
    super(options)
    this.durationMs = options.durationMs
    this.script = typeof options.script === 'string' ? parseScript(options.script, this.ids) : (options.script ?? {lines: []})
    this.runner = new ScriptRunner(this, this.script)
  }

  /** Runs the whole simulation and finalizes it. */
  run(): this {
    this.runUntil(this.durationMs)
    this.finish()
    return this
  }

  /** Processes everything due up to and including `endMs`; then the clock reads `endMs`. */
  runUntil(endMs: number): void {
    if (this.finished) throw new SimulationError('the simulation has finished')
    for (;;) {
      const tScript = this.runner.nextLineAtMs()
      const tNet = this.network.nextAtMs()
      const core = this.nextCoreDeadline()
      let t = Math.min(tScript, tNet, core.atMs)
      if (t > endMs) break
      if (t < this.now) t = this.now
      this.advanceTo(t)
      if (tScript <= t) this.runner.runNextLine()
      else if (tNet <= t) this.deliverNext()
      else if (core.id !== null) this.tick(core.id)
    }
    this.advanceTo(Math.max(this.now, endMs))
  }

  /** Runs `ms` more simulated milliseconds. */
  runFor(ms: number): void {
    this.runUntil(this.now + ms)
  }

  /**
   * Polls `check` every `everyMs` (like DLedger's tests, 100 ms) until it holds or `timeoutMs`
   * passed; returns whether it held. The clock stops at the first poll where it held.
   */
  waitFor(check: () => boolean, timeoutMs: number, everyMs = 100): boolean {
    const deadline = this.now + timeoutMs
    for (;;) {
      if (check()) return true
      if (this.now >= deadline) return false
      this.runUntil(Math.min(deadline, this.now + everyMs))
    }
  }

  /** Ends the run: open expectations fail, open failovers and leaderless time are closed. */
  finish(): void {
    if (this.finished) return
    this.finished = true
    this.runner.finish(this.now)
    this.observer.finish(this.now)
  }

  get expectations(): ExpectationResult[] {
    return this.runner.expectations
  }

  get leaderChanges(): LeaderChange[] {
    return this.observer.leaderChanges
  }

  get failovers(): Failover[] {
    return this.observer.failovers
  }

  get timeline(): TimelineEntry[] {
    return this.observer.timeline
  }

  /** Time without a cluster leader so far (see `clusterView`). */
  get leaderlessMs(): number {
    return this.observer.leaderlessMs(this.now)
  }

  /** The highest term of a live member and the live leader of that term (null if none). */
  clusterView(): ClusterView {
    return this.observer.clusterView()
  }

  /** Resolves a script target now (see ScriptRunner.resolve). */
  resolve(t: Target) {
    return this.runner.resolve(t)
  }

  protected override afterStep(): void {
    this.runner.checkPending()
  }

  /** Moves the clock; fails `within` expectations whose deadline passed. */
  private advanceTo(t: number): void {
    this.runner.expireBefore(t)
    this.moveClock(t)
  }
}
