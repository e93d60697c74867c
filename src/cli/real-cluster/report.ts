/**
 * The report of `dledger test`: the shape of `sim --json` (leaderChanges, failovers with their
 * leaderless time, violations, expectations, final members, the timeline) built after the run
 * from the members' own vote logs, plus the safety check over their logs and durable records.
 */
import type {VoteLogEvent} from '../../core/events.js'
import type {NodeId, Role} from '../../core/types.js'
import {type Failover, type LeaderChange, Observer, type TimelineEntry} from '../../sim/observer.js'
import {formatTime} from '../../sim/script.js'
import type {ClusterStatus} from '../../wire/status.js'
import type {CheckReport, MemberHistory, SafetyViolation} from '../safety-check.js'
import type {LeaderHit, RealExpectation} from './runner.js'

export interface RealMemberReport {
  id: NodeId
  /** answered the last status */
  alive: boolean
  role: Role | null
  term: number | null
  votedFor: NodeId | null
  leaderId: NodeId | null
}

/** What the run was: its script, seed, size, timing and length. */
interface RunInfo {
  script: string
  seed: number
  nodes: number
  timing: string
  /** from the script's time 0 to the end of its last line */
  durationMs: number
  wallMs: number
}

/** What `dledger test --json` prints. */
export interface RealTestReport extends RunInfo {
  final: {leaderId: NodeId | null; term: number | null; members: RealMemberReport[]}
  leaderChanges: LeaderChange[]
  failovers: Failover[]
  leaderlessMs: number
  /** the safety check over every member's vote logs and durable record (`dledger check`) */
  violations: SafetyViolation[]
  expectations: RealExpectation[]
  check: {members: number; records: number; corruptLines: number}
  /** the cluster's home: its profile, data directories (vote logs, records) and logs */
  home: string
  logs: string
  /** whether the home was kept (--keep, or the run failed) */
  kept: boolean
  timeline: TimelineEntry[]
}

export interface ReportInput extends RunInfo {
  /** wall-clock ms (epoch) of the script's time 0 */
  t0WallMs: number
  finalStatus: ClusterStatus
  histories: readonly MemberHistory[]
  check: CheckReport
  hits: readonly LeaderHit[]
  expectations: readonly RealExpectation[]
  scriptTimeline: readonly TimelineEntry[]
  home: string
  logs: string
  kept: boolean
}

/** Replays the members' role changes and the script's hits on the leader through the simulator's observer. */
export function buildRealReport(input: ReportInput): RealTestReport {
  const observer = new Observer()
  type Item = {atMs: number; order: number} & ({hit: LeaderHit} | {event: VoteLogEvent})
  const items: Item[] = []
  for (const h of input.histories) {
    for (const {record} of h.records) {
      if (record.type !== 'ROLE_CHANGE') continue
      const atMs = Math.max(0, Date.parse(record.ts) - input.t0WallMs)
      if (!Number.isFinite(atMs)) continue
      items.push({atMs, order: 1, event: {...record, atMs} as VoteLogEvent})
    }
  }
  for (const hit of input.hits) items.push({atMs: hit.atMs, order: 0, hit})
  items.sort((a, b) => a.atMs - b.atMs || a.order - b.order)
  let view: {term: number | null; leaderId: NodeId | null} = {term: null, leaderId: null}
  for (const item of items) {
    if ('hit' in item) {
      observer.startFailover(item.hit.cause, item.hit.leader, null, item.atMs)
      if (view.leaderId === item.hit.leader) view = {term: view.term, leaderId: null}
    } else {
      const ev = item.event
      observer.onEvent(ev, item.atMs)
      if (ev.type === 'ROLE_CHANGE' && ev.to === 'LEADER' && (view.term === null || ev.term >= view.term)) view = {term: ev.term, leaderId: ev.node}
      else if (ev.type === 'ROLE_CHANGE' && ev.from === 'LEADER' && view.leaderId === ev.node) view = {term: ev.term, leaderId: null}
    }
    observer.updateView(view, item.atMs)
  }
  observer.finish(input.durationMs)
  const members: RealMemberReport[] = input.finalStatus.members.map((m) => ({id: m.id, alive: m.reachable, role: m.role, term: m.term, votedFor: m.votedFor, leaderId: m.leaderId}))
  const timeline = [...input.scriptTimeline, ...observer.timeline].sort((a, b) => a.atMs - b.atMs)
  for (const v of input.check.violations) timeline.push({atMs: input.durationMs, kind: 'violation', text: `VIOLATION ${v.invariant}: ${v.detail}`})
  return {
    script: input.script,
    seed: input.seed,
    nodes: input.nodes,
    timing: input.timing,
    durationMs: input.durationMs,
    wallMs: Math.round(input.wallMs),
    final: {leaderId: input.finalStatus.leaderId, term: input.finalStatus.term, members},
    leaderChanges: [...observer.leaderChanges],
    failovers: [...observer.failovers],
    leaderlessMs: observer.leaderlessMs(input.durationMs),
    violations: [...input.check.violations],
    expectations: [...input.expectations].sort((a, b) => a.line - b.line),
    check: {members: input.check.members.length, records: input.check.members.reduce((n, m) => n + m.records, 0), corruptLines: input.check.corruptLines},
    home: input.home,
    logs: input.logs,
    kept: input.kept,
    timeline,
  }
}

