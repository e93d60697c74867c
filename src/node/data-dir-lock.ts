/**
 * The data directory's lock: one member per directory, for the life of its process (issue 7).
 *
 * Node has no flock(2), so the lock is a file, `<dataDir>/dledger.lock`, made complete and then
 * hard-linked into place (link(2) fails when the name exists, so exactly one process wins). It
 * names its holder: the PID and, where /proc exists, the process's start time, which tells a live
 * holder from a PID the kernel has since handed to another process.
 *
 * A holder that dies (kill -9, a crash, a power cut) leaves the file behind, but the kernel has
 * ended its process: the next member finds the PID gone (or reused) and takes the lock over. The
 * take-over moves the stale file aside under a unique name and checks that what it moved is the
 * stale lock it judged; and a member checks that the lock is still its own before every write
 * of its term/vote record (`held()`), so even a lost race ends in a fail-stop, never two writers.
 */
import {randomBytes} from 'node:crypto'
import {closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {errorCode, errorMessage, StartupError} from './errors.js'

export const LOCK_FILE = 'dledger.lock'

/** Who holds a lock: what the lock file says. */
export interface LockHolder {
  pid: number
  /** field 22 of /proc/<pid>/stat (clock ticks after boot), or null where there is no /proc */
  startTime: string | null
}

const TAKE_OVER_ATTEMPTS = 5

export class DataDirLock {
  private released = false

  private constructor(
    readonly file: string,
    private readonly dev: number,
    private readonly ino: number,
  ) {}

  /**
   * Takes the lock of `dir` (which must exist) or throws a StartupError naming the directory and
   * the PID that holds it.
   */
  static acquire(dir: string): DataDirLock {
    const file = join(dir, LOCK_FILE)
    const me: LockHolder = {pid: process.pid, startTime: processStartTime(process.pid)}
    for (let attempt = 0; attempt < TAKE_OVER_ATTEMPTS; attempt++) {
      const taken = tryLink(file, me)
      if (taken !== null) return new DataDirLock(file, taken.dev, taken.ino)
      const text = readLockText(file)
      if (text === null) continue // released meanwhile: try again
      const holder = parseHolder(text)
      if (holder !== null && isAlive(holder)) {
        throw new StartupError(
          `the data directory ${dir} is in use by PID ${holder.pid} (lock ${file})`,
          'Another dledger member runs with this data directory: stop it, or give this member a --data-dir of its own.',
        )
      }
      moveStaleLock(file, text)
    }
    throw new StartupError(`cannot lock the data directory ${dir}: the lock ${file} keeps changing`, 'Another member is starting with this data directory; try again.')
  }

  /** Whether the lock file is still the one this process created (nobody moved or replaced it). */
  held(): boolean {
    if (this.released) return false
    try {
      const st = statSync(this.file)
      return st.dev === this.dev && st.ino === this.ino
    } catch {
      return false
    }
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void {
    if (this.released) return
    const ours = this.held()
    this.released = true
    if (ours) rmSync(this.file, {force: true})
  }
}

/** Creates the lock file atomically with `me` in it; null when it already exists. */
function tryLink(file: string, me: LockHolder): {dev: number; ino: number} | null {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  let fd: number
  try {
    fd = openSync(temp, 'wx', 0o600)
  } catch (error) {
    throw new StartupError(`cannot create the lock ${file}: ${errorMessage(error)}`, 'Pick a writable --data-dir.')
  }
  let id: {dev: number; ino: number}
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`)
    const st = fstatSync(fd)
    id = {dev: st.dev, ino: st.ino}
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(temp, file)
    return id
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return null
    throw new StartupError(`cannot create the lock ${file}: ${errorMessage(error)}`, 'Pick a writable --data-dir.')
  } finally {
    rmSync(temp, {force: true})
  }
}

function readLockText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null
    throw new StartupError(`cannot read the lock ${file}: ${errorMessage(error)}`, 'Check the permissions of the data directory.')
  }
}

/** The holder a lock file names, or null when it names none (a lock that is not one of ours). */
function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return null
    return {pid: v.pid, startTime: typeof v.startTime === 'string' ? v.startTime : null}
  } catch {
    return null
  }
}

/** Whether the process a lock names still runs: the PID exists and, where /proc tells, it started when the lock says. */
function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if (errorCode(error) !== 'EPERM') return false
  }
  const now = processStartTime(holder.pid)
  // no start time where /proc exists: the process is gone or a zombie
  if (now === null) return !hasProc()
  return holder.startTime === null || holder.startTime === now
}

/**
 * Moves a stale lock out of the way. Another process may have taken it over first: then what was
 * moved is its fresh lock, which is put back (unless a third one appeared meanwhile).
 */
function moveStaleLock(file: string, staleText: string): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    renameSync(file, aside)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return
    throw new StartupError(`cannot take over the stale lock ${file}: ${errorMessage(error)}`, 'Check the permissions of the data directory.')
  }
  let moved: string | null = null
  try {
    moved = readFileSync(aside, 'utf8')
  } catch {
    // unreadable: treat it as the stale one
  }
  if (moved !== null && moved !== staleText) {
    try {
      linkSync(aside, file)
    } catch {
      // a third process holds the name now; the one we moved will find its lock gone and stop
    }
  }
  rmSync(aside, {force: true})
}

function hasProc(): boolean {
  try {
    statSync('/proc/self/stat')
    return true
  } catch {
    return false
  }
}

/** Field 22 of /proc/<pid>/stat (the process's start time), or null (no /proc, no such process, a zombie). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] === 'Z') return null
    return fields[19] ?? null
  } catch {
    return null
  }
}
