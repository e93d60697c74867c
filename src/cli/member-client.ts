/**
 * A small WebSocket client for talking to one member the way the CLI does: connect to its `/ws`
 * endpoint (token, client id header, bounded handshake), send frames from the one schema module
 * (src/wire/frames.ts), and match each answer to its request by `reqId` (an `AdminResponse`, or a
 * `LeadershipTransferResponse` to a client's transfer request). `LogEvent` pushes of a
 * `subscribeLog` go to `onLogEvent` listeners.
 *
 * Every wait is bounded (handshake, each request); every socket has an 'error' listener; nothing
 * here throws out of an event handler. A failed request rejects with a MemberClientError whose
 * message is one user-readable line (`unreachable: connection refused`, `no answer within …`).
 *
 * Loads ws: commands import this module lazily (`await import('../member-client.js')`).
 */
import {WebSocket} from 'ws'

import type {LeadershipTransferRequest, LeadershipTransferResponse} from '../core/types.js'
import {
  type AdminRequest,
  type AdminResponse,
  bearer,
  encodeFrame,
  type Frame,
  GROUP_HEADER,
  MAX_FRAME_BYTES,
  NODE_HEADER,
  parseFrame,
  type VoteLogRecord,
  WS_PATH,
} from '../wire/frames.js'
import {describeRequestError, UNAUTHORIZED} from './cluster-client.js'

/** Where a member listens (a Peer from the profile or --peers). */
export interface MemberAddress {
  id: string
  host: string
  port: number
}

export interface MemberClientOptions {
  token?: string
  /** sent as `x-dledger-group`, and as `group` of admin requests (a member of another group refuses) */
  group?: string | null
  /** the `x-dledger-node` header; default `cli.<pid>` */
  clientId?: string
  /** handshake deadline (default 2000 ms) */
  connectTimeoutMs?: number
  /** default deadline of one request (default 3000 ms) */
  requestTimeoutMs?: number
  /**
   * Close the connection when nothing (no frame, no keepalive ping) arrived for this long; a member
   * pings every max(1 s, heartbeat interval). Default: never (a request has its own deadline).
   */
  idleTimeoutMs?: number
}

/** Why talking to a member failed; `code` is machine-readable (UNREACHABLE, UNAUTHORIZED, TIMEOUT, CLOSED). */
export class MemberClientError extends Error {
  constructor(
    message: string,
    readonly code: 'UNREACHABLE' | 'UNAUTHORIZED' | 'TIMEOUT' | 'CLOSED',
  ) {
    super(message)
    this.name = 'MemberClientError'
  }
}

/** An admin request without the envelope (`kind`, `reqId`, `group` are filled in). */
export type AdminBody = AdminRequest extends infer R ? (R extends unknown ? Omit<R, 'kind' | 'reqId' | 'group'> : never) : never

const DEFAULT_CONNECT_TIMEOUT_MS = 2000
const DEFAULT_REQUEST_TIMEOUT_MS = 3000

interface Pending {
  resolve: (frame: Frame) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

let nextReqId = 0
function newReqId(): string {
  nextReqId = (nextReqId + 1) % Number.MAX_SAFE_INTEGER
  return `cli-${process.pid}-${Date.now().toString(36)}-${nextReqId}`
}

/** One open connection to a member. Create it with `connectMember`. */
export class MemberConnection {
  private readonly pending = new Map<string, Pending>()
  private readonly logListeners = new Set<(record: VoteLogRecord) => void>()
  private readonly closeListeners = new Set<(reason: string) => void>()
  private closedReason: string | null = null
  private idleTimer: NodeJS.Timeout | null = null

  constructor(
    readonly member: MemberAddress,
    private readonly ws: WebSocket,
    private readonly opts: MemberClientOptions,
  ) {
    ws.on('message', (data) => {
      this.armIdle()
      this.onMessage(data as Buffer)
    })
    ws.on('ping', () => this.armIdle())
    this.armIdle()
    ws.on('close', (code, reason) => this.onClosed(`connection closed (${code}${reason.length > 0 ? ` ${reason.toString('utf8')}` : ''})`))
    ws.on('error', (error) => this.onClosed(describeRequestError(error, this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)))
  }

  get open(): boolean {
    return this.closedReason === null && this.ws.readyState === WebSocket.OPEN
  }

  /** Sends an admin request and waits for its AdminResponse (which may say ok: false). */
  async admin(body: AdminBody, timeoutMs?: number): Promise<AdminResponse> {
    const reqId = newReqId()
    const frame = {kind: 'AdminRequest', reqId, ...body, ...(this.opts.group ? {group: this.opts.group} : {})} as AdminRequest
    const answer = await this.call(frame, timeoutMs)
    if (answer.kind !== 'AdminResponse') throw new MemberClientError(`${this.member.id} answered ${answer.kind} to an admin request`, 'CLOSED')
    return answer
  }

  /** Sends a leadership transfer request (as a client) and waits for the member's answer. */
  async transfer(request: Omit<LeadershipTransferRequest, 'kind' | 'reqId'>, timeoutMs?: number): Promise<LeadershipTransferResponse> {
    const answer = await this.call({kind: 'LeadershipTransferRequest', reqId: newReqId(), ...request}, timeoutMs)
    if (answer.kind !== 'LeadershipTransferResponse') throw new MemberClientError(`${this.member.id} answered ${answer.kind} to a transfer request`, 'CLOSED')
    return answer
  }

