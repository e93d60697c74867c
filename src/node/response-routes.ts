/**
 * Where a member's answers go: a response leaves on the socket its request came in on. A route is
 * kept for a while after the request (a leadership transfer is answered seconds later), bounded
 * in age and number.
 */
import type {PushEntryRequest} from '../core/push.js'
import type {Request} from '../core/types.js'
import type {InboundConnection} from './server.js'

/** How long an inbound request's route back to its socket is kept (deferred transfer answers). */
const ROUTE_TTL_MS = 60_000
const MAX_ROUTES = 4096

interface Route {
  conn: InboundConnection
  expiresAtMs: number
}

export class ResponseRoutes {
  private readonly routes = new Map<string, Route>()

  /** Keeps the way back to `conn` for the answer to `req`. */
  remember(conn: InboundConnection, req: Request | PushEntryRequest, nowMs: number): void {
    // routes are inserted in expiry order: drop the expired ones from the front, and the oldest when full
    for (const [key, route] of this.routes) {
      if (route.expiresAtMs > nowMs && this.routes.size < MAX_ROUTES) break
      this.routes.delete(key)
    }
    const key = routeKey(req.localId, req.reqId)
    this.routes.delete(key)
    this.routes.set(key, {conn, expiresAtMs: nowMs + ROUTE_TTL_MS})
  }

  /** The connection that awaits the answer to `requester`'s `reqId`, once; undefined when it is gone. */
  take(requester: string, reqId: string): InboundConnection | undefined {
    const key = routeKey(requester, reqId)
    const route = this.routes.get(key)
    this.routes.delete(key)
    return route?.conn
  }

  /** Forgets every route over a closed connection. */
  forget(conn: InboundConnection): void {
    for (const [key, route] of this.routes) if (route.conn === conn) this.routes.delete(key)
  }
}

function routeKey(requester: string, reqId: string): string {
  return `${requester}\u0000${reqId}`
}
