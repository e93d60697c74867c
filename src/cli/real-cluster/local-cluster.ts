/**
 * A local cluster that `dledger test` starts, hurts and stops: real `dledger start` processes in
 * one home, driven the way an operator would — `up` to start them, signals for kill/stop/pause,
 * the fault layer for the network, `transfer-leader` and `elect` for leadership.
 */
import {spawn} from 'node:child_process'
import {createServer} from 'node:net'

import type {Peer} from '../../core/settings.js'
import type {NodeId} from '../../core/types.js'
import type {ClusterStatus} from '../../wire/status.js'
import {fetchClusterStatus} from '../cluster-client.js'
import {applyFaults, type FaultOp, type MemberFaults} from '../faults.js'
import {isRecordedMember, readRunRecords, spawnMember, stopMembers} from '../local-members.js'
import type {DledgerPaths} from '../paths.js'

export interface LocalClusterOptions {
  paths: DledgerPaths
  /** bin/run.js of this dledger */
  binPath: string
  nodes: number
  timing: string
  /** how long `up` may wait for the first leader */
  startTimeoutMs?: number
}

/** What a CLI subprocess printed and how it ended. */
export interface CliOutcome {
  code: number | null
  stdout: string
  stderr: string
}

/** The lowest port tried for a test cluster: below Linux's ephemeral range, away from the default 20911. */
const PORT_FLOOR = 24000
const PORT_CEILING = 32000

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({host: '127.0.0.1', port, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** A base port with `count` free ports after it, below the ephemeral range (bounded tries). */
export async function pickBasePort(count: number, random: () => number = Math.random): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = PORT_FLOOR + Math.floor(random() * (PORT_CEILING - PORT_FLOOR - count))
    let free = true
    for (let i = 0; i < count && free; i++) free = await portFree(base + i)
    if (free) return base
  }
  throw new Error(`no ${count} free consecutive ports between ${PORT_FLOOR} and ${PORT_CEILING}`)
}

export class LocalCluster {
  peers: Peer[] = []
  private readonly paused = new Set<NodeId>()

  constructor(private readonly opts: LocalClusterOptions) {}

  get paths(): DledgerPaths {
    return this.opts.paths
  }

  get ids(): NodeId[] {
    return this.peers.map((p) => p.id)
  }

  /** Runs `dledger ARGS --home HOME` and collects its output (bounded by `timeoutMs`). */
  cli(args: string[], timeoutMs = 20_000): Promise<CliOutcome> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [this.opts.binPath, ...args, '--home', this.opts.paths.stateDir], {stdio: ['ignore', 'pipe', 'pipe'], env: {...ownClusterEnv(), NO_COLOR: '1'}})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.on('error', (error) => {
        clearTimeout(timer)
        resolve({code: null, stdout, stderr: stderr + error.message})
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, stdout, stderr})
      })
    })
  }

  /** `dledger up` on free ports; resolves once a leader is elected. Throws with `up`'s output when it fails. */
  async start(): Promise<void> {
    const base = await pickBasePort(this.opts.nodes)
    const r = await this.cli(['up', '--nodes', String(this.opts.nodes), '--base-port', String(base), '--timing', this.opts.timing, '--wait', String(this.opts.startTimeoutMs ?? 15_000)], (this.opts.startTimeoutMs ?? 15_000) + 10_000)
    this.peers = Array.from({length: this.opts.nodes}, (_, i) => ({id: `n${i}`, host: '127.0.0.1', port: base + i, address: `127.0.0.1:${base + i}`}))
    if (r.code !== 0) throw new Error(`the cluster did not start: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`)
  }

  status(timeoutMs = 300): Promise<ClusterStatus> {
    return fetchClusterStatus({peers: this.peers, group: 'default'}, {timeoutMs})
  }

  /** The PID of a member that runs now, or null. */
  pidOf(id: NodeId): number | null {
    const r = readRunRecords(this.opts.paths).find((x) => x.id === id)
    return r !== undefined && isRecordedMember(r) ? r.pid : null
  }

  isPaused(id: NodeId): boolean {
    return this.paused.has(id)
  }

  /** Sends a signal to running members; returns those signalled. */
  signal(ids: readonly NodeId[], signal: NodeJS.Signals): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const pid = this.pidOf(id)
      if (pid === null) continue
      try {
        process.kill(pid, signal)
        done.push(id)
      } catch {
        // it exited just now
      }
      if (signal === 'SIGSTOP') this.paused.add(id)
      if (signal === 'SIGCONT' || signal === 'SIGKILL') this.paused.delete(id)
    }
    return done
  }

  /** SIGKILL: the hard crash (a paused member is killed too). */
  kill(ids: readonly NodeId[]): NodeId[] {
    return this.signal(ids, 'SIGKILL')
  }

  /** The same member again on its data directory, for each that does not run. */
  restart(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const peer = this.peers.find((p) => p.id === id)
      if (peer === undefined || this.pidOf(id) !== null) continue
      spawnMember(this.opts.paths, peer, {binPath: this.opts.binPath})
      done.push(id)
    }
    return done
  }

  faults(op: FaultOp): Promise<MemberFaults[]> {
    return applyFaults({cluster: {peers: this.peers, token: undefined, group: 'default'}, timeoutMs: 500}, op)
  }

  /** Continues every paused member, then stops all (SIGTERM; SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 5000): Promise<void> {
    this.signal([...this.paused], 'SIGCONT')
    await stopMembers(this.opts.paths, readRunRecords(this.opts.paths), timeoutMs, {handoff: false})
  }
}

/**
 * The environment for the commands run on the test's own cluster: without the variables that name
 * the user's cluster (its members, token, home or directories), which the commands would
 * otherwise take over the test's home: `up` would refuse --nodes beside DLEDGER_PEERS, and a
 * DLEDGER_TOKEN would end up in the test's profile while the runner talks to its members without one.
 */
function ownClusterEnv(): NodeJS.ProcessEnv {
  const env = {...process.env}
  for (const name of ['DLEDGER_PEERS', 'DLEDGER_TOKEN', 'DLEDGER_HOME', 'DLEDGER_CONFIG_DIR', 'DLEDGER_DATA_DIR', 'DLEDGER_CONTENT_TYPE']) delete env[name]
  return env
}
