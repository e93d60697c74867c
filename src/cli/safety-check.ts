/**
 * The safety check over a deployment's history, after the fact (`dledger check`; `dledger test`
 * runs it on the cluster it started). In: every member's vote-log records (spec §3) and durable
 * record (spec S1), each with the file and line it was read from. Out: the violations of election
 * safety, each citing the records that show it. Pure: reading the files is history-source.ts.
 *
 * - ONE_LEADER_PER_TERM: at most one member logs ROLE_CHANGE to LEADER in a term.
 * - ONE_VOTE_PER_TERM: a member accepts at most one candidate per term: the ACCEPTs it gave
 *   (VOTE_HANDLED), its vote for itself (its own ACCEPT in VOTE_RESPONSE: the elector answers its
 *   own request without a VOTE_HANDLED), and the vote of its durable record in that record's term.
 *   A durable record without a vote in a term its log shows a vote in lost that vote: after a
 *   restart the member could vote again.
 * - TERM_NEVER_DECREASES: a member's records, in the order written (rotated files first, restarts
 *   included), never go back to a lower term, and its durable record is not behind its log (the
 *   record is written before the events of a step are appended, so it never is on a sound member).
 *
 * Every record's `term` is the member's current term: the core stamps events with it, and a
 * ballot's events carry the ballot's term, which is the current one (a ballot never outlives a
 * term change in src/core/elector.ts).
 */
import type {DurableState, NodeId} from '../core/types.js'
import type {VoteLogRecord} from '../wire/frames.js'
import {describeEvent} from './vote-log-view.js'

/** Where something was read: a file and its 1-based line. */
export interface Origin {
  file: string
  line: number
}

/** What the check is given of one member (one data directory). */
export interface MemberHistory {
  /** where it was gathered, e.g. the member's data directory */
  source: string
  /**
   * The member's group: histories of different groups are different clusters and are never
   * compared. null when it is not known (all such histories are one cluster).
   */
  group: string | null
  /** the vote-log files read, oldest first */
  files: string[]
  /** its records in the order they were written, each with its origin */
  records: {record: VoteLogRecord; at: Origin}[]
  /** its durable record, or null when there is none (or it could not be read) */
  durable: {state: DurableState; at: Origin} | null
  /** lines (or records) that could not be read, per file: skipped, and counted in the report */
  corrupt: {file: string; lines: number}[]
}

export type SafetyInvariant = 'ONE_LEADER_PER_TERM' | 'ONE_VOTE_PER_TERM' | 'TERM_NEVER_DECREASES'

const SAFETY_INVARIANTS: readonly SafetyInvariant[] = ['ONE_LEADER_PER_TERM', 'ONE_VOTE_PER_TERM', 'TERM_NEVER_DECREASES']

/** A record a violation cites: a vote-log record or a durable record, with where it is. */
export type Evidence = Origin & ({record: VoteLogRecord} | {durable: DurableState})

export interface SafetyViolation {
  invariant: SafetyInvariant
  group: string | null
  term: number
  /** the member the violation is about (the voter, the member whose term went down); for two leaders, the second one */
  node: NodeId
  detail: string
  /** for each side of the conflict, the first record that shows it, in the order of `detail` */
  evidence: Evidence[]
}

export interface MemberSummary {
  /** the id its records carry (the last one's `node`), null when it has no record */
  id: NodeId | null
  group: string | null
  source: string
  files: string[]
  records: number
  durable: DurableState | null
  /** the highest term in its records, null when it has none */
  highestTerm: number | null
}

/** The check's result: `dledger check --json` prints it as is. */
export interface CheckReport {
  ok: boolean
  members: MemberSummary[]
  /** who led each term (the first leader seen, when there were two) */
  leaders: {group: string | null; term: number; node: NodeId}[]
  violations: SafetyViolation[]
  corrupt: {file: string; lines: number}[]
  corruptLines: number
}

/** One side of a possible conflict: a candidate accepted, a member leading; its first record. */
type Sides = Map<NodeId, Evidence>

