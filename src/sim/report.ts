/**
 * The result of a run: the `--json` object of `dledger sim`, and the readable timeline and
 * summary shown without `--json`. Both come from the same object.
 */
import type {Timing} from '../core/settings.js'
import type {NodeId, Role} from '../core/types.js'

import type {Violation} from './checkers.js'
import {formatTime} from './script.js'
import type {Failover, LeaderChange, MessageCounts, Simulation, TimelineEntry} from './simulation.js'

export interface MemberReport {
  id: NodeId
  alive: boolean
  /** null when the member is down */
  role: Role | null
  /** a down member's durable term */
  term: number
  votedFor: NodeId | null
  leaderId: NodeId | null
}

export interface SimReport {
  seed: number
  nodes: number
  durationMs: number
  /** wall-clock time the run took; the only field that differs between two runs of one seed */
  wallMs: number
  final: {
    /** the live leader of `term`, or null */
    leaderId: NodeId | null
    /** the highest term of a live member (null when every member is down) */
    term: number | null
    members: MemberReport[]
  }
  leaderChanges: LeaderChange[]
  failovers: Failover[]
  leaderlessMs: number
  messages: MessageCounts
  violations: Violation[]
  expectations: {line: number; ok: boolean; detail: string; atMs: number}[]
  settings: Timing & {preferredLeaderIds: NodeId[]; delayMs: [number, number]; loss: number}
  /** the timeline the human view prints */
  timeline: TimelineEntry[]
}

/** Builds the report of a finished simulation. */
export function buildReport(sim: Simulation, wallMs: number): SimReport {
  const view = sim.clusterView()
  const settings = sim.settingsOf(sim.ids[0])
  const members: MemberReport[] = sim.ids.map((id) => {
    const m = sim.member(id)
    if (m !== null) return {id, alive: true, role: m.role, term: m.term, votedFor: m.votedFor, leaderId: m.leaderId}
    const d = sim.disk.read(id)
    return {id, alive: false, role: null, term: d.currTerm, votedFor: d.currVoteFor, leaderId: null}
  })
  const opts = sim.options
  const delay = opts.delayMs ?? [1, 5]
  return {
    seed: sim.seed,
    nodes: sim.ids.length,
    durationMs: sim.durationMs,
    wallMs: Math.round(wallMs),
    final: {leaderId: view.leaderId, term: view.term, members},
    leaderChanges: [...sim.leaderChanges],
    failovers: [...sim.failovers],
    leaderlessMs: sim.leaderlessMs,
    messages: {...sim.messages},
    violations: [...sim.violations],
    expectations: sim.expectations.map((e) => ({line: e.line, ok: e.ok, detail: e.detail, atMs: e.atMs})),
    settings: {
      ...pickTiming(settings),
      preferredLeaderIds: [...settings.preferredLeaderIds],
      delayMs: [delay[0], delay[1]],
      loss: opts.lossProbability ?? 0,
    },
    timeline: [...sim.timeline],
  }
}

function pickTiming(t: Timing): Timing {
  return {
    heartbeatIntervalMs: t.heartbeatIntervalMs,
    maxHeartbeatLeak: t.maxHeartbeatLeak,
    minVoteIntervalMs: t.minVoteIntervalMs,
    maxVoteIntervalMs: t.maxVoteIntervalMs,
    minTakeLeadershipVoteIntervalMs: t.minTakeLeadershipVoteIntervalMs,
    maxTakeLeadershipVoteIntervalMs: t.maxTakeLeadershipVoteIntervalMs,
    voteTimeoutMs: t.voteTimeoutMs,
    rpcTimeoutMs: t.rpcTimeoutMs,
  }
}

/** Whether the run passed: no violation and no failed expectation (exit 0, else 1). */
export function reportPassed(r: SimReport): boolean {
  return r.violations.length === 0 && r.expectations.every((e) => e.ok)
}

