/**
 * The member's one listening port: a node:http server that carries
 * - the WebSocket endpoint (`/ws`) for peers and the CLI (ws in `noServer` mode, authenticated in
 *   the 'upgrade' event, 1 MiB frames, no compression, ping/pong keepalive);
 * - `GET /status` (JSON), `GET /metrics` (Prometheus text), `GET /healthz`.
 *
 * With a cluster token every upgrade and every HTTP request but `/healthz` must carry
 * `Authorization: Bearer <token>`, compared in constant time; otherwise 401 (spec §2).
 * Text frames are handed to the member raw; the server never interprets them. Binary frames are
 * dropped unread (the protocol is text JSON), a connection past its byte budget for the current
 * second is not read until the second is over, and one that keeps sending junk is closed (1008),
 * so junk costs the member little (issue 7, item 5).
 *
 * Connections that name a configured peer have slots of their own, so clients (or idle sockets)
 * filling MAX_CONNECTIONS never lock a peer out (issue 7, item 6).
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {Duplex} from 'node:stream'

import {type RawData, WebSocket, WebSocketServer} from 'ws'

import {MEMBER_ID_PATTERN} from '../core/types.js'
import {GROUP_HEADER, MAX_FRAME_BYTES, NODE_HEADER, WS_PATH} from '../wire/frames.js'
import {errorCode, errorMessage, StartupError} from './errors.js'
import {type Logger, silentLogger} from './logger.js'

/** A socket's send buffer beyond which its reader counts as dead (it is terminated). */
export const MAX_BUFFERED_BYTES = 4 * MAX_FRAME_BYTES
/** The most WebSocket connections one member holds at once from clients (not counting peers). */
const MAX_CONNECTIONS = 256
/** Connections each configured peer may hold on top of MAX_CONNECTIONS (one, plus a reconnect overlapping a dying one). */
const PEER_SLOTS = 4
/**
 * Inbound bytes a connection may send per second: past it, its socket is not read until the second
 * is over (TCP pushes back on the sender), so a flood costs the member at most this much
 * unmasking and parsing per second. Election traffic is a few hundred bytes per heartbeat.
 */
const MAX_INBOUND_BYTES_PER_SECOND = MAX_FRAME_BYTES
/**
 * The same for a connection that names a configured peer: a leader's push window (8 pushes of up
 * to a frame each, src/core/replicator.ts) must get through well within maxPushTimeOutMs, or a
 * catch-up of large entries would time out and start over.
 */
const MAX_PEER_INBOUND_BYTES_PER_SECOND = 16 * MAX_FRAME_BYTES
/** Junk frames (binary, malformed, over budget) a connection may send in one second before it is closed. */
const MAX_JUNK_FRAMES_PER_SECOND = 8
/** The close code for a connection closed for junk (RFC 6455: policy violation). */
const JUNK_CLOSE_CODE = 1008

/** Why the server dropped a frame before the member saw it. */
export type ServerDropReason = 'binary'

/** One accepted WebSocket connection (a peer's requests, or a client's). */
export interface InboundConnection {
  /** serial number, for logs */
  readonly serial: number
  /** the `x-dledger-node` header: a member id, a client id like `cli.4242`, or null */
  readonly name: string | null
  /** the `x-dledger-group` header, or null */
  readonly group: string | null
  readonly remote: string
  /** Sends one text frame; false (and nothing sent) when the socket is not open or its reader is stuck. */
  send(text: string): boolean
  close(code?: number, reason?: string): void
  readonly open: boolean
  /** Counts one junk frame (one the member could not use); too many in a second close the connection. */
  junk(): void
}

export interface ServerHandlers {
  /** JSON body of GET /status */
  status(): unknown
  /** body of GET /metrics */
  metrics(): string
  onConnection(conn: InboundConnection): void
  /** one inbound frame; must not throw (the server catches and logs anyway) */
  onFrame(conn: InboundConnection, data: RawData, isBinary: boolean): void
  onClose(conn: InboundConnection): void
  /** a frame over MAX_FRAME_BYTES arrived (the socket is closed with 1009) */
  onOversized(conn: InboundConnection): void
  /** a frame was dropped unread (binary) */
  onDropped(conn: InboundConnection, reason: ServerDropReason): void
  /** a connection used up its bytes for this second: it is not read until the second is over */
  onThrottled?(conn: InboundConnection): void
  /** a connection was closed for sending junk */
  onJunkClosed?(conn: InboundConnection): void
  /** a request or upgrade was refused with 401 */
  onUnauthorized(): void
  /** an exception escaped a handler */
  onInternalError(error: unknown): void
}

