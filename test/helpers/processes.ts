/**
 * End-to-end helpers: spawn the built CLI (`node bin/run.js …`) as a user would, on 127.0.0.1,
 * with a fresh DLEDGER_HOME per test; wait by bounded polling; clean every child and temp dir.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {WebSocket} from 'ws'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(REPO_ROOT, 'bin', 'run.js')

/** `dledger` as oclif runs it, past bin/run.js's front door (`node -e OCLIF_EXECUTE -- args…`). */
const OCLIF_EXECUTE = `const {execute} = await import('@oclif/core'); await execute({dir: ${JSON.stringify(BIN)}, args: process.argv.slice(1)})`

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A command's exit and output, for assertion messages. */
export function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

/**
 * `n` consecutive free loopback ports (for `up --base-port`), below Linux's ephemeral range
 * (32768-60999), where an outgoing connection could take one between this check and `up`.
 */
export async function freePortRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 22000 + Math.floor(Math.random() * (32768 - 22000 - n))
    const ok = await Promise.all(
      Array.from(
        {length: n},
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer()
            s.once('error', () => resolve(false))
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)))
          }),
      ),
    )
    if (ok.every(Boolean)) return base
  }
  throw new Error('no free port range')
}

/**
 * `n` free loopback ports for members to listen on: below the ephemeral range, like
 * freePortRange, since a port the OS handed out for port 0 and took back may go to an outgoing
 * connection (a member dialling its peers) before the member binds it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const base = await freePortRange(n)
  return Array.from({length: n}, (_, i) => base + i)
}

/** A peers string `n0-127.0.0.1:P0;n1-…` for the given ports. */
export function peersFor(ports: number[]): string {
  return ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; throws with the last value/error. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await check()
      if (v) return v
      last = v
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
}

/** One test's sandbox: a temp DLEDGER_HOME, and every process it spawned, killed by PID at cleanup. */
export class Sandbox {
  readonly home: string
  readonly children = new Set<ChildProcess>()
  readonly extraPids = new Set<number>()

  constructor(prefix = 'dledger-e2e-') {
    this.home = mkdtempSync(join(tmpdir(), prefix))
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {...process.env, DLEDGER_HOME: this.home, NO_COLOR: '1', CI: 'true', ...extra}
  }

  /**
   * Runs `dledger args…` to completion (bounded by timeoutMs). `pastFrontDoor` hands the arguments
   * straight to oclif, skipping bin/run.js's light paths; `nodeArgs` go to Node before the script.
   */
  run(
    args: string[],
    opts: {timeoutMs?: number; env?: Record<string, string>; input?: string; pastFrontDoor?: boolean; nodeArgs?: string[]} = {},
  ): Promise<CliResult> {
    const script = opts.pastFrontDoor ? ['--input-type=module', '-e', OCLIF_EXECUTE, '--'] : [BIN]
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...script, ...args], {cwd: REPO_ROOT, env: this.env(opts.env), stdio: ['pipe', 'pipe', 'pipe']})
    this.children.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.stdin.end(opts.input ?? '')
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000)
    return new Promise((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        this.children.delete(child)
        resolve({code, signal, stdout, stderr})
      })
    })
  }

  /** Starts `dledger args…` in the background (e.g. `start --id n0`); output is collected on the handle. */
  spawn(args: string[], opts: {env?: Record<string, string>} = {}): ChildProcess & {output: () => string} {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: REPO_ROOT, env: this.env(opts.env), stdio: ['ignore', 'pipe', 'pipe']})
    this.children.add(child)
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.on('exit', () => this.children.delete(child))
    return Object.assign(child, {output: () => out})
  }

  /** Remembers a PID started indirectly (e.g. members spawned detached by `dledger up`). */
  track(pid: number): void {
    this.extraPids.add(pid)
  }

  /** Kills every process this sandbox started (SIGKILL, by PID) and removes the home dir. */
  async cleanup(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    for (const pid of this.extraPids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await waitFor('children to exit', () => [...this.children].every((c) => c.exitCode !== null || c.signalCode !== null), 5000, 20).catch(() => undefined)
    rmSync(this.home, {recursive: true, force: true})
  }
}

/** GET a member's HTTP endpoint; resolves with status and body text (bounded by timeoutMs). */
export async function httpGet(port: number, path: string, opts: {token?: string; timeoutMs?: number} = {}): Promise<{status: number; body: string}> {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 2000)})
  return {status: res.status, body: await res.text()}
}

/** Resolves with how a child exited (at once if it already has); rejects after timeoutMs with its output. */
export function waitForExit(child: ChildProcess & {output?: () => string}, timeoutMs = 10_000): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({code: child.exitCode, signal: child.signalCode})
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms:\n${child.output?.() ?? ''}`)), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal})
    })
  })
}

/** Opens a WebSocket to a member's endpoint; resolves once open, rejects on a refused upgrade (bounded by the handshake timeout). */
export function openWs(port: number, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {headers, perMessageDeflate: false, handshakeTimeout: 5000})
  ws.on('error', () => undefined)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}