/** Many members in one line: `n3 LEADER t4; 45 FOLLOWER (t4); 2 CANDIDATE (t3-t4); down: n7, n9`. */
function summarizeMembers(members: MemberReport[]): string {
  const parts: string[] = []
  for (const role of ['LEADER', 'FOLLOWER', 'CANDIDATE'] as const) {
    const ms = members.filter((m) => m.alive && m.role === role)
    if (ms.length === 0) continue
    if (role === 'LEADER') {
      parts.push(ms.map((m) => `${m.id} LEADER t${m.term}`).join(', '))
      continue
    }
    const lo = Math.min(...ms.map((m) => m.term))
    const hi = Math.max(...ms.map((m) => m.term))
    parts.push(`${ms.length} ${role} (t${lo === hi ? lo : `${lo}-t${hi}`})`)
  }
  const down = members.filter((m) => !m.alive)
  if (down.length > 0) parts.push(`down: ${down.map((m) => m.id).join(', ')}`)
  return parts.join('; ')
}

/** `12.345s`, right-aligned to `width`. */
function clock(ms: number, width: number): string {
  return `${(ms / 1000).toFixed(3)}s`.padStart(width)
}

/** The readable view: a header, the timeline, and a summary. */
export function renderHuman(r: SimReport): string {
  const out: string[] = []
  const st = r.settings
  const loss = st.loss > 0 ? `, loss ${st.loss}` : ''
  const pref = st.preferredLeaderIds.length > 0 ? `, preferred ${st.preferredLeaderIds.join(';')}` : ''
  out.push(
    `dledger sim: ${r.nodes} member${r.nodes === 1 ? '' : 's'}, seed ${r.seed}, ${formatTime(r.durationMs)} simulated ` +
      `(heartbeat ${st.heartbeatIntervalMs} ms × ${st.maxHeartbeatLeak}, vote ${st.minVoteIntervalMs}-${st.maxVoteIntervalMs} ms, ` +
      `delay ${st.delayMs[0]}-${st.delayMs[1]} ms${loss}${pref})`,
  )
  out.push('')
  const width = Math.max(8, `${(r.durationMs / 1000).toFixed(3)}s`.length)
  for (const e of r.timeline) out.push(`${clock(e.atMs, width)}  ${e.text}`)
  if (r.timeline.length === 0) out.push(`${' '.repeat(width)}  (nothing happened)`)
  out.push('')
  const f = r.final
  const who = f.members.length <= 9 ? f.members.map((m) => (m.alive ? `${m.id} ${m.role} t${m.term}` : `${m.id} down (t${m.term})`)).join(', ') : summarizeMembers(f.members)
  const head = f.term === null ? 'every member is down' : f.leaderId === null ? `no leader in term ${f.term}` : `${f.leaderId} leads term ${f.term}`
  out.push(`final:          ${head} — ${who}`)
  out.push(`leader changes: ${r.leaderChanges.length}`)
  if (r.failovers.length > 0) {
    const done = r.failovers.filter((x) => x.recovered).map((x) => x.leaderlessMs)
    const open = r.failovers.length - done.length
    const stats =
      done.length > 0
        ? `min ${formatTime(Math.min(...done))}, mean ${formatTime(Math.round(done.reduce((a, b) => a + b, 0) / done.length))}, max ${formatTime(Math.max(...done))}`
        : 'none recovered'
    out.push(`failovers:      ${r.failovers.length} (${stats}${open > 0 ? `; ${open} without a new leader at the end` : ''})`)
  } else {
    out.push('failovers:      0')
  }
  const pct = r.durationMs > 0 ? ` (${((100 * r.leaderlessMs) / r.durationMs).toFixed(1)}%)` : ''
  out.push(`leaderless:     ${formatTime(r.leaderlessMs)}${pct}`)
  out.push(`messages:       ${r.messages.sent} sent, ${r.messages.dropped} dropped (${r.messages.refused} refused by a down member)`)
  if (r.violations.length === 0) out.push('violations:     none')
  else {
    out.push(`violations:     ${r.violations.length}`)
    for (const v of r.violations) out.push(`  ${clock(v.atMs, width)}  ${v.invariant}: ${v.detail}`)
  }
  if (r.expectations.length > 0) {
    const ok = r.expectations.filter((e) => e.ok).length
    out.push(`expectations:   ${ok}/${r.expectations.length} ok`)
    for (const e of r.expectations) if (!e.ok) out.push(`  line ${e.line}: FAILED: ${e.detail}`)
  }
  out.push(`wall time:      ${r.wallMs} ms (${r.wallMs > 0 ? `${Math.round(r.durationMs / r.wallMs)}× real time` : 'instant'})`)
  return out.join('\n')
}
