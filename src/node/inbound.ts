/**
 * A member's inbound side: the frames its server hands over, checked and admitted (a peer's
 * election and push requests go to the core or the ledger, a client's admin requests to admin.ts),
 * or dropped and counted with a throttled warning; and the way back, since an answer leaves on the
 * socket its request came in on (response-routes.ts).
 */
import type {PushEntryRequest, PushEntryResponse} from '../core/push.js'
import type {Message, NodeId, Request} from '../core/types.js'
import {encodeFrame, parseFrame} from '../wire/frames.js'
import {type AdminHandler, type AdminHost, describeConnection as describe} from './admin.js'
import type {DropReason, Metrics} from './metrics.js'
import type {LedgerHost} from './replication.js'
import {ResponseRoutes} from './response-routes.js'
import type {InboundConnection, ServerHandlers} from './server.js'

/** At most one warning per drop reason in this period; the rest go to debug. */
const DROP_WARN_EVERY_MS = 10_000

/** What the inbound side needs of its member, besides what admin needs too. */
export interface InboundHost extends Pick<AdminHost, 'settings' | 'log' | 'clock' | 'peerIds' | 'faults' | 'core' | 'input' | 'ledger'> {
  readonly admin: AdminHandler
  readonly ledgerHost: LedgerHost
  /** the member's metrics (set once the member started) */
  metrics(): Metrics
  /** frames are handled only while the member runs */
  running(): boolean
  /** reconnects to a peer now, instead of waiting out a backoff */
  nudge(peer: NodeId): void
}

export class Inbound {
  private readonly routes = new ResponseRoutes()
  private readonly lastDropWarnMs = new Map<string, number>()

  constructor(private readonly host: InboundHost) {}

  /** The server's handlers for connections and frames (GET /status and /metrics are the member's). */
  serverHandlers(): Omit<ServerHandlers, 'status' | 'metrics'> {
    return {
      onConnection: (conn) => this.onConnection(conn),
      onFrame: (conn, data) => this.onFrame(conn, data),
      onClose: (conn) => this.onConnectionClosed(conn),
      onOversized: (conn) => this.dropped('oversized', `a frame over 1 MiB from ${describe(conn)}`),
      onDropped: (conn, reason) => this.dropped(reason, `a ${reason} frame from ${describe(conn)}`),
      onThrottled: () => this.host.metrics().throttled++,
      onJunkClosed: (conn) => {
        this.host.metrics().junkClosed++
        this.host.log.warn(`closed the connection from ${describe(conn)}: it keeps sending unusable frames`)
      },
      onUnauthorized: () => this.host.metrics().unauthorized++,
      onInternalError: () => this.host.metrics().internalErrors++,
    }
  }

  /** Sends a response back on the socket its request came in on, unless that closed meanwhile. */
  answer(m: Message | PushEntryResponse): void {
    const conn = this.routes.take(m.localId, m.reqId)
    if (conn === undefined) {
      this.host.log.debug(`no connection to answer ${m.kind} ${m.reqId} for ${m.localId} on (it closed)`)
      return
    }
    this.host.faults.send(m.localId, () => {
      if (!conn.send(encodeFrame(m))) this.host.log.debug(`could not answer ${m.localId}: its connection is gone`)
    })
  }

  /** Counts a message the member dropped (inbound, outbound or admin); warns once per reason in DROP_WARN_EVERY_MS, the rest at debug. */
  dropped(reason: DropReason, detail: string): void {
    this.host.metrics().drop(reason)
    const now = this.host.clock.now()
    const last = this.lastDropWarnMs.get(reason)
    if (last === undefined || now - last >= DROP_WARN_EVERY_MS) {
      this.lastDropWarnMs.set(reason, now)
      this.host.log.warn(`dropped a message (${reason}): ${detail}`)
    } else {
      this.host.log.debug(`dropped a message (${reason}): ${detail}`)
    }
  }

  private onConnection(conn: InboundConnection): void {
    this.host.log.debug(`connection from ${describe(conn)}`)
    // a member that connects to us is up: reconnect to it now instead of waiting out a backoff
    if (conn.name !== null && this.host.peerIds.has(conn.name) && conn.name !== this.host.settings.selfId) this.host.nudge(conn.name)
  }

  private onConnectionClosed(conn: InboundConnection): void {
    this.host.admin.onConnectionClosed(conn)
    this.routes.forget(conn)
  }

  private onFrame(conn: InboundConnection, data: Parameters<typeof parseFrame>[0]): void {
    if (!this.host.running()) return
    const parsed = parseFrame(data)
    if (!parsed.ok) {
      this.dropped(parsed.reason, `${parsed.detail} from ${describe(conn)}`)
      this.host.admin.rejectMalformed(conn, parsed)
      conn.junk()
      return
    }
    const frame = parsed.frame
    switch (frame.kind) {
      case 'VoteRequest':
      case 'HeartBeatRequest':
      case 'LeadershipTransferRequest':
        if (!this.admit(conn, frame) || this.host.faults.dropsInbound(frame.localId)) return
        this.routes.remember(conn, frame, this.host.clock.now())
        this.host.input((t) => this.host.core().receive(frame, t), frame.kind)
        return
      case 'PushEntryRequest': {
        const ledger = this.host.ledger()
        if (ledger === null || !this.admit(conn, frame) || this.host.faults.dropsInbound(frame.localId)) return
        this.routes.remember(conn, frame, this.host.clock.now())
        this.host.input(ledger.step(this.host.ledgerHost, (r, t) => r.receive(frame, t)), frame.kind)
        return
      }
      case 'AdminRequest':
        this.host.admin.handle(conn, frame)
        return
      default:
        this.dropped('unexpected', `a ${frame.kind} on an inbound connection from ${describe(conn)}`)
    }
  }

  /**
   * Election requests must come from a member (and the one the connection named); a client
   * (the CLI, no member name) may only ask for a leadership transfer. A request for another
   * group is still answered by the core (UNKNOWN_GROUP, as DLedger does), and counted.
   */
  private admit(conn: InboundConnection, req: Request | PushEntryRequest): boolean {
    const self = this.host.settings.selfId
    const named = conn.name !== null && conn.name !== self && this.host.peerIds.has(conn.name) ? conn.name : null
    if (req.kind !== 'LeadershipTransferRequest' || named !== null) {
      if (!this.host.peerIds.has(req.localId) || req.localId === self || (named !== null && req.localId !== named)) {
        this.dropped('non_member', `${req.kind} from "${req.localId}" on a connection from ${describe(conn)}`)
        return false
      }
    }
    if (req.group !== this.host.settings.group) this.dropped('wrong_group', `${req.kind} for group "${req.group}" from ${describe(conn)} (answered UNKNOWN_GROUP)`)
    return true
  }
}
