/**
 * In-process helpers for the runtime tests: temp dirs, members on free loopback ports, raw
 * WebSocket clients. Everything is cleaned up in t.after, also when the test fails.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestContext} from 'node:test'

import {WebSocket} from 'ws'

import {buildSettings, type SettingsInput} from '../../src/core/settings.js'
import {silentLogger} from '../../src/node/logger.js'
import {type MemberOptions, type RunningMember, startMember} from '../../src/node/member.js'
import {WS_PATH} from '../../src/wire/frames.js'
import {freePorts, peersFor, waitFor} from '../helpers/processes.js'

export function tempDir(t: TestContext, prefix = 'dledger-node-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

export interface Cluster {
  ports: number[]
  peers: string
  dir: string
  members: RunningMember[]
}

/** Starts `n` members n0…n(n-1) in this process (fast timing); all are stopped in t.after. */
export async function startCluster(
  t: TestContext,
  n: number,
  opts: {token?: string; settings?: Partial<SettingsInput>; member?: Partial<MemberOptions>} = {},
): Promise<Cluster> {
  const ports = await freePorts(n)
  const peers = peersFor(ports)
  const dir = tempDir(t)
  const members: RunningMember[] = []
  t.after(() => Promise.all(members.map((m) => m.stop())))
  for (let i = 0; i < n; i++) {
    members.push(
      await startMember({
        settings: buildSettings({selfId: `n${i}`, peers, timing: 'fast', ...opts.settings}),
        dataDir: join(dir, `n${i}`),
        token: opts.token,
        log: silentLogger,
        ...opts.member,
      }),
    )
  }
  return {ports, peers, dir, members}
}

/** Waits until exactly one member leads and every member follows it in the same term. */
export async function waitForOneLeader(members: RunningMember[], timeoutMs = 10_000): Promise<{leaderId: string; term: number}> {
  return waitFor('one leader that every member follows', () => {
    const st = members.map((m) => m.status())
    const leaders = st.filter((s) => s.role === 'LEADER')
    if (leaders.length !== 1) return false
    const {id, term} = leaders[0]
    return st.every((s) => s.leaderId === id && s.term === term) ? {leaderId: id, term} : false
  }, timeoutMs, 20)
}

export interface TestSocket {
  ws: WebSocket
  frames: unknown[]
  closed: Promise<number>
  send(text: string | Buffer): void
  /** resolves with the first received frame that matches */
  next<T = Record<string, unknown>>(match: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<T>
}

/** Opens a raw WebSocket to a member (headers as given); closed in t.after. */
export async function openSocket(t: TestContext, port: number, headers: Record<string, string> = {}): Promise<TestSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, {headers, perMessageDeflate: false, maxPayload: 4 << 20})
  t.after(() => ws.terminate())
  const frames: unknown[] = []
  ws.on('error', () => undefined)
  ws.on('message', (d) => {
    try {
      frames.push(JSON.parse(d.toString()))
    } catch {
      frames.push(d.toString())
    }
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  return {
    ws,
    frames,
    closed,
    send: (text) => ws.send(text),
    next: <T>(match: (f: Record<string, unknown>) => boolean, timeoutMs = 3000) =>
      waitFor('a matching frame', () => frames.find((f) => typeof f === 'object' && f !== null && match(f as Record<string, unknown>)) as T | undefined, timeoutMs, 10),
  }
}

/** The unlabelled or labelled samples of a Prometheus text body: `name{labels}` → value. */
export function parseMetrics(body: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}
