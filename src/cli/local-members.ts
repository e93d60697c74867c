/**
 * The members `dledger up` runs on this machine: their run records (`<home>/run/<id>.json`), the
 * checks that a recorded PID is still that member, spawning one detached, and stopping them.
 * Only PIDs from run records are ever signalled, and only while the process still looks like the
 * member that was recorded.
 */
import {spawn} from 'node:child_process'
import {closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'

import type {Peer} from '../core/settings.js'
import {STOP_WITHOUT_HANDOFF_SIGNAL} from '../wire/signals.js'
import {memberLogFile, runRecordFile, type DledgerPaths} from './paths.js'

/** What `up` records for each member it starts. */
export interface RunRecord {
  pid: number
  id: string
  port: number
  /** host:port */
  address: string
  startedAt: string
  logFile: string
}

/** Every run record in the home (unreadable files are skipped). */
export function readRunRecords(paths: DledgerPaths): RunRecord[] {
  if (!existsSync(paths.runDir)) return []
  const records: RunRecord[] = []
  for (const name of readdirSync(paths.runDir).sort()) {
    if (!name.endsWith('.json')) continue
    try {
      const r = JSON.parse(readFileSync(join(paths.runDir, name), 'utf8')) as RunRecord
      if (Number.isInteger(r.pid) && r.pid > 0 && typeof r.id === 'string') records.push(r)
    } catch {
      // a half-written or foreign file: not ours to act on
    }
  }
  return records
}

export function writeRunRecord(paths: DledgerPaths, record: RunRecord): void {
  mkdirSync(paths.runDir, {recursive: true, mode: 0o700})
  writeFileSync(runRecordFile(paths, record.id), `${JSON.stringify(record, null, 2)}\n`, {mode: 0o600})
}

export function removeRunRecord(paths: DledgerPaths, id: string): void {
  rmSync(runRecordFile(paths, id), {force: true})
}

/** Whether a process with this PID exists (signal 0). EPERM means it exists but is not ours. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Whether the PID is still the member that was recorded: alive, and (where /proc exists) its
 * command line is `… start --id <id> …`, so a reused PID is never signalled. A zombie counts as gone.
 */
export function isRecordedMember(record: RunRecord): boolean {
  if (!pidAlive(record.pid)) return false
  const proc = `/proc/${record.pid}`
  if (!existsSync('/proc/self')) return true
  try {
    const stat = readFileSync(`${proc}/stat`, 'utf8')
    if (/\) Z /.test(stat)) return false
    const argv = readFileSync(`${proc}/cmdline`, 'utf8').split('\0')
    const idAt = argv.indexOf('--id')
    return argv.includes('start') && idAt >= 0 && argv[idAt + 1] === record.id
  } catch {
    return false
  }
}

/** The records whose member still runs; stale records (dead or reused PIDs) are removed. */
export function liveMembers(paths: DledgerPaths): RunRecord[] {
  const live: RunRecord[] = []
  for (const r of readRunRecords(paths)) {
    if (isRecordedMember(r)) live.push(r)
    else removeRunRecord(paths, r.id)
  }
  return live
}

/** Why a peer's port cannot be bound here, or null when it is free. */
export function checkPortFree(peer: Peer): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(`port ${peer.port} of ${peer.id} (${peer.address}) is already in use by another process`)
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        resolve(`${peer.id}'s address ${peer.address} is not on this machine`)
      else if (error.code === 'EACCES') resolve(`port ${peer.port} of ${peer.id} needs privileges to bind`)
      else resolve(`cannot bind ${peer.address} for ${peer.id}: ${error.message}`)
    })
    server.listen({host: peer.host, port: peer.port, exclusive: true}, () => server.close(() => resolve(null)))
  })
}

/** A spawned member: its record and a way to learn that it exited early. */
export interface SpawnedMember {
  record: RunRecord
  /** set when the process exits while `up` is still watching */
  exit: {code: number | null; signal: NodeJS.Signals | null} | null
  /** size of the log file before this start (earlier runs are above it) */
  logOffset: number
}

