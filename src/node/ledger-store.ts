/**
 * The ledger on disk: `<dataDir>/ledger/`, append-only segment files of checksummed records.
 *
 * A segment is named after the index of its first record (`00000000000000000000.seg`, 20 digits,
 * so names sort like indexes) and holds whole records, back to back:
 *
 *   index (8 bytes) | term (8) | length (4) | body (length bytes, UTF-8) | checksum (4)
 *
 * all little-endian; the checksum is the CRC-32 of everything before it in the record. A new
 * segment starts once the current one passes SEGMENT_BYTES.
 *
 * Durability: `append` writes and fsyncs before it returns, so the member acknowledges an entry
 * (to its leader, or to a client) only once it is on disk; `truncate` cuts the segment file,
 * removes the later ones and fsyncs the file and the directory before it returns.
 *
 * Start-up (`load`) reads every segment and checks each record: its checksum, that indexes follow
 * one another from 0, that terms never go down. A damaged LAST record of the last segment is a
 * write the crash interrupted (a torn tail): it is cut off with a warning. Damage anywhere before
 * it is corruption: start-up stops with one line naming the file and the offset (DLedger's mmap
 * store would start and serve what it finds).
 */
import {closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {crc32} from 'node:zlib'

import type {LogEntry} from '../core/push.js'
import {errorMessage, StartupError} from './errors.js'
import {fsyncDir} from './state-store.js'

export const LEDGER_DIR = 'ledger'
const SEGMENT_SUFFIX = '.seg'
/** A new segment starts once the current one is this large. */
export const SEGMENT_BYTES = 64 * 1024 * 1024
const HEADER_BYTES = 8 + 8 + 4
const CHECKSUM_BYTES = 4

const CORRUPT_HINT =
  'The ledger is damaged before its last record. Restore the data directory from a backup, or remove this member\'s ledger directory and let it copy the log from the leader again.'

/** Where one entry lives on disk. */
interface Position {
  segment: number
  offset: number
}

interface Segment {
  firstIndex: number
  file: string
  bytes: number
}

export interface LoadResult {
  entries: LogEntry[]
  /** one line per repair made (a torn tail cut off) */
  warnings: string[]
}

/** The record of one entry, checksum included. */
export function encodeRecord(e: LogEntry): Buffer {
  const body = Buffer.from(e.body, 'utf8')
  const buf = Buffer.alloc(HEADER_BYTES + body.length + CHECKSUM_BYTES)
  buf.writeBigInt64LE(BigInt(e.index), 0)
  buf.writeBigInt64LE(BigInt(e.term), 8)
  buf.writeUInt32LE(body.length, 16)
  body.copy(buf, HEADER_BYTES)
  buf.writeUInt32LE(crc32(buf.subarray(0, HEADER_BYTES + body.length)), HEADER_BYTES + body.length)
  return buf
}

export class LedgerStore {
  readonly dir: string
  private segments: Segment[] = []
  private positions: Position[] = []
  private fd: number | null = null

  constructor(dataDir: string) {
    this.dir = join(dataDir, LEDGER_DIR)
  }

  /** Reads and checks every segment; throws StartupError on corruption before the tail. */
  load(): LoadResult {
    mkdirSync(this.dir, {recursive: true, mode: 0o700})
    const names = readdirSync(this.dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort()
    const entries: LogEntry[] = []
    const warnings: string[] = []
    this.segments = []
    this.positions = []
    for (const [k, name] of names.entries()) {
      const file = join(this.dir, name)
      const last = k === names.length - 1
      let data: Buffer
      try {
        data = readFileSync(file)
      } catch (error) {
        throw new StartupError(`cannot read the ledger segment ${file}: ${errorMessage(error)}`, CORRUPT_HINT)
      }
      const segment: Segment = {firstIndex: entries.length, file, bytes: 0}
      this.segments.push(segment)
      let offset = 0
      while (offset < data.length) {
        const problem = this.checkRecord(data, offset, entries)
        if (typeof problem !== 'string') {
          entries.push(problem.entry)
          this.positions.push({segment: this.segments.length - 1, offset})
          offset = problem.end
          continue
        }
        // only the last record of the last segment may be torn: it runs to (or past) the end
        const recordEnd = data.length >= offset + HEADER_BYTES ? offset + HEADER_BYTES + data.readUInt32LE(offset + 16) + CHECKSUM_BYTES : Number.POSITIVE_INFINITY
        if (last && recordEnd >= data.length) {
          warnings.push(`dropped a torn last record of the ledger at ${file} offset ${offset} (${data.length - offset} bytes: ${problem}); the write was interrupted`)
          cutFile(file, offset)
          break
        }
        throw new StartupError(`the ledger is corrupt: ${file} at offset ${offset}: ${problem}`, CORRUPT_HINT)
      }
      segment.bytes = Math.min(offset, data.length)
    }
    return {entries, warnings}
  }

  /** Appends entries (the next indexes) and fsyncs before returning. */
  append(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return
    const buffers: Buffer[] = []
    let seg = this.current()
    let pending = 0
    const flush = () => {
      if (buffers.length === 0) return
      const buf = Buffer.concat(buffers)
      writeSync(this.openFd(), buf, 0, buf.length, seg.bytes - pending)
      buffers.length = 0
      pending = 0
    }
    for (const e of entries) {
      if (e.index !== this.positions.length) throw new Error(`ledger append of index ${e.index} at end ${this.positions.length - 1}`)
      if (seg.bytes >= SEGMENT_BYTES) {
        flush()
        this.sync()
        seg = this.startSegment(e.index)
      }
      const rec = encodeRecord(e)
      buffers.push(rec)
      this.positions.push({segment: this.segments.length - 1, offset: seg.bytes})
      seg.bytes += rec.length
      pending += rec.length
    }
    flush()
    this.sync()
  }

  /** Drops every entry from `from` on, durably. */
  truncate(from: number): void {
    if (from >= this.positions.length) return
    const pos = this.positions[from] as Position
    this.closeFd()
    for (const s of this.segments.slice(pos.segment + 1)) rmSync(s.file, {force: true})
    this.segments.length = pos.segment + 1
    const seg = this.segments[pos.segment] as Segment
    if (pos.offset === 0 && pos.segment > 0) {
      rmSync(seg.file, {force: true})
      this.segments.length = pos.segment
    } else {
      cutFile(seg.file, pos.offset)
      seg.bytes = pos.offset
    }
    this.positions.length = from
    fsyncDir(this.dir)
  }

  close(): void {
    this.closeFd()
  }

  private checkRecord(data: Buffer, offset: number, before: readonly LogEntry[]): {entry: LogEntry; end: number} | string {
    if (data.length - offset < HEADER_BYTES + CHECKSUM_BYTES) return 'a partial record header'
    const length = data.readUInt32LE(offset + 16)
    const end = offset + HEADER_BYTES + length + CHECKSUM_BYTES
    if (end > data.length) return `a record of ${length} bytes runs past the end of the file`
    const stored = data.readUInt32LE(end - CHECKSUM_BYTES)
    if (crc32(data.subarray(offset, end - CHECKSUM_BYTES)) !== stored) return 'checksum mismatch'
    const index = Number(data.readBigInt64LE(offset))
    const term = Number(data.readBigInt64LE(offset + 8))
    if (index !== before.length) return `index ${index} where ${before.length} was expected`
    const prevTerm = before.length > 0 ? (before[before.length - 1] as LogEntry).term : 0
    if (term < prevTerm) return `term ${term} after term ${prevTerm}`
    return {entry: {index, term, body: data.toString('utf8', offset + HEADER_BYTES, offset + HEADER_BYTES + length)}, end}
  }

  private current(): Segment {
    const last = this.segments[this.segments.length - 1]
    return last ?? this.startSegment(0)
  }

  private startSegment(firstIndex: number): Segment {
    this.closeFd()
    const seg: Segment = {firstIndex, file: join(this.dir, `${String(firstIndex).padStart(20, '0')}${SEGMENT_SUFFIX}`), bytes: 0}
    this.segments.push(seg)
    closeSync(openSync(seg.file, 'w', 0o600))
    fsyncDir(this.dir)
    return seg
  }

  private openFd(): number {
    if (this.fd === null) this.fd = openSync((this.segments[this.segments.length - 1] as Segment).file, 'r+')
    return this.fd
  }

  private sync(): void {
    if (this.fd !== null) fsyncSync(this.fd)
  }

  private closeFd(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

/** Cuts `file` to `length` bytes and fsyncs it. */
function cutFile(file: string, length: number): void {
  const fd = openSync(file, 'r+')
  try {
    ftruncateSync(fd, length)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
