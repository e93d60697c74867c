/**
 * The runtime's only real timer. Time is monotonic milliseconds (performance.now()); the wall
 * clock is used only to print ISO timestamps. The ticker drives the core: it wakes at the core's
 * next deadline, but at least every tickMs (DLedger's maintainer cadence), and never sooner
 * than 1 ms after the previous wake-up, so a core that reports a past deadline cannot busy-loop.
 */

/** Monotonic milliseconds, plus the wall-clock mapping used for log timestamps. */
export interface Clock {
  /** monotonic ms; never goes back */
  now(): number
  /** the ISO 8601 wall-clock time of a monotonic instant from `now()` */
  toIso(monotonicMs: number): string
}

/** The real clock: performance.now() in whole ms, anchored to Date.now() once at creation. */
export function realClock(): Clock {
  const monoAtStart = performance.now()
  const wallAtStart = Date.now()
  return {
    // whole milliseconds: the core prints durations ("heartbeat timeout after 304 ms")
    now: () => Math.floor(performance.now()),
    toIso: (ms) => new Date(wallAtStart + (ms - monoAtStart)).toISOString(),
  }
}

export interface TickerOptions {
  clock: Clock
  /** the longest sleep between two ticks */
  tickMs: number
  /** when the core next has something to do (monotonic ms; may be Infinity) */
  nextDeadlineMs: () => number
  /** runs one core tick; exceptions are the caller's (the member wraps them) */
  onTick: (nowMs: number) => void
}

/** The shortest sleep between two wake-ups. */
const MIN_SLEEP_MS = 1

export class Ticker {
  private timer: NodeJS.Timeout | null = null
  /** monotonic ms the pending timer fires at */
  private wakeAtMs = Number.POSITIVE_INFINITY
  private running = false

  constructor(private readonly opts: TickerOptions) {}

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule()
  }

  stop(): void {
    this.running = false
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.wakeAtMs = Number.POSITIVE_INFINITY
  }

  /** Re-reads the core's deadline after an input; wakes earlier if it moved closer. */
  poke(): void {
    if (!this.running) return
    const target = this.target()
    if (target < this.wakeAtMs) this.schedule(target)
  }

  private target(): number {
    const now = this.opts.clock.now()
    const deadline = this.opts.nextDeadlineMs()
    const at = Math.min(Number.isNaN(deadline) ? now : deadline, now + this.opts.tickMs)
    return Math.max(at, now + MIN_SLEEP_MS)
  }

  private schedule(target = this.target()): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.wakeAtMs = target
    const delay = Math.max(MIN_SLEEP_MS, Math.ceil(target - this.opts.clock.now()))
    this.timer = setTimeout(() => this.fire(), delay)
  }

  private fire(): void {
    this.timer = null
    this.wakeAtMs = Number.POSITIVE_INFINITY
    if (!this.running) return
    try {
      this.opts.onTick(this.opts.clock.now())
    } finally {
      if (this.running && this.timer === null) this.schedule()
    }
  }
}
