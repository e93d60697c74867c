/**
 * `dledger logs` without I/O: parsing vote-log text (spec §3: one JSON record per line), merging
 * the logs of several members in time order, the `--node`/`--type`/`--since`/`-n` filters, and
 * the one-line human view of each event type. Everything here is a pure function, tested alone;
 * reading files and following members lives in vote-log-source.ts.
 */
import {VOTE_LOG_EVENT_TYPES, type VoteLogEventType} from '../core/events.js'
import type {VoteLogRecord} from '../wire/frames.js'

/** The text of a log file (or several, oldest first) as records, with the lines that were not records. */
export interface ParsedLog {
  records: VoteLogRecord[]
  /** the 1-based line of each record in the text (same order as `records`), for reports that cite it */
  lines: number[]
  /** lines that are not a vote-log record (skipped, counted) */
  corrupt: number
}

/**
 * Parses JSON lines. A line that is not a JSON object with a string `ts` that is a time, a string
 * `node`, an integer `term` and a known `type` counts as corrupt and is skipped. With
 * `partialLastLine`, a last line without its newline is ignored silently: a member may be
 * appending it right now.
 */
export function parseVoteLogText(text: string, opts: {partialLastLine?: boolean} = {}): ParsedLog {
  const lines = text.split('\n')
  const last = lines.pop() ?? ''
  if (!opts.partialLastLine && last.trim() !== '') lines.push(last)
  const records: VoteLogRecord[] = []
  const numbers: number[] = []
  let corrupt = 0
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    const record = parseRecordLine(line)
    if (record === null) corrupt++
    else {
      records.push(record)
      numbers.push(i + 1)
    }
  })
  return {records, lines: numbers, corrupt}
}

/** One line as a record, or null when it is not one. */
function parseRecordLine(line: string): VoteLogRecord | null {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return null
  }
  return isRecord(value) ? value : null
}

/** Whether a value has the fields every vote-log record has (spec §3). */
export function isRecord(value: unknown): value is VoteLogRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const r = value as Record<string, unknown>
  return (
    typeof r.ts === 'string' &&
    Number.isFinite(Date.parse(r.ts)) &&
    typeof r.node === 'string' &&
    Number.isInteger(r.term) &&
    typeof r.type === 'string' &&
    (VOTE_LOG_EVENT_TYPES as readonly string[]).includes(r.type)
  )
}

/** Milliseconds since the epoch of a record's `ts`. */
export function recordTimeMs(record: VoteLogRecord): number {
  return Date.parse(record.ts)
}

/**
 * Merges the logs of several members into one, ordered by `ts`. The sort is stable: records of
 * the same millisecond keep the order of `logs` (one per member, in member order) and, within one
 * member, the order of its file (events of one core step share a `ts`).
 */
export function mergeLogs(logs: readonly (readonly VoteLogRecord[])[]): VoteLogRecord[] {
  const keyed: {t: number; member: number; i: number; r: VoteLogRecord}[] = []
  logs.forEach((log, member) => log.forEach((r, i) => keyed.push({t: recordTimeMs(r), member, i, r})))
  keyed.sort((a, b) => a.t - b.t || a.member - b.member || a.i - b.i)
  return keyed.map((k) => k.r)
}

/** The `--node`, `--type` and `--since` filters; an absent one lets everything through. */
export interface LogFilter {
  nodes?: readonly string[]
  types?: readonly VoteLogEventType[]
  /** keep records at or after this time (ms since the epoch) */
  sinceMs?: number
}

export function matchesFilter(record: VoteLogRecord, filter: LogFilter): boolean {
  if (filter.nodes && filter.nodes.length > 0 && !filter.nodes.includes(record.node)) return false
  if (filter.types && filter.types.length > 0 && !filter.types.includes(record.type)) return false
  if (filter.sinceMs !== undefined && recordTimeMs(record) < filter.sinceMs) return false
  return true
}

/** The records that pass the filter, then the last `n` of them (all when `n` is undefined). */
export function selectRecords(records: readonly VoteLogRecord[], filter: LogFilter, n?: number): VoteLogRecord[] {
  const kept = records.filter((r) => matchesFilter(r, filter))
  return n === undefined ? kept : n <= 0 ? [] : kept.slice(-n)
}

/** A `--type` value: event types separated by commas, any case. */
export function parseTypes(text: string): {ok: true; types: VoteLogEventType[]} | {ok: false; unknown: string[]} {
  const words = splitList(text).map((w) => w.toUpperCase().replace(/-/g, '_'))
  const unknown = words.filter((w) => !(VOTE_LOG_EVENT_TYPES as readonly string[]).includes(w))
  if (unknown.length > 0 || words.length === 0) return {ok: false, unknown: words.length === 0 ? [text] : unknown}
  return {ok: true, types: [...new Set(words)] as VoteLogEventType[]}
}

/** A comma-separated list without blanks. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')
}

const DURATION_UNITS_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/**
 * A `--since` value as ms since the epoch: a duration back from `nowMs` (`500ms`, `30s`, `5m`,
 * `2h`, `1d`, also combined as `1h30m`) or an ISO 8601 time (`2026-11-25T12:00:00Z`; a date
 * and time without a zone is local time). Null when it is neither.
 */
export function parseSince(text: string, nowMs: number): number | null {
  const value = text.trim()
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(value)) {
    let total = 0
    for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(amount) * DURATION_UNITS_MS[unit]
    return nowMs - total
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null
  const t = Date.parse(value)
  return Number.isFinite(t) ? t : null
}

