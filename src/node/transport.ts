/**
 * Outbound peer connections: one WebSocket client per peer, carrying this member's requests;
 * the peer answers on the same socket. (The peer's own requests reach us on our server, so
 * there is one connection each way, spec §2.)
 *
 * Nothing here ever makes the member wait:
 * - a request to a peer that is not connected is answered at once with NETWORK_ERROR
 *   (DLedger's RPC layer does the same for a refused connection);
 * - every request has a timeout (rpcTimeoutMs), after which the core gets NETWORK_ERROR; a late
 *   real answer is then ignored (the core also ignores unknown reqIds);
 * - a closed connection answers all its pending requests with NETWORK_ERROR at once;
 * - a peer that stops reading (send buffer full) or goes silent (no ping from its server) gets
 *   its connection terminated;
 * - reconnects use full-jitter exponential backoff (base 10 ms, cap 5 s), and `nudge` skips the
 *   wait when the peer has just connected to us (so a restarted member is reached at once).
 *   Members spawned together (`dledger up`) find each other within a few ms of listening: the
 *   first retries come after 0–10, 0–20, 0–40 ms, jittered so they do not retry in step, and
 *   still back off to the cap against a peer that stays down.
 */
import {type RawData, WebSocket} from 'ws'

import type {Peer} from '../core/settings.js'
import {networkErrorPushResponse, type PushEntryRequest, type PushEntryResponse} from '../core/push.js'
import {type NodeId, networkErrorResponse, type Request, type Response} from '../core/types.js'
import {bearer, GROUP_HEADER, MAX_FRAME_BYTES, NODE_HEADER, parseFrame, type ParseFailureReason, WS_PATH} from '../wire/frames.js'
import {errorMessage} from './errors.js'
import type {FaultLayer} from './fault-layer.js'
import {type Logger, silentLogger} from './logger.js'
import {MAX_BUFFERED_BYTES} from './server.js'

export const BACKOFF_BASE_MS = 10
export const BACKOFF_CAP_MS = 5000

/** Full-jitter backoff: a uniform delay in [0, min(cap, base × 2^attempt)). */
export function backoffDelayMs(attempt: number, random: () => number = Math.random, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30))
  return Math.floor(random() * ceiling)
}

/** What a member sends a peer: an election request or a ledger push; and what comes back. */
export type PeerRequest = Request | PushEntryRequest
export type PeerResponse = Response | PushEntryResponse

const RESPONSE_KIND: Record<PeerRequest['kind'], PeerResponse['kind']> = {
  VoteRequest: 'VoteResponse',
  HeartBeatRequest: 'HeartBeatResponse',
  LeadershipTransferRequest: 'LeadershipTransferResponse',
  PushEntryRequest: 'PushEntryResponse',
}

/** The NETWORK_ERROR answer the transport makes up for a request that failed. */
function networkError(req: PeerRequest): PeerResponse {
  return req.kind === 'PushEntryRequest' ? networkErrorPushResponse(req) : networkErrorResponse(req)
}

export interface ResponseInfo {
  /** true when the transport made up a NETWORK_ERROR (not connected, timeout, connection lost) */
  synthetic: boolean
  /** round-trip time of a real answer, ms */
  rttMs: number | null
}

export interface TransportOptions {
  selfId: NodeId
  group: string
  token?: string
  /** the other members (self excluded) */
  peers: readonly Peer[]
  rpcTimeoutMs: number
  /** the peers' keepalive ping period; a connection with no ping or message for 3 periods (≥ 5 s) is dead */
  pingIntervalMs: number
  log?: Logger
  random?: () => number
  /** injected network faults on requests sent and answers received */
  faults?: FaultLayer
  /** a peer's answer to one of our requests, or a synthetic NETWORK_ERROR; called synchronously */
  onResponse(response: PeerResponse, info: ResponseInfo): void
  /** a frame on an outbound connection that is not an answer we wait for */
  onDropped(reason: ParseFailureReason | 'unexpected'): void
  onPeerState?(peer: NodeId, connected: boolean): void
}

interface Pending {
  req: PeerRequest
  timer: NodeJS.Timeout
  sentAt: number
}

class PeerLink {
  ws: WebSocket | null = null
  connected = false
  attempt = 0
  retryTimer: NodeJS.Timeout | null = null
  deadman: NodeJS.Timeout | null = null
  readonly pending = new Map<string, Pending>()
  /** for "connection lost" logs: only transitions are logged at info */
  everConnected = false
  lastError: string | null = null
  /** a refused token is worth one warning, not one per retry */
  warnedUnauthorized = false

