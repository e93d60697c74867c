/**
 * A leader's last act before a clean stop (`dledger stop --handoff`, spec §2): transfer leadership
 * to its most caught-up live follower and wait for the outcome, at most the transfer deadline.
 */
import type {VoteLogEvent} from '../core/events.js'
import type {AdminHost} from './admin.js'
import {errorMessage} from './errors.js'

/** What the hand-off needs of its member. */
export interface HandOffHost extends Pick<AdminHost, 'settings' | 'log' | 'clock' | 'core' | 'input'> {
  /** the hand-off starts, and waits, only while the member runs */
  running(): boolean
}

export class HandOff {
  /** ends the wait for the transfer's outcome */
  private settled: (() => void) | null = null

  constructor(private readonly host: HandOffHost) {}

  /**
   * Transfers leadership, then lets the caller stop. Never throws. The core retries a lost
   * take-leadership race within its one deadline (src/core/transfer.ts); this waits for the
   * transfer's COMPLETED or FAILED event.
   */
  async run(): Promise<void> {
    const {log, clock, settings} = this.host
    try {
      if (!this.host.running()) return
      const target = this.host.core().mostCaughtUpFollower()
      if (target === null) return
      log.info(`stopping: handing leadership to ${target} first`)
      const settled = new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.settled?.(), settings.leadershipTransferTimeoutMs + 100)
        this.settled = () => {
          clearTimeout(timer)
          this.settled = null
          resolve()
        }
      })
      this.host.input((t) => this.host.core().transferLeadership(target, t), 'handoff')
      if (this.host.running() && this.host.core().transferInProgress) await settled
      this.settled?.()
      const snap = this.host.core().snapshot(clock.now())
      if (snap.role === 'LEADER') log.warn(`the hand-off to ${target} did not complete; stopping anyway`)
      else log.info(`handed leadership to ${snap.leaderId ?? target} in term ${snap.term}`)
    } catch (error) {
      log.warn(`hand-off failed: ${errorMessage(error)}`)
    }
  }

  /** Ends the wait when the events hold the transfer's outcome. */
  onEvents(events: readonly VoteLogEvent[]): void {
    if (events.some((e) => e.type === 'LEADERSHIP_TRANSFER' && (e.phase === 'COMPLETED' || e.phase === 'FAILED'))) this.settle()
  }

  /** Ends the wait (the member stops). */
  settle(): void {
    this.settled?.()
  }
}