export interface FormatOptions {
  /** print times in UTC instead of local time (tests) */
  utc?: boolean
  /** now (ms since the epoch): a record of another day than now gets its date printed */
  nowMs?: number
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** `12:00:01.204`, with `2026-11-24 ` in front when the record is not from the day of `nowMs`. */
export function formatTime(tsMs: number, opts: FormatOptions = {}): string {
  const d = new Date(tsMs)
  const parts = opts.utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()]
  const [year, month, day, h, m, s, ms] = parts
  const time = `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`
  if (opts.nowMs === undefined) return time
  const now = new Date(opts.nowMs)
  const sameDay = opts.utc
    ? now.getUTCFullYear() === year && now.getUTCMonth() + 1 === month && now.getUTCDate() === day
    : now.getFullYear() === year && now.getMonth() + 1 === month && now.getDate() === day
  return sameDay ? time : `${year}-${pad(month)}-${pad(day)} ${time}`
}

/** A field of a record from a member of another version may be missing: show `?`. */
function show(v: unknown): string {
  return v === undefined || v === null ? '?' : String(v)
}

/** What one event says, after `TYPE` (no time, node or term). */
export function describeEvent(record: VoteLogRecord): string {
  // records come from files and other versions: read fields defensively
  const r = record as VoteLogRecord & Record<string, unknown>
  switch (record.type) {
    case 'INCREASE_TERM':
      return `${show(r.fromTerm)} -> ${record.term}${r.reason ? ` (${show(r.reason)})` : ''}`
    case 'VOTE_REQUEST':
      return `asks ${show(r.peers)} member${r.peers === 1 ? '' : 's'} for votes in term ${record.term} (ledger end ${show(r.ledgerEndIndex)}/${show(r.ledgerEndTerm)})`
    case 'VOTE_RESPONSE':
      return `${show(r.voteResult)} from ${show(r.from)}${r.responseTerm !== undefined && r.responseTerm !== record.term ? ` (its term ${show(r.responseTerm)})` : ''}`
    case 'VOTE_HANDLED':
      return `voted ${show(r.voteResult)} for ${show(r.candidate)} (term ${show(r.requestTerm ?? record.term)})`
    case 'PARSE_VOTE_RESULT': {
      const extra: string[] = []
      if (typeof r.notReadyTermNum === 'number' && r.notReadyTermNum > 0) extra.push(`${r.notReadyTermNum} not ready`)
      if (typeof r.biggerLedgerNum === 'number' && r.biggerLedgerNum > 0) extra.push(`${r.biggerLedgerNum} with a bigger ledger`)
      if (r.alreadyHasLeader === true) extra.push('a leader exists')
      if (r.result !== 'PASSED' && typeof r.nextVoteInMs === 'number') extra.push(`next vote in ${Math.round(r.nextVoteInMs)} ms`)
      const cost = typeof r.costMs === 'number' ? ` in ${Math.round(r.costMs)} ms` : ''
      return `${show(r.result)} accepted ${show(r.acceptedNum)}/${show(r.peers ?? r.allNum)}${cost}${extra.length > 0 ? `; ${extra.join(', ')}` : ''}`
    }
    case 'ROLE_CHANGE': {
      const leader = r.to !== 'LEADER' && typeof r.leaderId === 'string' ? `, leader ${r.leaderId}` : ''
      return `${show(r.from)} -> ${show(r.to)}${leader}${r.reason ? ` (${show(r.reason)})` : ''}`
    }
    case 'HEARTBEAT_TIMEOUT':
      return `no heartbeat from ${typeof r.leaderId === 'string' ? r.leaderId : 'the leader'} for ${show(r.lastHeartbeatAgoMs)} ms`
    case 'HEARTBEAT_QUORUM_LOST':
      return `${show(r.succNum)}/${show(r.allNum)} acks${typeof r.notReadyNum === 'number' && r.notReadyNum > 0 ? `, ${r.notReadyNum} not ready` : ''}, last quorum ${show(r.lastSuccessAgoMs)} ms ago${r.reason ? ` (${show(r.reason)})` : ''}`
    case 'LEADERSHIP_TRANSFER':
      return `${show(r.phase)} to ${show(r.transferee)}${r.code !== undefined && r.code !== 'SUCCESS' ? ` ${show(r.code)}` : ''}${r.detail ? ` (${show(r.detail)})` : ''}`
    case 'FAULTS':
      return `faults now ${show(r.faults)}${r.by ? ` (set by ${show(r.by)})` : ''}`
    default: {
      const never: never = record
      return JSON.stringify(never)
    }
  }
}

/** The human line: `12:00:01.204 n1 term 4 PARSE_VOTE_RESULT PASSED accepted 2/3 in 12 ms`. */
export function formatRecord(record: VoteLogRecord, opts: FormatOptions = {}): string {
  return `${formatTime(recordTimeMs(record), opts)} ${record.node} term ${record.term} ${record.type} ${describeEvent(record)}`
}

/** The `--json` line: the record exactly as the member wrote it. */
export function formatJsonRecord(record: VoteLogRecord): string {
  return JSON.stringify(record)
}

/**
 * A key that is the same for the same record whether it was read from a file or pushed by a
 * member (field order may differ), used to print each record once while following.
 */
export function recordKey(record: VoteLogRecord): string {
  const r = record as unknown as Record<string, unknown>
  return JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))
}