export interface ServerOptions {
  host: string
  port: number
  token?: string
  /** the configured peers (self excluded): their connections have slots of their own */
  peerIds?: readonly string[]
  /** keepalive ping period; a socket that misses a pong for one period is terminated */
  pingIntervalMs: number
  log?: Logger
  handlers: ServerHandlers
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Whether an Authorization header carries the token: compares sha256 digests with
 * timingSafeEqual, so the time taken does not depend on where the texts differ and a length
 * mismatch never throws.
 */
export function tokenMatches(header: string | string[] | undefined, token: string): boolean {
  if (typeof header !== 'string' || !/^Bearer /i.test(header)) return false
  return timingSafeEqual(digest(header.slice(7)), digest(token))
}

interface Tracked extends InboundConnection {
  ws: WebSocket
  alive: boolean
  /** named after a configured peer: counted against PEER_SLOTS, not MAX_CONNECTIONS */
  peer: boolean
  /** the current one-second window of the byte budget */
  bytesWindowStartMs: number
  windowBytes: number
  /** the current one-second window of the junk count */
  junkWindowStartMs: number
  windowJunk: number
  /** closed for junk already: whatever still arrives is not counted again */
  closedForJunk: boolean
}

export class MemberServer {
  private readonly http: Server
  private readonly wss: WebSocketServer
  private readonly log: Logger
  private readonly conns = new Set<Tracked>()
  private pingTimer: NodeJS.Timeout | null = null
  private serial = 0
  private closing: Promise<void> | null = null

  constructor(private readonly opts: ServerOptions) {
    this.log = opts.log ?? silentLogger
    this.wss = new WebSocketServer({noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false})
    this.wss.on('wsClientError', (error, socket) => {
      this.log.debug('bad WebSocket handshake', {error: errorMessage(error)})
      socket.destroy()
    })
    this.wss.on('error', (error) => this.log.warn('WebSocket server error', {error: errorMessage(error)}))
    this.http = createServer((req, res) => this.guard(() => this.onRequest(req, res), () => respond(res, 500, 'internal error\n')))
    // slow or idle HTTP clients must not pin connections
    this.http.headersTimeout = 10_000
    this.http.requestTimeout = 10_000
    this.http.keepAliveTimeout = 5_000
    this.http.on('upgrade', (req, socket, head) => this.guard(() => this.onUpgrade(req, socket, head), () => socket.destroy()))
    this.http.on('clientError', (error, socket) => {
      this.log.debug('bad HTTP request', {error: errorMessage(error)})
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      else socket.destroy()
    })
  }

  /** Listens on host:port; resolves with the bound port. Throws StartupError (one line) on failure. */
  listen(): Promise<number> {
    const {host, port} = this.opts
    return new Promise((resolve, reject) => {
      const onError = (error: unknown) => {
        this.http.off('listening', onListening)
        reject(listenError(error, host, port))
      }
      const onListening = () => {
        this.http.off('error', onError)
        this.http.on('error', (error) => this.log.error('HTTP server error', {error: errorMessage(error)}))
        const address = this.http.address()
        const bound = typeof address === 'object' && address !== null ? address.port : port
        this.pingTimer = setInterval(() => this.sweep(), this.opts.pingIntervalMs)
        this.pingTimer.unref()
        resolve(bound)
      }
      this.http.once('error', onError)
      this.http.once('listening', onListening)
      this.http.listen({host, port, exclusive: true})
    })
  }

