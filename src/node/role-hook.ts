/**
 * The role-change hook (`dledger start --on-role-change CMD`), dledger's counterpart of DLedger's
 * RoleChangeHandler (RocketMQ uses it to switch a broker between master and slave): on every role
 * change the member runs CMD through `/bin/sh -c` with the change in its environment:
 *
 *   DLEDGER_ROLE           the new role: LEADER, FOLLOWER or CANDIDATE
 *   DLEDGER_PREVIOUS_ROLE  the role before
 *   DLEDGER_TERM           the term of the change
 *   DLEDGER_LEADER         the leader's id as this member knows it ('' when none)
 *   DLEDGER_ID             this member's id
 *   DLEDGER_GROUP          its group
 *   DLEDGER_REASON         why (the ROLE_CHANGE event's reason)
 *
 * The runner never blocks the election loop and never throws: `notify` only records the change
 * and starts a process. It is bounded three ways: at most one hook process runs at a time; while
 * it runs only the latest change waits (older pending ones are coalesced away, so a flapping
 * member cannot pile up processes, and the last hook run always describes the newest role); and
 * each run is killed (its whole process group, SIGKILL) after `timeoutMs`. Its stdout and stderr
 * go to the member's logger, line by line, at most MAX_OUTPUT_LINES lines per run.
 */
import {type ChildProcess, spawn} from 'node:child_process'

import type {NodeId, Role} from '../core/types.js'
import {errorMessage} from './errors.js'
import {type Logger, silentLogger} from './logger.js'

/** One role change as the hook sees it. */
export interface RoleChange {
  id: NodeId
  group: string
  role: Role
  previousRole: Role
  term: number
  leaderId: NodeId | null
  reason: string
}

export interface RoleHookOptions {
  /** the shell command line */
  command: string
  log?: Logger
  /** a run is SIGKILLed after this long (default 10 s) */
  timeoutMs?: number
  /** default `/bin/sh` */
  shell?: string
  /** the environment the DLEDGER_* variables are added to (default process.env) */
  env?: NodeJS.ProcessEnv
}

const DEFAULT_ROLE_HOOK_TIMEOUT_MS = 10_000
/** The most output lines of one run that reach the log; the rest are counted. */
const MAX_OUTPUT_LINES = 100
/** Longer output lines are cut. */
const MAX_LINE_CHARS = 1000

/** The variables a hook run sees (besides the inherited environment). */
function roleHookEnv(change: RoleChange): Record<string, string> {
  return {
    DLEDGER_ROLE: change.role,
    DLEDGER_PREVIOUS_ROLE: change.previousRole,
    DLEDGER_TERM: String(change.term),
    DLEDGER_LEADER: change.leaderId ?? '',
    DLEDGER_ID: change.id,
    // the name the first hook implementation used; kept for scripts written against it
    DLEDGER_NODE: change.id,
    DLEDGER_GROUP: change.group,
    DLEDGER_REASON: change.reason,
  }
}

/** What became of one run (for tests and the log). */
export interface RoleHookOutcome {
  change: RoleChange
  /** exit code, or null when killed or not started */
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  /** the process could not be started */
  error: string | null
  durationMs: number
}

export class RoleHookRunner {
  private readonly log: Logger
  private readonly timeoutMs: number
  private running: {child: ChildProcess; change: RoleChange} | null = null
  private pending: RoleChange | null = null
  private closed = false
  private idleWaiters: (() => void)[] = []
  /** runs started, changes coalesced away, runs killed for the timeout (for tests and metrics) */
  readonly counts = {started: 0, coalesced: 0, timedOut: 0, failed: 0}
  /** called after every run (never throws into the runner) */
  onOutcome: ((outcome: RoleHookOutcome) => void) | null = null

  constructor(private readonly opts: RoleHookOptions) {
    this.log = opts.log ?? silentLogger
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_ROLE_HOOK_TIMEOUT_MS
  }

  /** Records a role change: runs the hook now, or after the running one (replacing any older waiting change). */
  notify(change: RoleChange): void {
    if (this.closed) return
    if (this.running !== null) {
      if (this.pending !== null) {
        this.counts.coalesced++
        this.log.debug(`role-change hook: skipping ${this.pending.previousRole} -> ${this.pending.role} (term ${this.pending.term}); a newer change replaces it`)
      }
      this.pending = change
      return
    }
    this.run(change)
  }

