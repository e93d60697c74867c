/**
 * Where `dledger logs` gets vote-log records from:
 * - the files of a member whose data directory is on this machine (`<dir>/vote.log` and its
 *   rotated `vote.log.1` … `vote.log.3`, read oldest first), which works while it is stopped;
 * - a running member over its WebSocket: `subscribeLog` with a tail of its recent records (at
 *   most MAX_LOG_TAIL), and with `follow`, every later record as it is appended.
 *
 * `LogFollower` keeps one subscription per member for `logs -f`: it reconnects with bounded,
 * jittered backoff when a member goes away (and catches up from the member's recent records when
 * it is back, so a restart loses nothing), and prints every record once.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {VoteLogEventType} from '../core/events.js'
import type {VoteLogRecord} from '../wire/frames.js'
import type {MemberAddress, MemberClientOptions, MemberConnection} from './member-client.js'
import {isRecord, parseVoteLogText, recordKey, recordTimeMs} from './vote-log-view.js'

/** The vote log's file name in a data directory (spec §3; src/node/vote-log.ts writes it). */
export const VOTE_LOG_FILE = 'vote.log'
/** Rotated files kept beside it: vote.log.1 (newest) … vote.log.3 (oldest). */
const VOTE_LOG_KEEP = 3
/** The most records a member's `subscribeLog` tail carries (src/wire/frames.ts MAX_LOG_TAIL). */
const MEMBER_TAIL = 1000

/** What a member's files held. */
export interface FileLog {
  records: VoteLogRecord[]
  /** where each record was read (same order as `records`): its file and 1-based line */
  origins: {file: string; line: number}[]
  /** lines that were not records, per file */
  corrupt: {file: string; lines: number}[]
  /** the files read, oldest first */
  files: string[]
}

/** The vote-log files of a data directory, oldest first (those that exist). */
export function voteLogFiles(dir: string, keep = VOTE_LOG_KEEP): string[] {
  const names = [...Array.from({length: keep}, (_, i) => `${VOTE_LOG_FILE}.${keep - i}`), VOTE_LOG_FILE]
  return names.map((n) => join(dir, n)).filter((f) => existsSync(f))
}

/**
 * Reads a data directory's vote log, rotated files first. Null when there is none. A corrupt line
 * is skipped and counted; the active file's unterminated last line (being written) is ignored.
 */
export function readVoteLogFiles(dir: string): FileLog | null {
  const files = voteLogFiles(dir)
  if (files.length === 0) return null
  const records: VoteLogRecord[] = []
  const origins: {file: string; line: number}[] = []
  const corrupt: {file: string; lines: number}[] = []
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue // rotated away between listing and reading
    }
    const parsed = parseVoteLogText(text, {partialLastLine: file.endsWith(VOTE_LOG_FILE)})
    parsed.records.forEach((r, i) => {
      records.push(r)
      origins.push({file, line: parsed.lines[i]})
    })
    if (parsed.corrupt > 0) corrupt.push({file, lines: parsed.corrupt})
  }
  return {records, origins, corrupt, files}
}

/** The records of a `subscribeLog` answer (`{events: [...]}`); anything else is dropped. */
function tailFromResult(result: unknown): VoteLogRecord[] {
  const events = (result as {events?: unknown} | null)?.events
  return Array.isArray(events) ? events.filter(isRecord) : []
}

/** A running member's recent records (at most MEMBER_TAIL), or why it could not be asked. */
async function fetchMemberTail(
  member: MemberAddress,
  opts: MemberClientOptions & {types?: readonly VoteLogEventType[]},
): Promise<{ok: true; records: VoteLogRecord[]} | {ok: false; error: string}> {
  const {connectMember} = await import('./member-client.js')
  let conn: MemberConnection | undefined
  try {
    conn = await connectMember(member, opts)
    const answer = await conn.admin({op: 'subscribeLog', tail: MEMBER_TAIL, follow: false, ...(opts.types ? {types: [...opts.types]} : {})})
    if (!answer.ok) return {ok: false, error: `${answer.code ?? 'refused'}: ${answer.error ?? 'no detail'}`}
    return {ok: true, records: tailFromResult(answer.result)}
  } catch (error) {
    return {ok: false, error: stripId(member.id, (error as Error).message)}
  } finally {
    conn?.close()
  }
}