/** Checks the histories of a deployment. */
export function checkHistories(histories: readonly MemberHistory[]): CheckReport {
  const violations: SafetyViolation[] = []
  /** group, term → leader → its first ROLE_CHANGE to LEADER */
  const leaders = new Map<string, {group: string | null; term: number; sides: Sides}>()
  /** group, voter, term → candidate → the first record of that vote */
  const votes = new Map<string, {group: string | null; term: number; voter: NodeId; sides: Sides}>()
  const addSide = <T extends {sides: Sides}>(map: Map<string, T>, key: string, make: () => T, side: NodeId, e: Evidence) => {
    let entry = map.get(key)
    if (entry === undefined) map.set(key, (entry = make()))
    if (!entry.sides.has(side)) entry.sides.set(side, e)
  }
  const addVote = (group: string | null, voter: NodeId, term: number, candidate: NodeId, e: Evidence) =>
    addSide(votes, JSON.stringify([group, voter, term]), () => ({group, term, voter, sides: new Map()}), candidate, e)

  const members: MemberSummary[] = []
  for (const h of histories) {
    /** member → its record with the highest term so far */
    const highest = new Map<NodeId, {record: VoteLogRecord; at: Origin}>()
    for (const traced of h.records) {
      const r = traced.record
      const here: Evidence = {...traced.at, record: r}
      const top = highest.get(r.node)
      if (top !== undefined && r.term < top.record.term) {
        violations.push({
          invariant: 'TERM_NEVER_DECREASES',
          group: h.group,
          term: r.term,
          node: r.node,
          detail: `${r.node} went back from term ${top.record.term} to term ${r.term}`,
          evidence: [{...top.at, record: top.record}, here],
        })
        // one report per fall: the records after it are measured from where it landed
        highest.set(r.node, traced)
      } else if (top === undefined || r.term > top.record.term) {
        highest.set(r.node, traced)
      }
      const f = r as VoteLogRecord & Record<string, unknown> // records come from files: read fields defensively
      if (r.type === 'ROLE_CHANGE' && f.to === 'LEADER') {
        addSide(leaders, JSON.stringify([h.group, r.term]), () => ({group: h.group, term: r.term, sides: new Map()}), r.node, here)
      } else if (r.type === 'VOTE_HANDLED' && f.voteResult === 'ACCEPT' && typeof f.candidate === 'string' && f.candidate !== '') {
        addVote(h.group, r.node, Number.isInteger(f.requestTerm) ? (f.requestTerm as number) : r.term, f.candidate, here)
      } else if (r.type === 'VOTE_RESPONSE' && f.voteResult === 'ACCEPT' && f.from === r.node) {
        addVote(h.group, r.node, r.term, r.node, here)
      }
    }

    const last = h.records.at(-1)?.record
    const id = last?.node ?? null
    const top = id === null ? undefined : highest.get(id)
    if (h.durable !== null && id !== null) {
      const {state, at} = h.durable
      const stored: Evidence = {...at, durable: state}
      if (top !== undefined && state.currTerm < top.record.term) {
        violations.push({
          invariant: 'TERM_NEVER_DECREASES',
          group: h.group,
          term: state.currTerm,
          node: id,
          detail: `the durable record of ${id} is at term ${state.currTerm}, behind its vote log at term ${top.record.term}`,
          evidence: [{...top.at, record: top.record}, stored],
        })
      } else if (state.currVoteFor !== null) {
        addVote(h.group, id, state.currTerm, state.currVoteFor, stored)
      } else {
        const voted = votes.get(JSON.stringify([h.group, id, state.currTerm]))
        if (voted !== undefined) {
          const [candidate, first] = [...voted.sides][0]
          violations.push({
            invariant: 'ONE_VOTE_PER_TERM',
            group: h.group,
            term: state.currTerm,
            node: id,
            detail: `the durable record of ${id} holds no vote in term ${state.currTerm}, though ${id} voted for ${candidate} in it: after a restart it could vote again`,
            evidence: [first, stored],
          })
        }
      }
    }
    members.push({
      id,
      group: h.group,
      source: h.source,
      files: [...h.files],
      records: h.records.length,
      durable: h.durable?.state ?? null,
      highestTerm: h.records.reduce<number | null>((m, t) => (m === null || t.record.term > m ? t.record.term : m), null),
    })
  }

  for (const {group, term, voter, sides} of votes.values()) {
    if (sides.size < 2) continue
    const names = [...sides.keys()]
    violations.push({
      invariant: 'ONE_VOTE_PER_TERM',
      group,
      term,
      node: voter,
      detail: `${voter} voted for ${names.length} candidates in term ${term}: ${listing(names)}`,
      evidence: [...sides.values()],
    })
  }
  const leaderList: CheckReport['leaders'] = []
  for (const {group, term, sides} of leaders.values()) {
    const names = [...sides.keys()]
    leaderList.push({group, term, node: names[0]})
    if (names.length < 2) continue
    violations.push({
      invariant: 'ONE_LEADER_PER_TERM',
      group,
      term,
      node: names[1],
      detail: `${names.length} leaders in term ${term}: ${listing(names)}`,
      evidence: [...sides.values()],
    })
  }

  const byGroupTerm = (a: {group: string | null; term: number}, b: {group: string | null; term: number}) =>
    (a.group ?? '').localeCompare(b.group ?? '') || a.term - b.term
  violations.sort((a, b) => byGroupTerm(a, b) || SAFETY_INVARIANTS.indexOf(a.invariant) - SAFETY_INVARIANTS.indexOf(b.invariant) || a.node.localeCompare(b.node))
  leaderList.sort(byGroupTerm)
  const corrupt = histories.flatMap((h) => h.corrupt)
  return {
    ok: violations.length === 0,
    members,
    leaders: leaderList,
    violations,
    corrupt,
    corruptLines: corrupt.reduce((n, c) => n + c.lines, 0),
  }
}