  /** Sends any frame that carries a `reqId` and resolves with the frame that answers it. */
  call(frame: Frame & {reqId: string}, timeoutMs = this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS): Promise<Frame> {
    if (!this.open) return Promise.reject(new MemberClientError(`${this.member.id}: ${this.closedReason ?? 'not connected'}`, 'CLOSED'))
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(frame.reqId)
        reject(new MemberClientError(`${this.member.id}: no answer within ${timeoutMs} ms`, 'TIMEOUT'))
      }, timeoutMs)
      this.pending.set(frame.reqId, {resolve, reject, timer})
      this.ws.send(encodeFrame(frame), (error) => {
        if (!error) return
        const p = this.pending.get(frame.reqId)
        if (p === undefined) return
        this.pending.delete(frame.reqId)
        clearTimeout(p.timer)
        p.reject(new MemberClientError(`${this.member.id}: cannot send: ${error.message}`, 'CLOSED'))
      })
    })
  }

  /** Calls `fn` with every LogEvent the member pushes; returns the unsubscribe function. */
  onLogEvent(fn: (record: VoteLogRecord) => void): () => void {
    this.logListeners.add(fn)
    return () => this.logListeners.delete(fn)
  }

  /** Calls `fn` once when the connection closes (at once if it already has). */
  onClose(fn: (reason: string) => void): void {
    if (this.closedReason !== null) fn(this.closedReason)
    else this.closeListeners.add(fn)
  }

  /** Closes the connection; pending requests reject. Idempotent. */
  close(): void {
    try {
      if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000, 'client done')
    } catch {
      this.ws.terminate()
    }
    // do not wait for the closing handshake of a member that is going away
    const timer = setTimeout(() => this.ws.terminate(), 500)
    timer.unref()
    this.onClosed('closed by the client')
  }

  private armIdle(): void {
    const idleMs = this.opts.idleTimeoutMs
    if (idleMs === undefined || this.closedReason !== null) return
    if (this.idleTimer !== null) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.onClosed(`nothing heard from the member for ${idleMs} ms`)
      this.ws.terminate()
    }, idleMs)
    this.idleTimer.unref()
  }

  private onMessage(data: Buffer): void {
    const parsed = parseFrame(data)
    if (!parsed.ok) return // a member of another version: ignore what we cannot read
    const frame = parsed.frame
    if (frame.kind === 'LogEvent') {
      for (const fn of this.logListeners) {
        try {
          fn(frame.event)
        } catch {
          // a listener's failure is its own
        }
      }
      return
    }
    const reqId = (frame as {reqId?: unknown}).reqId
    if (typeof reqId !== 'string') return
    const p = this.pending.get(reqId)
    if (p === undefined) return
    this.pending.delete(reqId)
    clearTimeout(p.timer)
    p.resolve(frame)
  }

  private onClosed(reason: string): void {
    if (this.closedReason !== null) return
    this.closedReason = reason
    if (this.idleTimer !== null) clearTimeout(this.idleTimer)
    this.idleTimer = null
    for (const [reqId, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new MemberClientError(`${this.member.id}: ${reason}`, 'CLOSED'))
      this.pending.delete(reqId)
    }
    for (const fn of this.closeListeners) {
      try {
        fn(reason)
      } catch {
        // ignore
      }
    }
    this.closeListeners.clear()
  }
}

/** Connects to a member's WebSocket endpoint; rejects with a MemberClientError (one line) when it cannot. */
export function connectMember(member: MemberAddress, opts: MemberClientOptions = {}): Promise<MemberConnection> {
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const headers: Record<string, string> = {[NODE_HEADER]: opts.clientId ?? `cli.${process.pid}`}
  if (opts.token) headers.authorization = bearer(opts.token)
  if (opts.group) headers[GROUP_HEADER] = opts.group
  return new Promise((resolve, reject) => {
    let settled = false
    const ws = new WebSocket(`ws://${hostForUrl(member.host)}:${member.port}${WS_PATH}`, {
      headers,
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: connectTimeoutMs,
    })
    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.terminate()
      const message = error instanceof Error ? error.message : String(error)
      if (/Unexpected server response: 401/.test(message)) reject(new MemberClientError(`${member.id}: ${UNAUTHORIZED}`, 'UNAUTHORIZED'))
      else reject(new MemberClientError(`${member.id}: ${describeRequestError(error, connectTimeoutMs)}`, 'UNREACHABLE'))
    }
    // handshakeTimeout covers the upgrade; this covers a connect that never completes
    const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), {code: 'DLEDGER_TIMEOUT'})), connectTimeoutMs + 100)
    ws.on('error', fail)
    ws.once('open', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.off('error', fail)
      resolve(new MemberConnection(member, ws, {...opts, connectTimeoutMs}))
    })
  })
}

/** One admin request on a connection of its own (opened, asked, closed). */
export async function adminRequest(member: MemberAddress, body: AdminBody, opts: MemberClientOptions = {}): Promise<AdminResponse> {
  const conn = await connectMember(member, opts)
  try {
    return await conn.admin(body)
  } finally {
    conn.close()
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
