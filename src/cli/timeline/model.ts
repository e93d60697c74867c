/**
 * The timeline of an election, as data: what `dledger timeline`, `sim --html` and `dledger ui`
 * draw. Built only from public outputs — vote-log records (spec §3) and the fault markers a
 * simulated run reports — so it works the same for a real cluster's logs and a simulated run.
 * Pure: no I/O, no clock; times are milliseconds from `startMs`.
 *
 * What it derives:
 * - a lane per member, its role over time as bands (FOLLOWER, CANDIDATE, LEADER; DOWN between a
 *   kill and a restart; SILENT when a leader went quiet — killed or cut off — without saying so);
 * - term boundaries (the first moment any member was in the term) and who led each term;
 * - ballots (VOTE_REQUEST … PARSE_VOTE_RESULT) with their outcome and counters;
 * - accepted votes (voter → candidate);
 * - markers: heartbeat timeouts, quorum lost, transfers, faults (a run's, or the FAULTS records
 *   real members write when their fault layer changes);
 * - leaderless gaps: every stretch in which no member was leader, with its duration.
 */
import type {VoteLogRecord} from '../../wire/frames.js'

export type BandRole = 'FOLLOWER' | 'CANDIDATE' | 'LEADER' | 'DOWN' | 'SILENT'

export interface RoleBand {
  node: string
  role: BandRole
  term: number
  fromMs: number
  toMs: number
  /** why the band began (a ROLE_CHANGE reason, a fault) */
  reason: string
}

export interface TermMark {
  term: number
  atMs: number
  /** the member that led this term, if one did */
  leaderId: string | null
}

export interface Ballot {
  node: string
  term: number
  fromMs: number
  toMs: number
  /** PASSED, WAIT_TO_REVOTE, REVOTE_IMMEDIATELY, WAIT_TO_VOTE_NEXT; null when no result was logged */
  result: string | null
  /** the PARSE_VOTE_RESULT counters: acceptedNum, notReadyTermNum, biggerLedgerNum, validNum, allNum, … */
  counters: Record<string, number | boolean>
}

export interface Vote {
  /** the member that voted */
  from: string
  /** the candidate it voted for */
  to: string
  term: number
  atMs: number
}

export type MarkerKind =
  | 'heartbeat-timeout'
  | 'quorum-lost'
  | 'transfer'
  | 'kill'
  | 'restart'
  | 'pause'
  | 'resume'
  | 'partition'
  | 'cut'
  | 'isolate'
  | 'heal'
  | 'loss'
  | 'elect'
  /** a real member's FAULTS record: its fault layer now drops or delays something, or nothing */
  | 'fault-set'
  | 'fault-cleared'

export interface Marker {
  kind: MarkerKind
  /** the member it belongs to; null for a cluster-wide fault (partition, heal, loss) */
  node: string | null
  atMs: number
  label: string
}

export interface Gap {
  fromMs: number
  toMs: number
  durationMs: number
  /** true when the run ended without a leader */
  open: boolean
}

export interface TimelineModel {
  title: string
  /** wall: real vote logs (show clock times); simulated: a sim run (show offsets) */
  clock: 'wall' | 'simulated'
  /** absolute time (ms since the epoch) of offset 0 */
  startMs: number
  /** length of the timeline */
  endMs: number
  members: string[]
  bands: RoleBand[]
  terms: TermMark[]
  ballots: Ballot[]
  votes: Vote[]
  markers: Marker[]
  gaps: Gap[]
  /** total leaderless time */
  leaderlessMs: number
}

/** A fault of a simulated (or tested) run, at an absolute time. */
export interface FaultInput {
  kind: Extract<MarkerKind, 'kill' | 'restart' | 'pause' | 'resume' | 'partition' | 'cut' | 'isolate' | 'heal' | 'loss' | 'elect' | 'transfer'>
  atMs: number
  /** the members it hits (one marker each); empty for cluster-wide faults */
  nodes: string[]
  label: string
}

export interface TimelineInput {
  title: string
  clock: 'wall' | 'simulated'
  records: readonly VoteLogRecord[]
  faults?: readonly FaultInput[]
  /** members to show even when they logged nothing */
  members?: readonly string[]
  /** absolute start/end; default: the first and last thing that happened */
  startMs?: number
  endMs?: number
}

