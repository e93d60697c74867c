/**
 * The member's counters and gauges, rendered as Prometheus text (exposition format 0.0.4) on
 * `GET /metrics` (spec §2: term, role, leader changes, elections started and won, time without
 * leader, heartbeat round-trip), plus what the runtime drops and fails at.
 */
import type {VoteLogEvent} from '../core/events.js'
import type {NodeId, Role} from '../core/types.js'

/**
 * Why an inbound frame was dropped. `wrong_group` election requests are still answered
 * (UNKNOWN_GROUP, as DLedger does) but have no other effect; `unexpected` is a well-formed frame
 * on the wrong kind of connection (e.g. a response nobody asked for). `term_out_of_range` carries a
 * term above MAX_TERM; `binary` frames are dropped unread (the protocol is text JSON).
 */
const DROP_REASONS = ['malformed', 'oversized', 'unknown_kind', 'non_member', 'wrong_group', 'unexpected', 'term_out_of_range', 'binary'] as const
export type DropReason = (typeof DROP_REASONS)[number]

const ROLES: readonly Role[] = ['CANDIDATE', 'FOLLOWER', 'LEADER']

export interface ObservedState {
  term: number
  role: Role
  leaderId: NodeId | null
}

export class Metrics {
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>
  persistFailures = 0
  voteLogWriteFailures = 0
  internalErrors = 0
  /** peer requests answered by a timeout or a broken connection instead of the peer */
  requestFailures = 0
  unauthorized = 0
  /** inbound connections closed for sending junk */
  junkClosed = 0
  /** times an inbound connection used up its bytes for a second and was not read for the rest of it */
  throttled = 0
  electionsStarted = 0
  electionsWon = 0
  leaderChanges = 0
  heartbeatRttLastMs: number | null = null
  private heartbeatRttSumMs = 0
  private heartbeatRttCount = 0
  private readonly peerConnected = new Map<NodeId, boolean>()
  private state: ObservedState
  private lastLeadership: string | null = null
  private leaderlessSinceMs: number | null
  private leaderlessTotalMs = 0

  constructor(initial: ObservedState, nowMs: number, peers: readonly NodeId[] = []) {
    this.state = {...initial}
    this.leaderlessSinceMs = initial.leaderId === null ? nowMs : null
    for (const p of peers) this.peerConnected.set(p, false)
  }

  /** Records the core's state after a step. */
  observe(state: ObservedState, nowMs: number): void {
    if (state.leaderId === null && this.leaderlessSinceMs === null) this.leaderlessSinceMs = nowMs
    if (state.leaderId !== null && this.leaderlessSinceMs !== null) {
      this.leaderlessTotalMs += Math.max(0, nowMs - this.leaderlessSinceMs)
      this.leaderlessSinceMs = null
    }
    if (state.leaderId !== null) {
      const leadership = `${state.leaderId}@${state.term}`
      if (leadership !== this.lastLeadership) {
        this.leaderChanges++
        this.lastLeadership = leadership
      }
    }
    this.state = {...state}
  }

  /** Counts ballots started and won from a step's events. */
  onEvents(events: readonly VoteLogEvent[]): void {
    for (const e of events) {
      if (e.type === 'VOTE_REQUEST') this.electionsStarted++
      else if (e.type === 'ROLE_CHANGE' && e.to === 'LEADER') this.electionsWon++
    }
  }

  drop(reason: DropReason): void {
    this.dropped[reason]++
  }

  heartbeatRtt(ms: number): void {
    this.heartbeatRttLastMs = ms
    this.heartbeatRttSumMs += ms
    this.heartbeatRttCount++
  }

  setPeerConnected(peer: NodeId, connected: boolean): void {
    this.peerConnected.set(peer, connected)
  }

  leaderlessMs(nowMs: number): number {
    return this.leaderlessTotalMs + (this.leaderlessSinceMs === null ? 0 : Math.max(0, nowMs - this.leaderlessSinceMs))
  }

  /** Prometheus text exposition. */
  render(nowMs: number, info: {node: NodeId; group: string; version: string}): string {
    const out: string[] = []
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [labels: Record<string, string> | null, value: number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
      for (const [labels, value] of samples) out.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`)
    }
    metric('dledger_info', 'gauge', 'Constant 1, labelled with the member id, group and version.', [[{node: info.node, group: info.group, version: info.version}, 1]])
    metric('dledger_term', 'gauge', 'Current term (currTerm).', [[null, this.state.term]])
    metric('dledger_role', 'gauge', '1 for the current role, 0 for the others.', ROLES.map((r) => [{role: r}, r === this.state.role ? 1 : 0]))
    metric('dledger_has_leader', 'gauge', '1 while this member knows a leader.', [[null, this.state.leaderId === null ? 0 : 1]])
    metric('dledger_leader_changes_total', 'counter', 'Leaderships seen (a new leader or a new term of one).', [[null, this.leaderChanges]])
    metric('dledger_elections_started_total', 'counter', 'Ballots this member started.', [[null, this.electionsStarted]])
    metric('dledger_elections_won_total', 'counter', 'Ballots this member won.', [[null, this.electionsWon]])
    metric('dledger_leaderless_seconds_total', 'counter', 'Time this member knew no leader.', [[null, this.leaderlessMs(nowMs) / 1000]])
    metric('dledger_heartbeat_rtt_ms', 'gauge', 'Heartbeat round-trip to followers, last and average (leader only).', [
      [{stat: 'last'}, this.heartbeatRttLastMs ?? Number.NaN],
      [{stat: 'avg'}, this.heartbeatRttCount === 0 ? Number.NaN : this.heartbeatRttSumMs / this.heartbeatRttCount],
    ])
    metric('dledger_heartbeat_rtt_samples_total', 'counter', 'Heartbeat replies measured.', [[null, this.heartbeatRttCount]])
    metric('dledger_peer_connected', 'gauge', '1 while the outbound connection to the peer is open.', [...this.peerConnected].map(([p, c]) => [{peer: p}, c ? 1 : 0]))
    metric('dledger_dropped_messages_total', 'counter', 'Inbound frames dropped, by reason.', DROP_REASONS.map((r) => [{reason: r}, this.dropped[r]]))
    metric('dledger_inbound_throttled_total', 'counter', 'Times an inbound connection used up its bytes for a second and was not read for the rest of it.', [[null, this.throttled]])
    metric('dledger_junk_connections_closed_total', 'counter', 'Inbound connections closed for sending unusable frames.', [[null, this.junkClosed]])
    metric('dledger_unauthorized_requests_total', 'counter', 'HTTP requests and upgrades refused with 401.', [[null, this.unauthorized]])
    metric('dledger_peer_request_failures_total', 'counter', 'Peer requests answered by a timeout or a lost connection.', [[null, this.requestFailures]])
    metric('dledger_persist_failures_total', 'counter', 'Failed writes of the term/vote record (the member stops on one).', [[null, this.persistFailures]])
    metric('dledger_vote_log_write_failures_total', 'counter', 'Failed appends to vote.log.', [[null, this.voteLogWriteFailures]])
    metric('dledger_internal_errors_total', 'counter', 'Unexpected exceptions caught in the event loop.', [[null, this.internalErrors]])
    return `${out.join('\n')}\n`
  }
}

function formatLabels(labels: Record<string, string> | null): string {
  if (labels === null) return ''
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
  return `{${parts.join(',')}}`
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(Math.round(v * 1000) / 1000)
}