  /** Closes every connection (1001 to WebSocket peers) and the listener. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closing = new Promise<void>((resolve) => {
      if (this.pingTimer !== null) clearInterval(this.pingTimer)
      this.pingTimer = null
      for (const c of this.conns) {
        try {
          c.ws.close(1001, 'member stopping')
        } catch {
          c.ws.terminate()
        }
      }
      const done = () => {
        for (const c of this.conns) c.ws.terminate()
        resolve()
      }
      const timer = setTimeout(done, 1000)
      timer.unref()
      if (!this.http.listening) {
        clearTimeout(timer)
        done()
        return
      }
      this.http.close(() => {
        clearTimeout(timer)
        done()
      })
      this.http.closeIdleConnections()
      // give the close frames a moment, then drop whatever is left
      setTimeout(() => {
        for (const c of this.conns) c.ws.terminate()
        this.http.closeAllConnections()
      }, 50).unref()
    })
    return this.closing
  }

  get connectionCount(): number {
    return this.conns.size
  }

  private guard(fn: () => void, onError: () => void): void {
    try {
      fn()
    } catch (error) {
      this.opts.handlers.onInternalError(error)
      this.log.error('unexpected error while serving a request', {error: errorMessage(error)})
      try {
        onError()
      } catch {
        // nothing more to do
      }
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const token = this.opts.token
    if (token === undefined || token === '') return true
    if (tokenMatches(req.headers.authorization, token)) return true
    this.opts.handlers.onUnauthorized()
    return false
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => undefined)
    const path = pathOf(req.url)
    const method = req.method ?? 'GET'
    const readOnly = method === 'GET' || method === 'HEAD'
    if (path === '/healthz') {
      if (!readOnly) return respond(res, 405, 'method not allowed\n', {allow: 'GET, HEAD'})
      return respond(res, 200, 'ok\n')
    }
    if (!this.authorized(req)) return respond(res, 401, 'unauthorized: this cluster needs "Authorization: Bearer <token>"\n', {'www-authenticate': 'Bearer'})
    switch (path) {
      case '/status': {
        if (!readOnly) return respond(res, 405, 'method not allowed\n', {allow: 'GET, HEAD'})
        return respond(res, 200, `${JSON.stringify(this.opts.handlers.status())}\n`, {'content-type': 'application/json; charset=utf-8'})
      }
      case '/metrics': {
        if (!readOnly) return respond(res, 405, 'method not allowed\n', {allow: 'GET, HEAD'})
        return respond(res, 200, this.opts.handlers.metrics(), {'content-type': 'text/plain; version=0.0.4; charset=utf-8'})
      }
      case WS_PATH:
        return respond(res, 426, 'this endpoint speaks WebSocket\n', {upgrade: 'websocket', connection: 'Upgrade'})
      default:
        return respond(res, 404, 'not found\n')
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // a reset mid-handshake must not crash the member
    socket.on('error', (error) => this.log.debug('socket error during upgrade', {error: errorMessage(error)}))
    if (this.closing) return refuse(socket, 503, 'Service Unavailable')
    if (pathOf(req.url) !== WS_PATH) return refuse(socket, 404, 'Not Found')
    if (!this.authorized(req)) return refuse(socket, 401, 'Unauthorized')
    const name = headerValue(req.headers[NODE_HEADER])
    const group = headerValue(req.headers[GROUP_HEADER])
    if (name !== null && !MEMBER_ID_PATTERN.test(name)) return refuse(socket, 400, 'Bad Request')
    if (group !== null && group.length > 256) return refuse(socket, 400, 'Bad Request')
    const peer = name !== null && (this.opts.peerIds ?? []).includes(name)
    if (peer ? this.count((c) => c.name === name) >= PEER_SLOTS : this.count((c) => !c.peer) >= MAX_CONNECTIONS) return refuse(socket, 503, 'Service Unavailable')
    this.wss.handleUpgrade(req, socket, head, (ws) => this.guard(() => this.onSocket(ws, req, name, group, peer), () => ws.terminate()))
  }

  private count(which: (c: Tracked) => boolean): number {
    let n = 0
    for (const c of this.conns) if (which(c)) n++
    return n
  }

  private onSocket(ws: WebSocket, req: IncomingMessage, name: string | null, group: string | null, peer: boolean): void {
    const h = this.opts.handlers
    const log = this.log
    const conn: Tracked = {
      serial: ++this.serial,
      name,
      group,
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      ws,
      alive: true,
      peer,
      bytesWindowStartMs: performance.now(),
      windowBytes: 0,
      junkWindowStartMs: performance.now(),
      windowJunk: 0,
      closedForJunk: false,
      get open() {
        return ws.readyState === WebSocket.OPEN
      },
      send(text: string): boolean {
        if (ws.readyState !== WebSocket.OPEN) return false
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          log.warn(`connection ${name ?? conn.remote} is not reading; closing it`, {bufferedBytes: ws.bufferedAmount})
          ws.terminate()
          return false
        }
        ws.send(text, (error) => {
          if (error) log.debug('send failed', {to: name ?? conn.remote, error: errorMessage(error)})
        })
        return true
      },
      close(code = 1000, reason = '') {
        try {
          ws.close(code, reason)
        } catch {
          ws.terminate()
        }
      },
      junk: () => this.junk(conn),
    }
    this.conns.add(conn)
    ws.on('error', (error) => {
      // oversized and malformed frames arrive here; ws then closes the socket itself
      if (errorCode(error) === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.guard(() => h.onOversized(conn), () => undefined)
      log.debug('WebSocket error', {from: name ?? conn.remote, error: errorMessage(error)})
    })
    ws.on('pong', () => {
      conn.alive = true
    })
    // the byte budget is kept on the raw socket, so frames past it are not even unmasked
    req.socket.on('data', (chunk: Buffer) => this.guard(() => this.budget(conn, chunk.length), () => undefined))
    ws.on('message', (data, isBinary) => {
      conn.alive = true
      if (conn.closedForJunk) return // closing: what is still in flight is not read
      this.guard(() => {
        if (!isBinary) return h.onFrame(conn, data, isBinary)
        // the protocol is text JSON: a binary frame is dropped before anything decodes it
        h.onDropped(conn, 'binary')
        this.junk(conn)
      }, () => undefined)
    })
    ws.on('close', () => {
      if (this.conns.delete(conn)) this.guard(() => h.onClose(conn), () => undefined)
    })
    this.guard(() => h.onConnection(conn), () => undefined)
  }

  /** Counts inbound bytes; past its budget (MAX_INBOUND_BYTES_PER_SECOND, or the peers') the socket is not read until the second is over. */
  private budget(conn: Tracked, bytes: number): void {
    const now = performance.now()
    if (now - conn.bytesWindowStartMs >= 1000) {
      conn.bytesWindowStartMs = now
      conn.windowBytes = 0
    }
    conn.windowBytes += bytes
    const allowed = conn.peer ? MAX_PEER_INBOUND_BYTES_PER_SECOND : MAX_INBOUND_BYTES_PER_SECOND
    if (conn.windowBytes <= allowed || conn.ws.isPaused || conn.ws.readyState !== WebSocket.OPEN) return
    this.guard(() => this.opts.handlers.onThrottled?.(conn), () => undefined)
    conn.ws.pause()
    setTimeout(() => {
      if (conn.ws.readyState === WebSocket.OPEN && !conn.closedForJunk) conn.ws.resume()
    }, Math.max(0, 1000 - (now - conn.bytesWindowStartMs))).unref()
  }