/**
 * Starts `node bin/run.js start --id <id> [--home H]` detached, stdout/stderr appended to
 * `<home>/logs/<id>.log`, and writes its run record.
 */
export function spawnMember(paths: DledgerPaths, peer: Peer, opts: {binPath: string; env?: NodeJS.ProcessEnv}): SpawnedMember {
  mkdirSync(paths.logDir, {recursive: true, mode: 0o700})
  const logFile = memberLogFile(paths, peer.id)
  const fd = openSync(logFile, 'a', 0o600)
  fchmodSync(fd, 0o600) // a log from before modes were tightened
  const logOffset = fstatSync(fd).size
  writeSync(fd, `=== ${new Date().toISOString()} dledger up: starting ${peer.id} ===\n`)
  // never the token: the member reads it from the profile or DLEDGER_TOKEN, out of the process list
  const args = [opts.binPath, 'start', '--id', peer.id]
  if (paths.home !== null) args.push('--home', paths.home)
  let child
  try {
    child = spawn(process.execPath, args, {detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env})
  } finally {
    closeSync(fd)
  }
  if (child.pid === undefined) throw new Error(`could not start ${peer.id}`)
  const record: RunRecord = {pid: child.pid, id: peer.id, port: peer.port, address: peer.address, startedAt: new Date().toISOString(), logFile}
  const spawned: SpawnedMember = {record, exit: null, logOffset}
  child.on('error', () => (spawned.exit ??= {code: null, signal: null}))
  child.on('exit', (code, signal) => (spawned.exit = {code, signal}))
  child.unref()
  writeRunRecord(paths, record)
  return spawned
}

/** The last `lines` lines of a file from byte `from` on ('' if missing). */
export function tailFile(file: string, lines = 20, from = 0): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8').replace(/\s+$/, '')
    return text.split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/** How one member was stopped. */
export interface StopOutcome {
  id: string
  pid: number
  /**
   * SIGTERM: stopped cleanly (a leader handed off first); SIGUSR2: stopped cleanly without the
   * hand-off; SIGKILL: did not stop within the timeout; gone: exited before we signalled
   */
  how: 'SIGTERM' | typeof STOP_WITHOUT_HANDOFF_SIGNAL | 'SIGKILL' | 'gone'
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * SIGTERMs the members (SIGUSR2 with `handoff: false`: a clean stop without the leader's hand-off,
 * src/wire/signals.ts), waits up to `timeoutMs` for them to exit, SIGKILLs the rest; removes their records.
 */
export async function stopMembers(paths: DledgerPaths, records: RunRecord[], timeoutMs: number, opts: {handoff?: boolean} = {}): Promise<StopOutcome[]> {
  const outcomes = new Map<string, StopOutcome>()
  const signal = opts.handoff === false ? STOP_WITHOUT_HANDOFF_SIGNAL : 'SIGTERM'
  for (const r of records) {
    try {
      process.kill(r.pid, signal)
      outcomes.set(r.id, {id: r.id, pid: r.pid, how: signal})
    } catch {
      outcomes.set(r.id, {id: r.id, pid: r.pid, how: 'gone'})
    }
  }
  const deadline = Date.now() + timeoutMs
  const running = () => records.filter((r) => isRecordedMember(r))
  while (running().length > 0 && Date.now() < deadline) await sleep(50)
  for (const r of running()) {
    try {
      process.kill(r.pid, 'SIGKILL')
      outcomes.set(r.id, {id: r.id, pid: r.pid, how: 'SIGKILL'})
    } catch {
      // exited just now
    }
  }
  const killDeadline = Date.now() + 2000
  while (running().length > 0 && Date.now() < killDeadline) await sleep(20)
  for (const r of records) if (!isRecordedMember(r)) removeRunRecord(paths, r.id)
  return records.map((r) => outcomes.get(r.id) as StopOutcome)
}
