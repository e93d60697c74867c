/**
 * The vote log (spec §3): every election event of this member, one JSON object per line in
 * `<dataDir>/vote.log`, rotated at 10 MiB into vote.log.1 … vote.log.3 (the oldest is dropped),
 * and streamed to live subscribers (`dledger logs -f`).
 *
 * A record is `{"ts": ISO 8601, "node", "term", "type", …the event's own fields}`; `ts` is the
 * wall-clock time of the event's monotonic `atMs`, which the record leaves out.
 *
 * Lines are appended with synchronous writes (one per core step), so nothing is buffered in the
 * process: a kill -9 loses nothing that was appended, and `close()` only has to fsync. A failed
 * write is logged and counted, never fatal: the log is a diagnostic, not election state.
 */
import {closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import type {VoteLogEvent, VoteLogEventType} from '../core/events.js'
import type {NodeId} from '../core/types.js'
import type {VoteLogRecord} from '../wire/frames.js'
import {errorCode, errorMessage, StartupError} from './errors.js'
import {checkRegularFile} from './state-store.js'
import {type Logger, silentLogger} from './logger.js'

export const VOTE_LOG_FILE = 'vote.log'
const DEFAULT_VOTE_LOG_MAX_BYTES = 10 * 1024 * 1024
const DEFAULT_VOTE_LOG_KEEP = 3
/** How many recent records are kept in memory for `subscribeLog {tail}`. */
const RECENT_RECORDS = 1000
/** How much of an existing log is read at open to seed the recent records. */
const SEED_READ_BYTES = 512 * 1024

export interface VoteLogOptions {
  dir: string
  /** ISO 8601 wall-clock time of a monotonic instant */
  toIso: (monotonicMs: number) => string
  maxBytes?: number
  /** rotated files kept (vote.log.1 … vote.log.<keep>) */
  keep?: number
  log?: Logger
  /** called once per failed append (for metrics) */
  onWriteError?: (error: unknown) => void
}

export type VoteLogSubscriber = (record: VoteLogRecord) => void

export class VoteLog {
  readonly file: string
  private readonly maxBytes: number
  private readonly keep: number
  private readonly log: Logger
  private fd: number | null = null
  private size = 0
  private readonly recent: VoteLogRecord[] = []
  private readonly subscribers = new Set<VoteLogSubscriber>()
  private failing = false

  constructor(private readonly opts: VoteLogOptions) {
    this.file = join(opts.dir, VOTE_LOG_FILE)
    this.maxBytes = opts.maxBytes ?? DEFAULT_VOTE_LOG_MAX_BYTES
    this.keep = Math.max(1, opts.keep ?? DEFAULT_VOTE_LOG_KEEP)
    this.log = opts.log ?? silentLogger
  }

  /** Opens (creates) the log for appending and reads its tail; throws StartupError. */
  open(): void {
    if (this.fd !== null) return
    try {
      checkRegularFile(this.file, 'the vote log', VOTE_LOG_HINT)
      this.fd = openSync(this.file, 'a+', 0o600)
      fchmodSync(this.fd, 0o600) // a log from before modes were tightened
      this.size = fstatSync(this.fd).size
    } catch (error) {
      if (error instanceof StartupError) throw error
      throw new StartupError(`cannot open the vote log ${this.file}: ${errorMessage(error)}`, 'Check that the data directory is writable.')
    }
    this.endPartialLine()
    this.seedRecent()
  }

  /** Turns events into records, appends them (rotating first if needed) and notifies subscribers. */
  append(events: readonly VoteLogEvent[]): VoteLogRecord[] {
    if (events.length === 0) return []
    const records = events.map((e) => this.toRecord(e))
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('')
    this.write(text)
    for (const r of records) {
      this.recent.push(r)
      for (const fn of this.subscribers) {
        try {
          fn(r)
        } catch (error) {
          this.log.warn('vote-log subscriber failed', {error: errorMessage(error)})
        }
      }
    }
    if (this.recent.length > RECENT_RECORDS) this.recent.splice(0, this.recent.length - RECENT_RECORDS)
    return records
  }

  /** The last `n` records (newest last), optionally of some types only. */
  tail(n: number, types?: readonly VoteLogEventType[]): VoteLogRecord[] {
    if (n <= 0) return []
    const pool = types && types.length > 0 ? this.recent.filter((r) => types.includes(r.type)) : this.recent
    return pool.slice(-n)
  }

  /** Calls `fn` with every record appended from now on; returns the unsubscribe function. */
  subscribe(fn: VoteLogSubscriber): () => void {
    this.subscribers.add(fn)
    return () => {
      this.subscribers.delete(fn)
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  /** fsyncs and closes the file; drops every subscriber. Idempotent. */
  close(): void {
    this.subscribers.clear()
    if (this.fd === null) return
    const fd = this.fd
    this.fd = null
    try {
      fsyncSync(fd)
    } catch (error) {
      this.log.warn(`cannot flush the vote log ${this.file}`, {error: errorMessage(error)})
    }
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
  }

  private toRecord(event: VoteLogEvent): VoteLogRecord {
    const {atMs, ...fields} = event
    return {ts: this.opts.toIso(atMs), ...fields} as VoteLogRecord
  }

  private write(text: string): void {
    if (this.fd === null) return
    const bytes = Buffer.from(text, 'utf8')
    try {
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate()
      if (this.fd === null) return
      let off = 0
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off)
      this.size += bytes.length
      if (this.failing) this.log.info(`the vote log ${this.file} is writable again`)
      this.failing = false
    } catch (error) {
      this.opts.onWriteError?.(error)
      if (!this.failing) this.log.warn(`cannot append to the vote log ${this.file}; events are still streamed`, {error: errorMessage(error)})
      this.failing = true
    }
  }

  /** vote.log.(k-1) → vote.log.k, …, vote.log → vote.log.1, then a fresh vote.log. */
  private rotate(): void {
    if (this.fd !== null) {
      try {
        fsyncSync(this.fd)
      } catch {
        // best effort: the old file is being retired
      }
      closeSync(this.fd)
      this.fd = null
    }
    for (let i = this.keep - 1; i >= 1; i--) renameIfExists(`${this.file}.${i}`, `${this.file}.${i + 1}`)
    renameIfExists(this.file, `${this.file}.1`)
    this.fd = openSync(this.file, 'a+', 0o600)
    this.size = 0
    this.log.debug(`rotated the vote log ${this.file}`)
  }

  /** A log cut mid-line (a full disk, a crash) gets a newline, so the next record starts on its own line. */
  private endPartialLine(): void {
    if (this.fd === null || this.size === 0) return
    try {
      const last = Buffer.alloc(1)
      readSync(this.fd, last, 0, 1, this.size - 1)
      if (last[0] !== 0x0a) this.write('\n')
    } catch (error) {
      this.log.debug(`cannot check the end of ${this.file}`, {error: errorMessage(error)})
    }
  }

  /** Seeds the recent records from the end of an existing log (so a restarted member can serve a tail). */
  private seedRecent(): void {
    if (this.fd === null || this.size === 0) return
    try {
      const length = Math.min(this.size, SEED_READ_BYTES)
      const buf = Buffer.alloc(length)
      let read = 0
      while (read < length) {
        const n = readSync(this.fd, buf, read, length - read, this.size - length + read)
        if (n === 0) break
        read += n
      }
      const lines = buf.subarray(0, read).toString('utf8').split('\n')
      if (length < this.size) lines.shift() // the first line may be cut
      for (const line of lines.slice(-RECENT_RECORDS)) {
        if (line.trim() === '') continue
        try {
          const value = JSON.parse(line) as unknown
          if (typeof value === 'object' && value !== null && typeof (value as {ts?: unknown}).ts === 'string' && typeof (value as {type?: unknown}).type === 'string')
            this.recent.push(value as VoteLogRecord)
        } catch {
          // a torn last line (kill -9 mid-write): skip it
        }
      }
    } catch (error) {
      this.log.debug(`cannot read the tail of ${this.file}`, {error: errorMessage(error)})
    }
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error
  }
}

const VOTE_LOG_HINT = 'The vote log must be a regular file: move whatever is there aside.'

/** The newest term a member's vote logs show, and the vote they show it gave in that term. */
export interface LoggedVote {
  /** how many records the logs hold (0: nothing to compare with) */
  records: number
  /** the largest `term` of any record; -1 when there are none */
  term: number
  /** whom the member voted for in `term` (itself for its own ballot), or null when the logs show no vote */
  votedFor: NodeId | null
  /** the file that shows `term` (and the vote, when there is one) */
  file: string | null
}

/**
 * Reads every vote log of a data directory (vote.log and its rotations, all of them) and finds the
 * newest term and vote in them. The record is written before any event of the same step is
 * appended (spec S1), so a log never legitimately runs ahead of the record: if it does, the
 * record was rolled back (issue 7). Torn or foreign lines are skipped; a log that is not a
 * regular file throws a StartupError.
 */
export function newestLoggedVote(dir: string): LoggedVote {
  const found: LoggedVote = {records: 0, term: -1, votedFor: null, file: null}
  // files may be read in any order: keep each term's vote, pick the newest term's at the end
  const votes = new Map<number, {id: NodeId; file: string}>()
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n === VOTE_LOG_FILE || /^vote\.log\.\d+$/.test(n))
  } catch {
    return found
  }
  for (const name of names) {
    const file = join(dir, name)
    if (!checkRegularFile(file, 'the vote log', VOTE_LOG_HINT)) continue
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new StartupError(`cannot read the vote log ${file}: ${errorMessage(error)}`, 'Check the permissions of the data directory.')
    }
    for (const line of text.split('\n')) {
      if (line === '') continue
      let r: {term?: unknown; type?: unknown; node?: unknown; from?: unknown; candidate?: unknown; voteResult?: unknown; requestTerm?: unknown}
      try {
        r = JSON.parse(line) as typeof r
      } catch {
        continue // a torn line
      }
      if (typeof r !== 'object' || r === null || typeof r.term !== 'number') continue
      found.records++
      if (r.term > found.term) {
        found.term = r.term
        found.file = file
      }
      // a vote is an accepted ballot: another's (VOTE_HANDLED) or its own, which the member answers
      // like any other and logs as its own VOTE_RESPONSE (its ballot alone is no vote: it may have
      // voted for another candidate in that term already)
      const vote =
        r.voteResult !== 'ACCEPT'
          ? null
          : r.type === 'VOTE_HANDLED'
            ? {term: r.requestTerm, id: r.candidate}
            : r.type === 'VOTE_RESPONSE' && r.from === r.node
              ? {term: r.term, id: r.node}
              : null
      if (vote !== null && typeof vote.term === 'number' && typeof vote.id === 'string') votes.set(vote.term, {id: vote.id, file})
    }
  }
  const vote = votes.get(found.term)
  if (vote !== undefined) {
    found.votedFor = vote.id
    found.file = vote.file
  }
  return found
}