  /** Counts a junk frame; past MAX_JUNK_FRAMES_PER_SECOND the connection is closed (1008). */
  private junk(conn: Tracked): void {
    const now = performance.now()
    if (now - conn.junkWindowStartMs >= 1000) {
      conn.junkWindowStartMs = now
      conn.windowJunk = 0
    }
    if (conn.closedForJunk || ++conn.windowJunk <= MAX_JUNK_FRAMES_PER_SECOND) return
    conn.closedForJunk = true
    this.log.debug(`connection ${conn.name ?? conn.remote} keeps sending junk; closing it`)
    this.guard(() => this.opts.handlers.onJunkClosed?.(conn), () => undefined)
    conn.close(JUNK_CLOSE_CODE, 'too many unusable frames')
    // read nothing more from it; a sender that does not finish the close handshake is cut off
    conn.ws.pause()
    setTimeout(() => conn.ws.terminate(), 1000).unref()
  }

  /** Keepalive: terminate sockets that did not answer the previous ping, ping the rest. */
  private sweep(): void {
    for (const c of this.conns) {
      if (!c.alive) {
        this.log.debug(`connection ${c.name ?? c.remote} missed a pong; terminating it`)
        c.ws.terminate()
        continue
      }
      c.alive = false
      try {
        c.ws.ping()
      } catch {
        c.ws.terminate()
      }
    }
  }
}

function respond(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers, 'content-length': Buffer.byteLength(body)})
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  socket.destroy()
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://member.invalid').pathname
  } catch {
    return ''
  }
}

function headerValue(v: string | string[] | undefined): string | null {
  if (typeof v === 'string') return v
  return null
}

/** A listen failure as one clear line (spec: "a port in use is one clear line"). */
function listenError(error: unknown, host: string, port: number): StartupError {
  switch (errorCode(error)) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} on ${host} is already in use`, 'Another member or program listens there: stop it, or give this member another port in --peers.', 'EADDRINUSE')
    case 'EACCES':
      return new StartupError(`not allowed to listen on ${host}:${port}`, 'Ports below 1024 need privileges; pick a higher port in --peers.')
    case 'EADDRNOTAVAIL':
      return new StartupError(`cannot listen on ${host}:${port}: ${host} is not an address of this machine`, "Check this member's address in --peers.")
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`cannot listen on ${host}:${port}: the host name ${host} does not resolve`, "Check this member's address in --peers.")
    default:
      return new StartupError(`cannot listen on ${host}:${port}: ${errorMessage(error)}`)
  }
}