  constructor(readonly peer: Peer) {}
}

export class Transport {
  private readonly links = new Map<NodeId, PeerLink>()
  private readonly log: Logger
  private readonly random: () => number
  private stopped = true

  constructor(private readonly opts: TransportOptions) {
    this.log = opts.log ?? silentLogger
    this.random = opts.random ?? Math.random
    for (const p of opts.peers) if (p.id !== opts.selfId) this.links.set(p.id, new PeerLink(p))
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    for (const link of this.links.values()) this.connect(link)
  }

  /** Sends a request to its `remoteId`; its answer (or a NETWORK_ERROR) comes back through onResponse. */
  send(req: PeerRequest): void {
    const link = this.links.get(req.remoteId)
    if (link === undefined || this.stopped) return this.fail(req, link === undefined ? 'not a peer' : 'stopping')
    const ws = link.ws
    if (ws === null || !link.connected || ws.readyState !== WebSocket.OPEN) return this.fail(req, 'not connected')
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn(`peer ${link.peer.id} is not reading; reconnecting`, {bufferedBytes: ws.bufferedAmount})
      ws.terminate()
      return this.fail(req, 'peer not reading')
    }
    if (link.pending.has(req.reqId)) return // the core never reuses a reqId; a duplicate has nothing to add
    const timer = setTimeout(() => {
      if (link.pending.delete(req.reqId)) {
        this.log.debug(`request to ${link.peer.id} timed out`, {kind: req.kind, reqId: req.reqId, timeoutMs: this.opts.rpcTimeoutMs})
        this.deliver(networkError(req), {synthetic: true, rttMs: null})
      }
    }, this.opts.rpcTimeoutMs)
    timer.unref()
    link.pending.set(req.reqId, {req, timer, sentAt: performance.now()})
    // a request the fault layer drops is never sent: its timeout answers NETWORK_ERROR, as for a lost packet
    const transmit = () =>
      ws.send(JSON.stringify(req), (error) => {
        if (!error) return
        const p = link.pending.get(req.reqId)
        if (p === undefined) return
        link.pending.delete(req.reqId)
        clearTimeout(p.timer)
        this.deliver(networkError(req), {synthetic: true, rttMs: null})
      })
    if (this.opts.faults === undefined) transmit()
    else this.opts.faults.send(req.remoteId, transmit)
  }

  /** Reconnects to `peer` now if the link is down and waiting out a backoff (the peer just showed up). */
  nudge(peer: NodeId): void {
    const link = this.links.get(peer)
    if (link === undefined || this.stopped || link.ws !== null || link.retryTimer === null) return
    clearTimeout(link.retryTimer)
    link.retryTimer = null
    this.connect(link)
  }

  isConnected(peer: NodeId): boolean {
    return this.links.get(peer)?.connected ?? false
  }

  /** Closes every connection and drops pending requests without answering them. Idempotent. */
  close(): void {
    this.stopped = true
    for (const link of this.links.values()) {
      if (link.retryTimer !== null) clearTimeout(link.retryTimer)
      link.retryTimer = null
      if (link.deadman !== null) clearTimeout(link.deadman)
      link.deadman = null
      for (const p of link.pending.values()) clearTimeout(p.timer)
      link.pending.clear()
      const ws = link.ws
      link.ws = null
      link.connected = false
      if (ws !== null) {
        ws.removeAllListeners('close')
        ws.on('error', () => undefined)
        ws.terminate()
      }
    }
  }

  private fail(req: PeerRequest, why: string): void {
    this.log.debug(`cannot send ${req.kind} to ${req.remoteId}: ${why}`)
    this.deliver(networkError(req), {synthetic: true, rttMs: null})
  }

  private deliver(resp: PeerResponse, info: ResponseInfo): void {
    try {
      this.opts.onResponse(resp, info)
    } catch (error) {
      this.log.error('response handler failed', {error: errorMessage(error)})
    }
  }

  private connect(link: PeerLink): void {
    if (this.stopped) return
    const {peer} = link
    const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host
    const headers: Record<string, string> = {[NODE_HEADER]: this.opts.selfId, [GROUP_HEADER]: this.opts.group}
    if (this.opts.token) headers.authorization = bearer(this.opts.token)
    let ws: WebSocket
    try {
      ws = new WebSocket(`ws://${host}:${peer.port}${WS_PATH}`, {
        headers,
        perMessageDeflate: false,
        maxPayload: MAX_FRAME_BYTES,
        handshakeTimeout: Math.max(1000, this.opts.rpcTimeoutMs),
        followRedirects: false,
      })
    } catch (error) {
      this.onLinkDown(link, null, errorMessage(error))
      return
    }
    link.ws = ws
    // REQUIRED: an 'error' with no listener crashes the process (ECONNREFUSED, 401, bad frames)
    ws.on('error', (error) => {
      link.lastError = errorMessage(error)
      if (/\b401\b/.test(link.lastError) && !link.warnedUnauthorized) {
        link.warnedUnauthorized = true
        this.log.warn(`peer ${peer.id} refused this member's token (401); check that every member has the same --token`)
      } else this.log.debug(`connection to ${peer.id} failed`, {error: link.lastError})
    })
    ws.on('open', () => {
      link.connected = true
      link.attempt = 0
      link.lastError = null
      link.everConnected = true
      link.warnedUnauthorized = false
      this.log.info(`connected to peer ${peer.id} at ${peer.address}`)
      this.armDeadman(link, ws)
      this.opts.onPeerState?.(peer.id, true)
    })
    ws.on('ping', () => this.armDeadman(link, ws))
    ws.on('message', (data, isBinary) => {
      this.armDeadman(link, ws)
      this.onMessage(link, data, isBinary)
    })
    ws.on('close', (code) => this.onLinkDown(link, ws, link.lastError ?? `closed (${code})`))
  }

  private onMessage(link: PeerLink, data: RawData, _isBinary: boolean): void {
    const parsed = parseFrame(data)
    if (!parsed.ok) {
      this.log.debug(`dropped a frame from ${link.peer.id}: ${parsed.detail}`)
      this.opts.onDropped(parsed.reason)
      return
    }
    const frame = parsed.frame
    if (this.opts.faults?.dropsInbound(link.peer.id) === true) return
    const pending = 'reqId' in frame ? link.pending.get(frame.reqId) : undefined
    if (pending === undefined || frame.kind !== RESPONSE_KIND[pending.req.kind]) {
      // a late answer after a timeout is normal; anything else is not for us
      if (pending === undefined && (frame.kind === 'VoteResponse' || frame.kind === 'HeartBeatResponse' || frame.kind === 'LeadershipTransferResponse' || frame.kind === 'PushEntryResponse')) return
      this.log.debug(`dropped an unexpected ${frame.kind} from ${link.peer.id}`)
      this.opts.onDropped('unexpected')
      return
    }
    link.pending.delete(pending.req.reqId)
    clearTimeout(pending.timer)
    this.deliver(frame as PeerResponse, {synthetic: false, rttMs: performance.now() - pending.sentAt})
  }

  private armDeadman(link: PeerLink, ws: WebSocket): void {
    if (link.deadman !== null) clearTimeout(link.deadman)
    const silentMs = Math.max(3 * this.opts.pingIntervalMs, 5000)
    link.deadman = setTimeout(() => {
      link.deadman = null
      if (link.ws !== ws) return
      this.log.warn(`peer ${link.peer.id} has been silent for ${silentMs} ms; reconnecting`)
      ws.terminate()
    }, silentMs)
    link.deadman.unref()
  }

  private onLinkDown(link: PeerLink, ws: WebSocket | null, why: string): void {
    if (ws !== null && link.ws !== ws) return
    link.ws = null
    if (link.deadman !== null) clearTimeout(link.deadman)
    link.deadman = null
    const wasConnected = link.connected
    link.connected = false
    if (wasConnected) {
      this.log.info(`lost the connection to peer ${link.peer.id}: ${why}`)
      this.opts.onPeerState?.(link.peer.id, false)
    }
    // everything in flight on that socket is lost
    const lost = [...link.pending.values()]
    link.pending.clear()
    for (const p of lost) {
      clearTimeout(p.timer)
      this.deliver(networkError(p.req), {synthetic: true, rttMs: null})
    }
    if (this.stopped) return
    const delay = backoffDelayMs(link.attempt++, this.random)
    link.retryTimer = setTimeout(() => {
      link.retryTimer = null
      this.connect(link)
    }, delay)
    link.retryTimer.unref()
  }
}
