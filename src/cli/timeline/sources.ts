/**
 * The timeline's inputs from a simulated run's public outputs, as `dledger sim` prints them:
 * its `--trace` JSON lines (vote-log events plus the faults) and its `--json` report. Pure
 * parsing, defensive about every field: a report or trace of another version yields what it can.
 * Vote-log files (`vote.log`) are JSON lines too, so `--from` takes them as well.
 */
import type {VoteLogRecord} from '../../wire/frames.js'
import {isRecord} from '../vote-log-view.js'
import type {FaultInput, TimelineInput} from './model.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** Whether a parsed JSON value is a `sim --json` report. */
export function isSimReport(value: unknown): value is Obj {
  return isObj(value) && Array.isArray(value.leaderChanges) && isObj(value.final)
}

/** What a run of JSON lines held: vote-log records and faults (from a trace or a vote.log). */
export interface JsonLines {
  records: VoteLogRecord[]
  faults: FaultInput[]
  /** the simulated clock was used (a trace), not the wall clock */
  simulated: boolean
  /** lines that were neither */
  skipped: number
}

/**
 * Reads `sim --trace` lines (`{ts, atMs, kind, …}`: `event` lines carry a vote-log record; `crash`,
 * `start`, `partition`, `cut`, `isolate`, `heal`, `loss`, `elect` are faults; `message` and
 * `persist` lines are ignored) and plain vote-log lines alike.
 */
export function fromJsonLines(text: string): JsonLines {
  const out: JsonLines = {records: [], faults: [], simulated: false, skipped: 0}
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch {
      out.skipped++
      continue
    }
    if (!isObj(v)) {
      out.skipped++
      continue
    }
    const kind = str(v.kind)
    if (kind === null) {
      if (isRecord(v)) out.records.push(v)
      else out.skipped++
      continue
    }
    out.simulated = true
    const atMs = num(v.atMs) ?? Date.parse(str(v.ts) ?? '')
    if (!Number.isFinite(atMs)) {
      out.skipped++
      continue
    }
    if (kind === 'event') {
      const {kind: _k, atMs: _a, ...rest} = v
      if (isRecord(rest)) out.records.push(rest)
      continue
    }
    const fault = traceFault(v, atMs)
    if (fault !== null) out.faults.push(fault)
  }
  return out
}

/**
 * The timeline marker of a fault line in `sim --trace`'s words (`crash`, `start`, `pause`,
 * `resume`, `partition`, `cut`, `isolate`, `heal`, `loss`, `elect`), or null for any other line.
 * `dledger test` records its real faults in the same words, so both runs draw the same markers.
 */
export function traceFault(v: Obj, atMs: number): FaultInput | null {
  const node = str(v.node)
  switch (str(v.kind)) {
    case 'crash':
      return node === null ? null : {kind: 'kill', atMs, nodes: [node], label: `${node} ${v.cause === 'stop' ? 'stopped' : 'killed'}`}
    case 'start': {
      // incarnation 0 is a simulated member's first start, not a restart
      if (node === null || v.incarnation === 0) return null
      const term = num(v.currTerm)
      return {kind: 'restart', atMs, nodes: [node], label: `${node} restarted${term === null ? '' : ` (term ${term})`}`}
    }
    case 'pause': {
      const forMs = num(v.forMs)
      return node === null ? null : {kind: 'pause', atMs, nodes: [node], label: `${node} paused${forMs === null ? '' : ` for ${forMs} ms`}`}
    }
    case 'resume':
      return node === null ? null : {kind: 'resume', atMs, nodes: [node], label: `${node} resumed`}
    case 'partition': {
      const groups = Array.isArray(v.groups) ? v.groups.map(strings) : []
      return {kind: 'partition', atMs, nodes: [], label: `partition ${groups.map((g) => g.join(' ')).join(' | ')}`}
    }
    case 'cut':
      return {kind: 'cut', atMs, nodes: [], label: `cut ${strings(v.from).join(' ')} -> ${strings(v.to).join(' ')}`}
    case 'isolate': {
      const nodes = strings(v.nodes)
      return {kind: 'isolate', atMs, nodes, label: `isolate ${nodes.join(' ')}`}
    }
    case 'heal':
      return {kind: 'heal', atMs, nodes: [], label: 'heal'}
    case 'loss':
      return {kind: 'loss', atMs, nodes: [], label: `loss ${num(v.probability) ?? '?'}`}
    case 'elect': {
      const term = num(v.term)
      return node === null ? null : {kind: 'elect', atMs, nodes: [node], label: `elect ${node}${term === null ? '' : ` (term ${term})`}`}
    }
    default:
      return null
  }
}

const SCRIPT_LINE = /^line \d+: (kill|restart|pause|resume|partition|cut|isolate|heal|loss|elect|transfer)\b(.*?)(?: → (.*))?$/

/**
 * A timeline from a `sim --json` report alone: leaders from `leaderChanges`, step-downs and faults
 * from its `timeline` lines, failovers from `failovers`. It lacks ballots and votes (those are in
 * the trace); the role bands and leaderless gaps are exact.
 */
export function fromSimReport(report: Obj, title: string): TimelineInput {
  const records: VoteLogRecord[] = []
  const faults: FaultInput[] = []
  const ts = (ms: number) => new Date(ms).toISOString()
  for (const c of Array.isArray(report.leaderChanges) ? report.leaderChanges : []) {
    if (!isObj(c)) continue
    const atMs = num(c.atMs)
    const leaderId = str(c.leaderId)
    const term = num(c.term)
    if (atMs === null || leaderId === null || term === null) continue
    records.push({ts: ts(atMs), node: leaderId, term, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId, reason: `leads term ${term}`})
  }
  for (const e of Array.isArray(report.timeline) ? report.timeline : []) {
    if (!isObj(e)) continue
    const atMs = num(e.atMs)
    const text = str(e.text)
    if (atMs === null || text === null) continue
    const down = /^(\S+) steps down in term (\d+)(?: \((.*)\))?/.exec(text)
    if (e.kind === 'step-down' && down !== null) {
      records.push({ts: ts(atMs), node: down[1], term: Number(down[2]), type: 'ROLE_CHANGE', from: 'LEADER', to: 'FOLLOWER', leaderId: null, reason: down[3] ?? 'steps down'})
      continue
    }
    const script = e.kind === 'script' ? SCRIPT_LINE.exec(text) : null
    if (script === null) continue
    const kind = script[1] as FaultInput['kind']
    const hits = script[3] ?? ''
    const nodes = kind === 'kill' || kind === 'restart' || kind === 'pause' || kind === 'resume' || kind === 'isolate' || kind === 'elect' ? (hits.match(/\b[A-Za-z0-9_.]+\b/g) ?? []).filter((w) => /\d/.test(w) && !/^\d+$/.test(w)).slice(0, kind === 'elect' ? 1 : undefined) : []
    faults.push({kind, atMs, nodes, label: `${kind}${script[2]}${hits ? ` → ${hits}` : ''}`})
  }
  const members = isObj(report.final) && Array.isArray(report.final.members) ? report.final.members.map((m) => (isObj(m) ? str(m.id) : null)).filter((x): x is string => x !== null) : []
  return {title, clock: 'simulated', records, faults, members, startMs: 0, endMs: num(report.durationMs) ?? undefined}
}

/** The members and run length a report adds to its trace (the trace does not say them). */
export function reportFrame(report: Obj): {members: string[]; endMs?: number} {
  const input = fromSimReport(report, '')
  return {members: [...(input.members ?? [])], endMs: input.endMs}
}