/** Whether the run passed: no violation and no failed expectation (exit 0, else 1). */
export function realReportPassed(r: RealTestReport): boolean {
  return r.violations.length === 0 && r.expectations.every((e) => e.ok)
}

/** The readable view: a header, the timeline, a summary, and where the logs are. */
export function renderRealReport(r: RealTestReport, checkText: string): string {
  const out: string[] = [`dledger test: ${r.script} on ${r.nodes} real members (timing ${r.timing}, seed ${r.seed})`, '']
  const width = Math.max(7, ...r.timeline.map((e) => `${(e.atMs / 1000).toFixed(3)}s`.length))
  for (const e of r.timeline) out.push(`  ${`${(e.atMs / 1000).toFixed(3)}s`.padStart(width)}  ${e.text}`)
  out.push('')
  const leader = r.final.leaderId === null ? 'no leader' : `${r.final.leaderId} leads term ${r.final.term}`
  const fo = r.failovers.filter((f) => f.recovered).map((f) => f.leaderlessMs)
  out.push(`final:          ${leader} — ${r.final.members.map((m) => (m.alive ? `${m.id} ${m.role} t${m.term}` : `${m.id} down`)).join(', ')}`)
  out.push(`leader changes: ${r.leaderChanges.length}`)
  out.push(`failovers:      ${r.failovers.length}${fo.length > 0 ? ` (min ${formatTime(Math.min(...fo))}, max ${formatTime(Math.max(...fo))})` : ''}${r.failovers.some((f) => !f.recovered) ? `, ${r.failovers.filter((f) => !f.recovered).length} without a new leader` : ''}`)
  out.push(`leaderless:     ${formatTime(r.leaderlessMs)}`)
  out.push(`safety check:   ${r.violations.length === 0 ? 'no violation' : `${r.violations.length} violation(s)`} in ${r.check.records} records of ${r.check.members} members${r.check.corruptLines > 0 ? ` (${r.check.corruptLines} corrupt lines skipped)` : ''}`)
  const failed = r.expectations.filter((e) => !e.ok)
  out.push(`expectations:   ${r.expectations.length - failed.length}/${r.expectations.length} ok`)
  for (const e of failed) out.push(`  line ${e.line}: ${e.detail}`)
  if (r.violations.length > 0) out.push('', checkText)
  out.push(`logs:           ${r.home}${r.kept ? '' : ' (removed; --keep keeps them)'}`)
  return out.join('\n')
}