/** Where each member's history comes from, and how to report what could not be read. */
export interface CollectOptions<M extends MemberAddress> {
  client: MemberClientOptions
  types?: readonly VoteLogEventType[]
  /** the member's data directory on this machine */
  dataDir: (member: M) => string
  /** files first (a profile's members: works when they are stopped), else the member first */
  filesFirst: boolean
  /** one line per skipped corrupt part of a file */
  warn: (text: string) => void
}

/**
 * Every member's vote-log history, per member in the given order (null where nothing could be
 * read), and one problem line per member without a history.
 */
export async function collectMemberLogs<M extends MemberAddress>(members: readonly M[], o: CollectOptions<M>): Promise<{logs: (VoteLogRecord[] | null)[]; problems: string[]}> {
  const problems: string[] = []
  const logs = await Promise.all(
    members.map(async (p): Promise<VoteLogRecord[] | null> => {
      const fromFiles = () => {
        const files = readVoteLogFiles(o.dataDir(p))
        for (const c of files?.corrupt ?? []) o.warn(`skipped ${c.lines} corrupt line${c.lines === 1 ? '' : 's'} in ${c.file}`)
        return files
      }
      const files = o.filesFirst ? fromFiles() : null
      if (files !== null) return files.records
      const tail = await fetchMemberTail(p, {...o.client, types: o.types})
      if (tail.ok) return tail.records
      const fallback = o.filesFirst ? null : fromFiles()
      if (fallback !== null) return fallback.records
      problems.push(`${p.id}: no vote log in ${o.dataDir(p)} and ${tail.error}`)
      return null
    }),
  )
  return {logs, problems}
}

function stripId(id: string, message: string): string {
  return message.startsWith(`${id}: `) ? message.slice(id.length + 2) : message
}

/**
 * Prints each record of one member once, whichever way it arrives (a file, a tail after a
 * reconnect, a live push): a record is new when it is later than the newest one seen, or of the
 * same millisecond but not seen (events of one core step share their `ts`).
 */
export class SeenRecords {
  private readonly lastMs = new Map<string, number>()
  private readonly atLast = new Map<string, Set<string>>()

  /** Whether the record is new; records it as seen. */
  admit(record: VoteLogRecord): boolean {
    const t = recordTimeMs(record)
    const last = this.lastMs.get(record.node)
    if (last !== undefined && t < last) return false
    const key = recordKey(record)
    if (last === t) {
      const keys = this.atLast.get(record.node) as Set<string>
      if (keys.has(key)) return false
      keys.add(key)
      return true
    }
    this.lastMs.set(record.node, t)
    this.atLast.set(record.node, new Set([key]))
    return true
  }
}

export interface FollowerOptions {
  members: readonly MemberAddress[]
  client: MemberClientOptions
  types?: readonly VoteLogEventType[]
  /** every new record of any member, in arrival order */
  onRecord: (record: VoteLogRecord) => void
  /** one line about a member's connection (lost, back) */
  onNotice: (member: string, text: string) => void
  /** first reconnect delay (default 200 ms); doubles per failed attempt up to maxBackoffMs */
  minBackoffMs?: number
  /** default 3000 ms */
  maxBackoffMs?: number
  random?: () => number
}

/** The backoff before reconnect attempt `attempt` (0-based): jittered in [½, 1] of min(max, min·2^attempt). */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30))
  return Math.max(minMs / 2, Math.round(ceiling * (0.5 + random() / 2)))
}

interface MemberLink {
  member: MemberAddress
  conn: MemberConnection | null
  attempt: number
  timer: NodeJS.Timeout | null
  /** whether the last state told to the user was "following" */
  following: boolean
  /** told the user it is unreachable since the last "following" */
  toldDown: boolean
}

/**
 * `logs -f`: a subscription per member that survives the member going away. `start()` makes the
 * first attempt on every member and returns their recent records (the history to print first);
 * records that arrive before `live()` are held back and released by it, so nothing printed twice
 * and nothing falls between the history and the live stream.
 */
export class LogFollower {
  private readonly links: MemberLink[]
  private readonly seen = new SeenRecords()
  private held: VoteLogRecord[] | null = []
  private closed = false
  private readonly minBackoffMs: number
  private readonly maxBackoffMs: number

  constructor(private readonly opts: FollowerOptions) {
    this.links = opts.members.map((member) => ({member, conn: null, attempt: 0, timer: null, following: false, toldDown: false}))
    this.minBackoffMs = opts.minBackoffMs ?? 200
    this.maxBackoffMs = opts.maxBackoffMs ?? 3000
  }

