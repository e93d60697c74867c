/**
 * The durable term/vote record (spec S1): `<dataDir>/state.json` = `{"currTerm":N,"currVoteFor":id|null}`.
 *
 * A write is atomic and durable: write a temp file, fsync it, rename it over the record, fsync the
 * directory. It is synchronous (the record is tiny) so that the member sends nothing that depends
 * on the record before it is on disk. A crash mid-write leaves either the old or the new record,
 * never a torn one; a leftover temp file is ignored (and removed) at load.
 *
 * Loading: a missing record means term 0 and no vote; an unreadable, corrupt or wrongly shaped
 * one stops start-up with a StartupError naming the file (DLedger silently starts at term 0,
 * which can make a member vote twice in one term).
 */
import {closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {DurableState} from '../core/types.js'
import {errorCode, errorMessage, StartupError} from './errors.js'

/** Where the member keeps its durable record; the interface lets tests inject failures. */
export interface DurableStore {
  /** the record's path, for messages */
  readonly file: string
  /** the stored record, or term 0 / no vote when there is none; throws StartupError */
  load(): DurableState
  /** writes the record atomically and durably; throws on failure (the member then fail-stops) */
  write(state: DurableState): void
}

export const STATE_FILE = 'state.json'
const TEMP_SUFFIX = '.tmp'

export class StateStore implements DurableStore {
  readonly file: string
  private readonly temp: string
  private last: DurableState | null = null

  constructor(readonly dir: string) {
    this.file = join(dir, STATE_FILE)
    this.temp = this.file + TEMP_SUFFIX
  }

  load(): DurableState {
    // a temp file is a write that never completed its rename: the record is the old one
    try {
      rmSync(this.temp, {force: true})
    } catch {
      // ignored: it is never read
    }
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return {currTerm: 0, currVoteFor: null}
      throw new StartupError(`cannot read the term/vote record ${this.file}: ${errorMessage(error)}`, RECORD_HINT)
    }
    const state = parseRecord(text)
    if (typeof state === 'string') throw new StartupError(`the term/vote record ${this.file} is corrupt: ${state}`, RECORD_HINT)
    // `last` stays unset, so the first write after a load rewrites the record: the member does
    // that at start-up to prove the data directory is writable before it listens
    return state
  }

  write(state: DurableState): void {
    // the same record is already on disk: nothing to make durable
    if (this.last !== null && this.last.currTerm === state.currTerm && this.last.currVoteFor === state.currVoteFor) return
    writeFileAtomically(this.file, this.temp, `${JSON.stringify({currTerm: state.currTerm, currVoteFor: state.currVoteFor})}\n`)
    this.last = {currTerm: state.currTerm, currVoteFor: state.currVoteFor}
  }
}

const RECORD_HINT =
  'Restore the file from a backup. Deleting it restarts this member at term 0 with no vote, which is only safe if the whole cluster is being reset.'

/** The record, or a one-line reason why the text is not one. */
export function parseRecord(text: string): DurableState | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return `not JSON (${errorMessage(error)})`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected {"currTerm": N, "currVoteFor": id|null}'
  const {currTerm, currVoteFor} = value as Record<string, unknown>
  if (typeof currTerm !== 'number' || !Number.isSafeInteger(currTerm) || currTerm < 0) return `currTerm must be a non-negative integer (got ${JSON.stringify(currTerm)})`
  if (currVoteFor !== null && (typeof currVoteFor !== 'string' || currVoteFor === '')) return `currVoteFor must be a member id or null (got ${JSON.stringify(currVoteFor)})`
  return {currTerm, currVoteFor}
}

/**
 * Replaces `file` atomically and durably: write `temp`, fsync it, rename it over `file`, fsync
 * the directory. A crash leaves either the old or the new content, never a mix. Throws on failure.
 */
export function writeFileAtomically(file: string, temp: string, body: string): void {
  const fd = openSync(temp, 'w', 0o644)
  try {
    writeSync(fd, body)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, file)
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