/** `n2` before `n10`. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', {numeric: true})
}

type Item = {t: number; seq: number} & ({record: VoteLogRecord & Record<string, unknown>} | {fault: FaultInput})

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** Builds the timeline. Records may come in any order and from several members. */
export function buildTimeline(input: TimelineInput): TimelineModel {
  const items: Item[] = []
  let seq = 0
  for (const r of input.records) {
    const t = Date.parse(r.ts)
    if (Number.isFinite(t)) items.push({t, seq: seq++, record: r as VoteLogRecord & Record<string, unknown>})
  }
  for (const f of input.faults ?? []) items.push({t: f.atMs, seq: seq++, fault: f})
  // faults first within a millisecond: a kill precedes what the survivors log at that instant
  items.sort((a, b) => a.t - b.t || Number('record' in a) - Number('record' in b) || a.seq - b.seq)

  // items are sorted: the first and the last are the extremes (no spread: a long run has 10^5+)
  const startMs = input.startMs ?? (items.length > 0 ? items[0].t : 0)
  const lastMs = Math.max(startMs, items.length > 0 ? items[items.length - 1].t : startMs)
  const endAbs = Math.max(input.endMs ?? lastMs, lastMs)
  const rel = (t: number) => t - startMs

  const memberSet = new Set(input.members ?? [])
  for (const i of items) {
    if ('record' in i) memberSet.add(i.record.node)
    else for (const n of i.fault.nodes) memberSet.add(n)
  }
  const members = [...memberSet].sort(naturalCompare)

  const bands: RoleBand[] = []
  const open = new Map<string, RoleBand>()
  const openBand = (node: string, role: BandRole, term: number, atMs: number, reason: string) => {
    const cur = open.get(node)
    if (cur !== undefined) {
      cur.toMs = atMs
      if (cur.toMs > cur.fromMs) bands.push(cur)
    }
    open.set(node, {node, role, term, fromMs: atMs, toMs: atMs, reason})
  }
  for (const m of members) openBand(m, 'FOLLOWER', 0, 0, 'start')
  const termOf = new Map<string, number>()

  const terms = new Map<number, TermMark>()
  const noteTerm = (term: number, atMs: number) => {
    if (!terms.has(term)) terms.set(term, {term, atMs, leaderId: null})
  }
  const ballots: Ballot[] = []
  const openBallot = new Map<string, Ballot>()
  const votes = new Map<string, Vote>()
  const markers: Marker[] = []
  /** leaders that followers stopped hearing from: node → when the last heartbeat was heard */
  const lostAt = new Map<string, number>()
  /** members an `isolate` fault cut off (until a heal): their heartbeat timeouts say nothing about the leader */
  const isolated = new Set<string>()
  // a run that says its faults (sim, dledger test) draws those; the members' FAULTS records would repeat them
  const drawFaultRecords = (input.faults ?? []).length === 0

  for (const item of items) {
    const t = rel(item.t)
    if ('fault' in item) {
      const f = item.fault
      if (f.nodes.length === 0) markers.push({kind: f.kind, node: null, atMs: t, label: f.label})
      if (f.kind === 'heal') isolated.clear()
      for (const node of f.nodes) {
        markers.push({kind: f.kind, node, atMs: t, label: f.label})
        if (f.kind === 'kill') openBand(node, 'DOWN', termOf.get(node) ?? 0, t, f.label)
        else if (f.kind === 'restart') openBand(node, 'FOLLOWER', termOf.get(node) ?? 0, t, f.label)
        if (f.kind === 'isolate') isolated.add(node)
        else if (f.kind === 'kill' || f.kind === 'restart') isolated.delete(node)
        lostAt.delete(node)
      }
      continue
    }
    const r = item.record
    const node = r.node
    termOf.set(node, r.term)
    noteTerm(r.term, t)
    const cur = open.get(node)
    // a member heard from again after a silence (or a restart nobody reported) is back as a follower
    if (cur !== undefined && (cur.role === 'SILENT' || cur.role === 'DOWN') && r.type !== 'ROLE_CHANGE') openBand(node, 'FOLLOWER', r.term, t, 'heard from again')
    if (cur?.role === 'LEADER' && lostAt.has(node) && !(r.type === 'ROLE_CHANGE' && r.from === 'LEADER')) {
      // the leader logs again but never said it stepped down: it restarted, so it was gone since
      // its followers last heard it
      const since = lostAt.get(node) as number
      cur.toMs = since
      bands.push(cur)
      open.set(node, {node, role: 'SILENT', term: cur.term, fromMs: since, toMs: since, reason: 'no word from it'})
      openBand(node, 'FOLLOWER', r.term, t, 'heard from again')
    }
    lostAt.delete(node)
    switch (r.type) {
      case 'ROLE_CHANGE': {
        const to = str(r.to)
        const role: BandRole = to === 'LEADER' || to === 'CANDIDATE' ? to : 'FOLLOWER'
        openBand(node, role, r.term, t, str(r.reason) ?? '')
        if (role === 'LEADER') {
          const mark = terms.get(r.term)
          if (mark !== undefined && mark.leaderId === null) mark.leaderId = node
        }
        break
      }
      case 'VOTE_REQUEST': {
        const b: Ballot = {node, term: r.term, fromMs: t, toMs: t, result: null, counters: {}}
        ballots.push(b)
        openBallot.set(node, b)
        break
      }
      case 'PARSE_VOTE_RESULT': {
        let b = openBallot.get(node)
        if (b === undefined || b.term !== r.term || b.result !== null) {
          b = {node, term: r.term, fromMs: Math.max(0, t - (num(r.costMs) ?? 0)), toMs: t, result: null, counters: {}}
          ballots.push(b)
        }
        b.toMs = t
        b.result = str(r.result)
        for (const k of ['acceptedNum', 'notReadyTermNum', 'biggerLedgerNum', 'validNum', 'allNum', 'peers', 'costMs', 'nextVoteInMs', 'knownMaxTermInGroup', 'alreadyHasLeader']) {
          const v = r[k]
          if (typeof v === 'number' || typeof v === 'boolean') b.counters[k] = v
        }
        openBallot.delete(node)
        break
      }
      case 'VOTE_HANDLED': {
        const candidate = str(r.candidate)
        const term = num(r.requestTerm) ?? r.term
        if (r.voteResult === 'ACCEPT' && candidate !== null && candidate !== node) votes.set(`${node}>${candidate}@${term}`, {from: node, to: candidate, term, atMs: t})
        break
      }
      case 'VOTE_RESPONSE': {
        // the candidate's side: used when the voter's own log is not at hand
        const voter = str(r.from)
        const key = `${voter}>${node}@${r.term}`
        if (r.voteResult === 'ACCEPT' && voter !== null && voter !== node && !votes.has(key)) votes.set(key, {from: voter, to: node, term: r.term, atMs: t})
        break
      }
      case 'HEARTBEAT_TIMEOUT': {
        const leaderId = str(r.leaderId)
        const ago = num(r.lastHeartbeatAgoMs)
        markers.push({kind: 'heartbeat-timeout', node, atMs: t, label: `no heartbeat from ${leaderId ?? 'the leader'} for ${ago ?? '?'} ms`})
        if (leaderId !== null && leaderId !== node && ago !== null && !isolated.has(node) && open.get(leaderId)?.role === 'LEADER') {
          const heard = Math.max(open.get(leaderId)?.fromMs ?? 0, t - ago)
          lostAt.set(leaderId, Math.min(lostAt.get(leaderId) ?? heard, heard))
        }
        break
      }
      case 'HEARTBEAT_QUORUM_LOST':
        markers.push({kind: 'quorum-lost', node, atMs: t, label: `heartbeat quorum lost: ${num(r.succNum) ?? '?'}/${num(r.allNum) ?? '?'} acks`})
        break
      case 'LEADERSHIP_TRANSFER': {
        const phase = str(r.phase)
        if (phase === 'REQUESTED' || phase === 'COMPLETED' || phase === 'FAILED' || phase === 'PREFERRED_LEADER') {
          const code = str(r.code)
          markers.push({kind: 'transfer', node, atMs: t, label: `transfer ${phase} to ${str(r.transferee) ?? '?'}${code !== null && code !== 'SUCCESS' ? ` ${code}` : ''}`})
        }
        break
      }
      case 'FAULTS': {
        const text = str(r.faults) ?? '?'
        const by = str(r.by)
        if (drawFaultRecords) markers.push({kind: text === 'none' ? 'fault-cleared' : 'fault-set', node, atMs: t, label: `${node}: ${text === 'none' ? 'faults cleared' : text}${by === null ? '' : ` (by ${by})`}`})
        break
      }
      case 'INCREASE_TERM':
        break
    }
    // a new leader elected while another was lost: the lost one's band ends where it went quiet
    if (r.type === 'ROLE_CHANGE' && r.to === 'LEADER') {
      for (const [lost, since] of lostAt) {
        const band = open.get(lost)
        if (lost === node || band?.role !== 'LEADER' || band.term >= r.term) continue
        band.toMs = since
        bands.push(band)
        open.set(lost, {node: lost, role: 'SILENT', term: band.term, fromMs: since, toMs: since, reason: 'no word from it'})
        lostAt.delete(lost)
      }
    }
  }
  const endMs = rel(endAbs)
  for (const band of open.values()) {
    band.toMs = endMs
    if (band.toMs > band.fromMs) bands.push(band)
  }
  bands.sort((a, b) => a.fromMs - b.fromMs || naturalCompare(a.node, b.node))

  const gaps = leaderlessGaps(bands, endMs)
  return {
    title: input.title,
    clock: input.clock,
    startMs,
    endMs,
    members,
    bands,
    terms: [...terms.values()].filter((m) => m.term > 0).sort((a, b) => a.term - b.term),
    ballots,
    votes: [...votes.values()].sort((a, b) => a.atMs - b.atMs),
    markers,
    gaps,
    leaderlessMs: gaps.reduce((s, g) => s + g.durationMs, 0),
  }
}

/** The stretches of [0, endMs] in which no member was LEADER. */
function leaderlessGaps(bands: readonly RoleBand[], endMs: number): Gap[] {
  const led = bands
    .filter((b) => b.role === 'LEADER' && b.toMs > b.fromMs)
    .map((b) => [b.fromMs, b.toMs] as const)
    .sort((a, b) => a[0] - b[0])
  const gaps: Gap[] = []
  let at = 0
  for (const [from, to] of led) {
    if (from > at) gaps.push({fromMs: at, toMs: from, durationMs: from - at, open: false})
    at = Math.max(at, to)
  }
  if (at < endMs) gaps.push({fromMs: at, toMs: endMs, durationMs: endMs - at, open: true})
  return gaps
}