  /** Connects to every member once; resolves with each one's recent records, or the reason it failed. */
  async start(): Promise<Map<string, {ok: true; records: VoteLogRecord[]} | {ok: false; error: string}>> {
    const results = await Promise.all(this.links.map(async (link) => [link.member.id, await this.connect(link, true)] as const))
    return new Map(results)
  }

  /** Marks records (e.g. the history read from files) as printed, so a later tail does not repeat them. */
  markSeen(records: readonly VoteLogRecord[]): void {
    for (const r of records) this.seen.admit(r)
  }

  /** From now on every new record goes to onRecord, starting with those that arrived since start(). */
  live(): void {
    const held = this.held ?? []
    this.held = null
    for (const r of held) this.deliver(r)
  }

  /** Closes every connection and stops reconnecting. */
  close(): void {
    this.closed = true
    for (const link of this.links) {
      if (link.timer !== null) clearTimeout(link.timer)
      link.timer = null
      link.conn?.close()
      link.conn = null
    }
  }

  /** How many members are followed right now. */
  get connected(): number {
    return this.links.filter((l) => l.conn?.open).length
  }

  private deliver(record: VoteLogRecord): void {
    if (this.opts.types && !this.opts.types.includes(record.type)) return
    if (this.held !== null) {
      this.held.push(record)
      return
    }
    if (this.seen.admit(record)) this.opts.onRecord(record)
  }

  /**
   * One attempt: connect, subscribe with the member's recent records. The first attempt returns
   * them as history; a reconnect passes them through the dedupe, so what happened while the
   * member was out of reach (e.g. its own restart) is printed once.
   */
  private async connect(link: MemberLink, first: boolean): Promise<{ok: true; records: VoteLogRecord[]} | {ok: false; error: string}> {
    const {connectMember} = await import('./member-client.js')
    let conn: MemberConnection
    try {
      conn = await connectMember(link.member, this.opts.client)
    } catch (error) {
      return this.failed(link, stripId(link.member.id, (error as Error).message), first)
    }
    if (this.closed) {
      conn.close()
      return {ok: false, error: 'closed'}
    }
    const pending: VoteLogRecord[] = []
    let subscribed = false
    conn.onLogEvent((record) => {
      if (subscribed) this.deliver(record)
      else pending.push(record)
    })
    let records: VoteLogRecord[]
    try {
      const answer = await conn.admin({op: 'subscribeLog', tail: MEMBER_TAIL, follow: true, ...(this.opts.types ? {types: [...this.opts.types]} : {})})
      if (!answer.ok) {
        conn.close()
        return this.failed(link, `${answer.code ?? 'refused'}: ${answer.error ?? 'no detail'}`, first)
      }
      records = tailFromResult(answer.result)
    } catch (error) {
      conn.close()
      return this.failed(link, stripId(link.member.id, (error as Error).message), first)
    }
    if (this.closed) {
      conn.close()
      return {ok: false, error: 'closed'}
    }
    link.conn = conn
    link.attempt = 0
    if (!first && !link.following) this.opts.onNotice(link.member.id, 'following again')
    link.following = true
    link.toldDown = false
    if (!first) for (const r of records) this.deliver(r)
    subscribed = true
    for (const r of pending) this.deliver(r)
    conn.onClose((reason) => {
      if (link.conn !== conn) return
      link.conn = null
      if (this.closed) return
      link.following = false
      link.toldDown = true
      this.opts.onNotice(link.member.id, `${reason}; reconnecting`)
      this.schedule(link)
    })
    return {ok: true, records}
  }

  private failed(link: MemberLink, error: string, first: boolean): {ok: false; error: string} {
    if (!this.closed) {
      if (!first && !link.toldDown) this.opts.onNotice(link.member.id, `${error}; retrying`)
      link.toldDown = true
      link.following = false
      this.schedule(link)
    }
    return {ok: false, error}
  }

  private schedule(link: MemberLink): void {
    if (this.closed || link.timer !== null) return
    const delay = backoffMs(link.attempt++, this.minBackoffMs, this.maxBackoffMs, this.opts.random)
    link.timer = setTimeout(() => {
      link.timer = null
      if (!this.closed) void this.connect(link, false)
    }, delay)
  }
}