/** `a`, `a and b`, `a, b and c` */
function listing(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

/** `file:line` of a record, as editors and terminals link it. */
function citeOrigin(at: Origin): string {
  return `${at.file}:${at.line}`
}

/** What a cited record says, on one line: the record as `dledger logs` shows it, or the durable record. */
function describeEvidence(e: Evidence): string {
  if ('durable' in e) return `durable record: currTerm ${e.durable.currTerm}, currVoteFor ${e.durable.currVoteFor ?? 'null'}`
  const r = e.record
  return `${r.ts} ${r.node} term ${r.term} ${r.type} ${describeEvent(r)}`
}

/** The readable report: what was read, then every violation with its records, then the verdict. */
export function renderCheckReport(report: CheckReport): string {
  const out: string[] = []
  const groups = new Set(report.members.map((m) => m.group))
  const showGroup = groups.size > 1
  const rows = report.members.map((m) => [
    m.id ?? '?',
    ...(showGroup ? [m.group ?? '-'] : []),
    m.highestTerm === null ? '-' : String(m.highestTerm),
    m.durable === null ? '-' : `${m.durable.currTerm}/${m.durable.currVoteFor ?? '-'}`,
    String(m.records),
    m.source,
  ])
  const header = ['MEMBER', ...(showGroup ? ['GROUP'] : []), 'TERM', 'DURABLE', 'RECORDS', 'DIRECTORY']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  for (const row of [header, ...rows]) out.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  '))

  const records = report.members.reduce((n, m) => n + m.records, 0)
  const files = report.members.reduce((n, m) => n + m.files.length, 0)
  const skipped = report.corruptLines > 0 ? `; skipped ${plural(report.corruptLines, 'corrupt line')}` : ''
  out.push('', `read ${plural(records, 'record')} in ${plural(files, 'vote-log file')} of ${plural(report.members.length, 'member')}; ${plural(report.leaders.length, 'term')} with a leader${skipped}`)
  for (const c of report.corrupt) out.push(`warning: skipped ${plural(c.lines, 'corrupt line')} in ${c.file}`)

  if (report.ok) {
    out.push('OK: one leader per term, one vote per member per term, no term going down')
    return out.join('\n')
  }
  out.push('', `${plural(report.violations.length, 'violation')}:`)
  for (const v of report.violations) {
    out.push(`${v.invariant}${showGroup ? ` (group ${v.group ?? '-'})` : ''}: ${v.detail}`)
    for (const e of v.evidence) out.push(`  ${citeOrigin(e)}  ${describeEvidence(e)}`)
  }
  return out.join('\n')
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
