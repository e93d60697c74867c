/**
 * The observer of a simulated run: what a reader of the run wants to know besides safety —
 * leader changes, failovers (a leader killed or isolated until the next one leads), time without
 * a leader, and the timeline `dledger sim` prints. It only watches; it never changes the cluster.
 */
import type {VoteLogEvent} from '../core/events.js'
import type {NodeId} from '../core/types.js'

import {formatTime} from './script.js'

export interface LeaderChange {
  atMs: number
  leaderId: NodeId
  term: number
}

export interface Failover {
  /** when the leader was killed, isolated or paused */
  atMs: number
  /** until the next member became leader (or the run ended) */
  leaderlessMs: number
  /** false when no member became leader before the run ended */
  recovered: boolean
  cause: 'kill' | 'isolate' | 'pause'
  /** the leader that was killed or isolated, and the one that replaced it */
  from: NodeId
  to: NodeId | null
  /** the last heartbeat of `from` that one of its followers accepted before the fault (null: none) */
  lastHeartbeatAtMs: number | null
}

export interface TimelineEntry {
  atMs: number
  kind: 'leader' | 'step-down' | 'script' | 'transfer' | 'append' | 'violation' | 'expectation'
  text: string
}

/** The cluster as the run's report sees it: the highest term of a live member, and its live leader. */
export interface ClusterView {
  term: number | null
  leaderId: NodeId | null
}

type OpenFailover = Omit<Failover, 'leaderlessMs' | 'recovered' | 'to'>

export class Observer {
  readonly leaderChanges: LeaderChange[] = []
  readonly failovers: Failover[] = []
  readonly timeline: TimelineEntry[] = []
  private view: ClusterView = {term: null, leaderId: null}
  private openFailover: OpenFailover | null = null
  private leaderlessSinceMs: number | null = 0
  private leaderlessTotalMs = 0
  private finished = false

  note(kind: TimelineEntry['kind'], text: string, atMs: number): void {
    this.timeline.push({atMs, kind, text})
  }

  /** A vote-log event of some member: leader changes and step-downs enter the timeline. */
  onEvent(ev: VoteLogEvent, nowMs: number): void {
    if (ev.type !== 'ROLE_CHANGE') return
    if (ev.to === 'LEADER') {
      this.leaderChanges.push({atMs: nowMs, leaderId: ev.node, term: ev.term})
      let text = `${ev.node} leads term ${ev.term} (${ev.reason})`
      const f = this.openFailover
      if (f !== null) {
        const ms = nowMs - f.atMs
        this.failovers.push({...f, leaderlessMs: ms, recovered: true, to: ev.node})
        this.openFailover = null
        text += `; failover ${formatTime(ms)} after the ${f.cause} of ${f.from} at ${formatTime(f.atMs)}`
        if (f.lastHeartbeatAtMs !== null) text += `, ${formatTime(nowMs - f.lastHeartbeatAtMs)} after its last heartbeat`
      }
      this.note('leader', text, nowMs)
    } else if (ev.from === 'LEADER') {
      this.note('step-down', `${ev.node} steps down in term ${ev.term} (${ev.reason})`, nowMs)
    }
  }

  /** The leader was killed or isolated: a failover is open until another member leads. */
  startFailover(cause: Failover['cause'], from: NodeId, lastHeartbeatAtMs: number | null, nowMs: number): void {
    if (this.openFailover === null) this.openFailover = {atMs: nowMs, cause, from, lastHeartbeatAtMs}
  }

  clusterView(): ClusterView {
    return {...this.view}
  }

  /** The cluster view after a change: starts or ends a leaderless stretch. */
  updateView(view: ClusterView, nowMs: number): void {
    const had = this.view.leaderId !== null
    this.view = view
    if (had && view.leaderId === null && this.leaderlessSinceMs === null) this.leaderlessSinceMs = nowMs
    if (view.leaderId !== null && this.leaderlessSinceMs !== null) {
      this.leaderlessTotalMs += nowMs - this.leaderlessSinceMs
      this.leaderlessSinceMs = null
    }
  }

  /** Time without a cluster leader up to `nowMs`. */
  leaderlessMs(nowMs: number): number {
    return this.leaderlessTotalMs + (this.leaderlessSinceMs === null || this.finished ? 0 : nowMs - this.leaderlessSinceMs)
  }

  /** Ends the run: an open failover did not recover, open leaderless time is counted. */
  finish(nowMs: number): void {
    if (this.finished) return
    this.finished = true
    if (this.openFailover !== null) {
      this.failovers.push({...this.openFailover, leaderlessMs: nowMs - this.openFailover.atMs, recovered: false, to: null})
      this.openFailover = null
    }
    if (this.leaderlessSinceMs !== null) {
      this.leaderlessTotalMs += nowMs - this.leaderlessSinceMs
      this.leaderlessSinceMs = nowMs
    }
  }
}
