/**
 * The durable term/vote record (spec S1): `<dataDir>/state.json` = `{"currTerm":N,"currVoteFor":id|null}`.
 *
 * A write is atomic and durable: write a temp file (a name of its own, mode 0600), fsync it, rename
 * it over the record, fsync the directory. It is synchronous (the record is tiny) so that the
 * member sends nothing that depends on the record before it is on disk. A crash mid-write leaves
 * either the old or the new record, never a torn one; leftover temp files are ignored (and removed)
 * at load, which runs only under the data directory's lock (data-dir-lock.ts).
 *
 * Loading: a missing record means term 0 and no vote; an unreadable, corrupt or wrongly shaped
 * one, one with a term above MAX_TERM, and anything that is not a regular file (a FIFO would hang
 * the read, a dangling symlink would pass for "no record") stop start-up with a StartupError naming
 * the file (DLedger silently starts at term 0, which can make a member vote twice in one term).
 */
import {randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import type {DurableState} from '../core/types.js'
import {parseRecord, STATE_FILE} from '../wire/durable-record.js'
import {errorCode, errorMessage, printable, StartupError} from './errors.js'

/** Where the member keeps its durable record; the interface lets tests inject failures. */
export interface DurableStore {
  /** the record's path, for messages */
  readonly file: string
  /** the stored record, or term 0 / no vote when there is none; throws StartupError */
  load(): DurableState
  /** whether a record exists on disk (rollback detection: a missing record with a vote log); default true */
  exists?(): boolean
  /** writes the record atomically and durably; throws on failure (the member then fail-stops) */
  write(state: DurableState): void
}

export class StateStore implements DurableStore {
  readonly file: string
  private last: DurableState | null = null

  constructor(readonly dir: string) {
    this.file = join(dir, STATE_FILE)
  }

  /** Whether there is a record on disk (a regular file); throws StartupError for anything else in its place. */
  exists(): boolean {
    return checkRegularFile(this.file, 'the term/vote record', RECORD_HINT)
  }

  load(): DurableState {
    // a temp file is a write that never completed its rename: the record is the old one
    removeTempFiles(this.file)
    if (!this.exists()) return {currTerm: 0, currVoteFor: null}
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return {currTerm: 0, currVoteFor: null}
      throw new StartupError(`cannot read the term/vote record ${this.file}: ${errorMessage(error)}`, RECORD_HINT)
    }
    const state = parseRecord(text)
    if (typeof state === 'string') throw new StartupError(`the term/vote record ${this.file} is corrupt: ${printable(state)}`, RECORD_HINT)
    // `last` stays unset, so the first write after a load rewrites the record: the member does
    // that at start-up to prove the data directory is writable before it listens
    return state
  }

  write(state: DurableState): void {
    // the same record is already on disk: nothing to make durable
    if (this.last !== null && this.last.currTerm === state.currTerm && this.last.currVoteFor === state.currVoteFor) return
    writeFileAtomically(this.file, `${JSON.stringify({currTerm: state.currTerm, currVoteFor: state.currVoteFor})}\n`)
    this.last = {currTerm: state.currTerm, currVoteFor: state.currVoteFor}
  }
}

const RECORD_HINT =
  'Restore the file from a backup. Deleting it restarts this member at term 0 with no vote, which is only safe if the whole cluster is being reset.'

/**
 * Whether `file` exists as a regular file: false when nothing is there; a StartupError naming it
 * when something else is (a FIFO, a directory, a socket, a symlink, dangling or not).
 */
export function checkRegularFile(file: string, what: string, hint: string): boolean {
  let kind: string
  try {
    const st = lstatSync(file)
    if (st.isFile()) return true
    kind = st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : 'not a regular file'
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false
    throw new StartupError(`cannot read ${what} ${file}: ${errorMessage(error)}`, hint)
  }
  throw new StartupError(`${what} ${file} is ${kind}, not a regular file`, hint)
}

/** Leftover temp files of `file` (writes that never reached their rename); removed, never read. */
function removeTempFiles(file: string): void {
  const prefix = `${basename(file)}.`
  try {
    for (const name of readdirSync(dirname(file))) if (name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX)) rmSync(join(dirname(file), name), {force: true})
  } catch {
    // ignored: they are never read
  }
}

const TEMP_SUFFIX = '.tmp'

/**
 * Replaces `file` atomically and durably: write a temp file of a unique name next to it (mode
 * 0600), fsync it, rename it over `file`, fsync the directory. A crash leaves either the old or
 * the new content, never a mix; two writers never share a temp file. Throws on failure.
 */
export function writeFileAtomically(file: string, body: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`
  const fd = openSync(temp, 'wx', 0o600)
  try {
    try {
      writeSync(fd, body)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
  fsyncDir(dirname(file))
}

/** fsyncs a directory so a rename in it is durable; platforms that cannot (EISDIR, EINVAL, EPERM) are skipped. */
export function fsyncDir(dir: string): void {
  let fd: number
  try {
    fd = openSync(dir, 'r')
  } catch (error) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes(errorCode(error) ?? '')) return
    throw error
  }
  try {
    fsyncSync(fd)
  } catch (error) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes(errorCode(error) ?? '')) throw error
  } finally {
    closeSync(fd)
  }
}
