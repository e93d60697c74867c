/**
 * The members of a home that run on this machine: their run records (`<home>/run/<id>.json`,
 * written by `up` for the members it spawns and by `start` for itself), finding them (records,
 * then the profile's local ports whose `/status` names the PID), the checks that a PID is still
 * that member, spawning one detached, and stopping them. A PID is only ever signalled while the
 * process still looks like the member it stands for (`… start --id <id> …`).
 */
import {spawn} from 'node:child_process'
import {closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {networkInterfaces} from 'node:os'
import {join} from 'node:path'

import type {Peer} from '../core/settings.js'
import {STOP_WITHOUT_HANDOFF_SIGNAL} from '../wire/signals.js'
import {memberLogFile, runRecordFile, type DledgerPaths} from './paths.js'

/** What `up` records for each member it starts, and `start` for itself. */
export interface RunRecord {
  pid: number
  id: string
  port: number
  /** host:port */
  address: string
  startedAt: string
  /** where its output goes; null for a member started by hand (its output is its terminal) */
  logFile: string | null
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

function writeRunRecord(paths: DledgerPaths, record: RunRecord): void {
  mkdirSync(paths.runDir, {recursive: true, mode: 0o700})
  writeFileSync(runRecordFile(paths, record.id), `${JSON.stringify(record, null, 2)}\n`, {mode: 0o600})
}

export function removeRunRecord(paths: DledgerPaths, id: string): void {
  rmSync(runRecordFile(paths, id), {force: true})
}

/** Whether a process with this PID exists (signal 0). EPERM means it exists but is not ours. */
function pidAlive(pid: number): boolean {
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
    return argv.includes('start') && ((idAt >= 0 && argv[idAt + 1] === record.id) || argv.includes(`--id=${record.id}`))
  } catch {
    return false
  }
}

/**
 * Records the running `start` process itself, unless a record of this id already stands for a live
 * member (`up` recorded this very PID with its log file, or another process runs as this id); the
 * returned function removes the record again if it is still this process's.
 */
export function recordSelf(paths: DledgerPaths, member: {id: string; port: number; address: string}): () => void {
  const mine = () => readRunRecords(paths).find((r) => r.id === member.id && r.pid === process.pid)
  if (!readRunRecords(paths).some((r) => r.id === member.id && isRecordedMember(r))) {
    try {
      writeRunRecord(paths, {pid: process.pid, ...member, startedAt: new Date().toISOString(), logFile: null})
    } catch {
      // an unwritable home only costs `down` the record; it still finds the member on its port
    }
  }
  return () => {
    if (mine() !== undefined) removeRunRecord(paths, member.id)
  }
}

/** Whether a host names this machine (loopback, or an address of one of its interfaces). */
function isLocalHost(host: string): boolean {
  if (host === 'localhost' || /^127\./.test(host) || host === '::1' || host === '0.0.0.0' || host === '::') return true
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === host))
}

/** A running member of the home and how it was found. */
export interface FoundMember extends RunRecord {
  /** `record`: from its run record; `port`: its `/status` on a port of the profile named its PID */
  foundBy: 'record' | 'port'
}

/** What `findMembers` learned. */
export interface FoundMembers {
  running: FoundMember[]
  /** records whose process is gone (they are removed) */
  exited: RunRecord[]
  /** members answering on a local port whose PID is not a member process here, with why */
  foreign: {id: string; address: string; pid: number | null}[]
}

/**
 * Every member of the home running on this machine: the run records first, then each local peer
 * of `peers` without a live record whose `/status` reports a PID that is `start --id <id>` here.
 */
export async function findMembers(paths: DledgerPaths, peers: readonly Peer[], opts: {token?: string} = {}): Promise<FoundMembers> {
  const records = readRunRecords(paths)
  const running: FoundMember[] = []
  const exited: RunRecord[] = []
  for (const r of records) {
    if (isRecordedMember(r)) running.push({...r, foundBy: 'record'})
    else {
      removeRunRecord(paths, r.id)
      exited.push(r)
    }
  }
  const foreign: FoundMembers['foreign'] = []
  const unknown = peers.filter((p) => isLocalHost(p.host) && !running.some((r) => r.id === p.id || r.port === p.port))
  if (unknown.length > 0) {
    const {probeCluster} = await import('./cluster-client.js')
    for (const probe of await probeCluster(unknown, {token: opts.token, timeoutMs: 500})) {
      if (!probe.ok) continue
      const {peer, status} = probe
      const found: FoundMember = {
        pid: status.pid,
        id: peer.id,
        port: peer.port,
        address: peer.address,
        startedAt: status.startedAt ?? new Date().toISOString(),
        logFile: null,
        foundBy: 'port',
      }
      if (Number.isInteger(status.pid) && status.pid > 0 && status.id === peer.id && isRecordedMember(found)) running.push(found)
      else foreign.push({id: peer.id, address: peer.address, pid: Number.isInteger(status.pid) ? status.pid : null})
    }
  }
  running.sort((a, b) => a.id.localeCompare(b.id, undefined, {numeric: true}))
  return {running, exited, foreign}
}

/** A spawned member: its record and a way to learn that it exited early. */
export interface SpawnedMember {
  record: RunRecord
  logFile: string
  /** set when the process exits while `up` is still watching */
  exit: {code: number | null; signal: NodeJS.Signals | null} | null
  /** size of the log file before this start (earlier runs are above it) */
  logOffset: number
}

/**
 * Starts `node bin/run.js start --id <id> [--home H] [args…]` detached, stdout/stderr appended to
 * `<home>/logs/<id>.log`, and writes its run record.
 */
export function spawnMember(paths: DledgerPaths, peer: Peer, opts: {binPath: string; env?: NodeJS.ProcessEnv; args?: string[]}): SpawnedMember {
  mkdirSync(paths.logDir, {recursive: true, mode: 0o700})
  const logFile = memberLogFile(paths, peer.id)
  const fd = openSync(logFile, 'a', 0o600)
  fchmodSync(fd, 0o600) // a log from before modes were tightened
  const logOffset = fstatSync(fd).size
  writeSync(fd, `=== ${new Date().toISOString()} dledger up: starting ${peer.id} ===\n`)
  // never the token: the member reads it from the profile or DLEDGER_TOKEN, out of the process list
  const args = [opts.binPath, 'start', '--id', peer.id]
  if (paths.home !== null) args.push('--home', paths.home)
  args.push(...(opts.args ?? []))
  let child
  try {
    // the member's cluster is the profile just written: a DLEDGER_PEERS exported in the shell
    // would make `start` skip the profile (its timing, group and token) altogether
    const {DLEDGER_PEERS: _peers, ...env} = opts.env ?? process.env
    child = spawn(process.execPath, args, {detached: true, stdio: ['ignore', fd, fd], env})
  } finally {
    closeSync(fd)
  }
  if (child.pid === undefined) throw new Error(`could not start ${peer.id}`)
  const record: RunRecord = {pid: child.pid, id: peer.id, port: peer.port, address: peer.address, startedAt: new Date().toISOString(), logFile}
  const spawned: SpawnedMember = {record, logFile, exit: null, logOffset}
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