  /** Whether a hook process runs now. */
  get busy(): boolean {
    return this.running !== null
  }

  /** Resolves when no hook runs and none waits. */
  idle(): Promise<void> {
    if (this.running === null && this.pending === null) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Stops taking changes and drops a waiting one; a running hook may finish within `graceMs`,
   * then its process group is killed. Resolves when nothing runs. Idempotent.
   */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true
    if (this.pending !== null) {
      this.log.debug(`role-change hook: not running the waiting change to ${this.pending.role}: the member is stopping`)
      this.pending = null
    }
    const current = this.running
    if (current === null) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn(`role-change hook still running after ${graceMs} ms while stopping; killing it`)
          killGroup(current.child)
          resolve()
        }, graceMs)
      }),
    ])
    clearTimeout(timer)
  }

  private run(change: RoleChange): void {
    const startedMs = Date.now()
    let child: ChildProcess
    try {
      child = spawn(this.opts.shell ?? '/bin/sh', ['-c', this.opts.command], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {...(this.opts.env ?? process.env), ...roleHookEnv(change)},
        // its own process group: the timeout kills what the command started too, and a
        // Ctrl-C meant for the member does not hit it
        detached: true,
      })
    } catch (error) {
      this.finish(change, {code: null, signal: null, timedOut: false, error: errorMessage(error), durationMs: 0})
      return
    }
    this.counts.started++
    this.running = {child, change}
    const label = `role-change hook (${change.previousRole} -> ${change.role}, term ${change.term})`
    let lines = 0
    let suppressed = 0
    const pipe = (stream: NodeJS.ReadableStream | null, level: 'info' | 'warn') => {
      if (stream === null) return
      let partial = ''
      const emit = (line: string) => {
        if (line === '') return
        if (lines >= MAX_OUTPUT_LINES) {
          suppressed++
          return
        }
        lines++
        this.log[level](`hook: ${line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line}`)
      }
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n')
        partial = parts.pop() ?? ''
        if (partial.length > MAX_LINE_CHARS) {
          emit(partial)
          partial = ''
        }
        for (const line of parts) emit(line.replace(/\r$/, ''))
      })
      stream.on('end', () => emit(partial))
      stream.on('error', () => undefined)
    }
    pipe(child.stdout, 'info')
    pipe(child.stderr, 'warn')

    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      this.counts.timedOut++
      this.log.warn(`${label} did not finish within ${this.timeoutMs} ms; killing it`)
      killGroup(child)
    }, this.timeoutMs)
    let done = false
    const end = (outcome: Omit<RoleHookOutcome, 'change' | 'durationMs' | 'timedOut'>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      // the command's own background children may hold the pipes: do not let them keep us alive
      for (const s of [child.stdout, child.stderr]) (s as {unref?: () => void} | null)?.unref?.()
      if (suppressed > 0) this.log.warn(`${label}: ${suppressed} more output lines not shown`)
      this.finish(change, {...outcome, timedOut, durationMs: Date.now() - startedMs})
    }
    child.on('error', (error) => end({code: null, signal: null, error: errorMessage(error)}))
    child.on('exit', (code, signal) => end({code, signal, error: null}))
  }

  private finish(change: RoleChange, outcome: Omit<RoleHookOutcome, 'change'>): void {
    this.running = null
    const full: RoleHookOutcome = {change, ...outcome}
    const label = `role-change hook (${change.previousRole} -> ${change.role}, term ${change.term})`
    if (outcome.error !== null) {
      this.counts.failed++
      this.log.warn(`${label} could not run: ${outcome.error}`)
    } else if (outcome.timedOut) {
      this.counts.failed++
    } else if (outcome.code !== 0) {
      this.counts.failed++
      this.log.warn(`${label} exited with ${outcome.signal ?? outcome.code}`)
    } else {
      this.log.debug(`${label} done in ${outcome.durationMs} ms`)
    }
    try {
      this.onOutcome?.(full)
    } catch {
      // an observer's failure is its own
    }
    const next = this.closed ? null : this.pending
    this.pending = null
    if (next !== null) {
      this.run(next)
      return
    }
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }
}

/** SIGKILLs the child's process group (it was spawned detached, so it leads one), else the child. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}
