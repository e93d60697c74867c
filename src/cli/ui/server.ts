/**
 * The HTTP + WebSocket server behind `dledger ui`: the page, `GET /api/status`, `POST /api/action`
 * and `/ws`, which pushes the status (with each member's FAULTS cell) and the growing timeline to
 * every open page.
 *
 * Vote-log events come from a LogFollower (the `logs -f` machinery): the files of this home's
 * members first, then every new record as members append it; the model is rebuilt from all of
 * them (at most every MODEL_PUSH_MS) and pushed whole.
 *
 * With a cluster token every request needs it: `Authorization: Bearer <token>`, or the cookie the
 * page gets when opened once as `/?token=<token>`. State-changing requests must come from the
 * page's own origin (a cross-site form or script cannot press the buttons).
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {WebSocket, WebSocketServer} from 'ws'

import type {Peer} from '../../core/settings.js'
import type {VoteLogRecord} from '../../wire/frames.js'
import {faultsCell, fetchClusterStatus, type ClusterStatus} from '../cluster-client.js'
import type {MemberClientOptions} from '../member-client.js'
import {timelineFromRecords} from '../timeline/load.js'
import {LogFollower, readVoteLogFiles} from '../vote-log-source.js'
import {mergeLogs} from '../vote-log-view.js'
import {isUiAction, onMember, runAction, type ActionContext} from './actions.js'
import {renderUiPage} from './page.js'

const COOKIE = 'dledger_ui'
const MODEL_PUSH_MS = 250
const STATUS_EVERY_MS = 1000
/** The most records kept in memory (an hour of a busy 5-member cluster is far below this). */
const MAX_RECORDS = 200_000

export interface UiOptions {
  host: string
  port: number
  title: string
  peers: readonly Peer[]
  group: string | null
  token?: string
  /** the data directory of a member on this machine */
  dataDir: (p: Peer) => string
  actions: ActionContext
  /** one line about a member's log connection */
  onNotice?: (text: string) => void
}

const digest = (s: string) => createHash('sha256').update(s).digest()

export class UiServer {
  private readonly server: Server
  private readonly wss = new WebSocketServer({noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false})
  private readonly follower: LogFollower
  private records: VoteLogRecord[] = []
  private status: ClusterStatus | null = null
  private modelTimer: NodeJS.Timeout | null = null
  private statusTimer: NodeJS.Timeout | null = null
  private polling = false
  private closed = false

  constructor(private readonly opts: UiOptions) {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy())
      if (!this.authorized(req) || !this.sameOrigin(req) || (req.url ?? '').split('?')[0] !== '/ws') {
        socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
        socket.destroy()
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onClient(ws))
    })
    this.wss.on('wsClientError', (_e, socket) => socket.destroy())
    const client: MemberClientOptions = {token: opts.token, group: opts.group, idleTimeoutMs: 15_000}
    this.follower = new LogFollower({
      members: opts.peers,
      client,
      onRecord: (r) => this.add([r]),
      onNotice: (id, text) => opts.onNotice?.(`${id}: ${text}`),
    })
  }

  /** Listens, reads the history, starts following; resolves with the URL (port 0 → the chosen one). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.server.on('error', (e) => this.opts.onNotice?.(`server: ${e.message}`))
    // subscribe first, then read the files: what is appended in between arrives live and is deduped
    const first = await this.follower.start()
    const histories = this.opts.peers.map((p) => {
      const files = readVoteLogFiles(this.opts.dataDir(p))
      const answer = first.get(p.id)
      return files?.records ?? (answer?.ok ? answer.records : [])
    })
    const history = mergeLogs(histories)
    this.follower.markSeen(history)
    this.records = history
    this.follower.live()
    this.statusTimer = setInterval(() => void this.pollStatus(), STATUS_EVERY_MS)
    void this.pollStatus()
    const {port} = this.server.address() as AddressInfo
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host
    return `http://${host}:${port}/`
  }

  /** Stops serving and following; the cluster is left alone. */
  async close(): Promise<void> {
    this.closed = true
    this.follower.close()
    if (this.modelTimer !== null) clearTimeout(this.modelTimer)
    if (this.statusTimer !== null) clearInterval(this.statusTimer)
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private model() {
    // the roles hold until now, not just until the last event
    return timelineFromRecords(this.records, this.opts.peers.map((p) => p.id), this.opts.title, this.records.length > 0 ? Date.now() : undefined)
  }

  private add(records: VoteLogRecord[]): void {
    for (const r of records) this.records.push(r)
    if (this.records.length > MAX_RECORDS) this.records = this.records.slice(-MAX_RECORDS)
    this.modelTimer ??= setTimeout(() => {
      this.modelTimer = null
      // live records of several members arrive in socket order: keep the list in time order
      this.records = mergeLogs([this.records])
      this.broadcast({type: 'model', model: this.model()})
    }, MODEL_PUSH_MS)
  }

  private async pollStatus(): Promise<void> {
    if (this.polling || this.closed) return
    this.polling = true
    try {
      this.status = await fetchClusterStatus({peers: this.opts.peers, group: this.opts.group, token: this.opts.token}, {timeoutMs: 500})
      this.broadcast(statusMessage(this.status))
      if (this.wss.clients.size > 0) this.broadcast({type: 'model', model: this.model()})
    } finally {
      this.polling = false
    }
  }

  private broadcast(message: object): void {
    const text = JSON.stringify(message)
    for (const ws of this.wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(text)
  }

  private onClient(ws: WebSocket): void {
    ws.on('error', () => ws.terminate())
    ws.on('message', () => undefined) // the page only listens
    ws.send(JSON.stringify({type: 'model', model: this.model()}))
    if (this.status !== null) ws.send(JSON.stringify(statusMessage(this.status)))
  }

  private tokenFrom(req: IncomingMessage): string | null {
    const auth = req.headers.authorization
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7)
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=')
      if (k === COOKIE) return decodeURIComponent(v.join('='))
    }
    return null
  }

  private matches(candidate: string | null): boolean {
    const token = this.opts.token
    return token === undefined || (candidate !== null && timingSafeEqual(digest(candidate), digest(token)))
  }

  private authorized(req: IncomingMessage): boolean {
    return this.matches(this.tokenFrom(req))
  }

  /**
   * A browser always sends Origin on cross-site writes and WebSocket upgrades; it must be us. The
   * Host must name this server too, so a page whose domain was re-pointed at 127.0.0.1 (DNS
   * rebinding) cannot pass for the UI's own origin.
   */
  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin
    return this.hostAllowed(req) && (origin === undefined || origin === `http://${req.headers.host}`)
  }

  private hostAllowed(req: IncomingMessage): boolean {
    let hostname: string
    try {
      hostname = new URL(`http://${req.headers.host ?? ''}`).hostname.replace(/^\[(.*)\]$/, '$1')
    } catch {
      return false
    }
    const listening = this.opts.host
    if (hostname === listening || hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '::1') return true
    // listening on every address: any name reaches it, and the token guards it (required there)
    return (listening === '0.0.0.0' || listening === '::') && this.opts.token !== undefined
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined)
    const url = new URL(req.url ?? '/', 'http://ui.invalid')
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, {'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', ...headers})
      res.end(body)
    }
    const json = (status: number, body: unknown) => send(status, 'application/json', JSON.stringify(body))
    try {
      if (!this.hostAllowed(req)) return send(421, 'text/plain', `this UI answers to ${this.opts.host}, not ${req.headers.host ?? 'no host'}\n`)
      if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
        // the token once in the address, then a cookie: the address bar and history keep no token
        if (!this.matches(url.searchParams.get('token'))) return send(401, 'text/plain', 'wrong token\n')
        const cookie = `${COOKIE}=${encodeURIComponent(url.searchParams.get('token') ?? '')}; HttpOnly; SameSite=Strict; Path=/`
        return send(303, 'text/plain', 'see /\n', {location: '/', 'set-cookie': cookie})
      }
      if (!this.authorized(req)) return send(401, 'text/plain', 'unauthorized: open the address `dledger ui` printed (it carries the token once)\n')
      if (req.method === 'GET' && url.pathname === '/') return send(200, 'text/html; charset=utf-8', renderUiPage(this.opts.title, req.headers.host ?? ''))
      if (req.method === 'GET' && url.pathname === '/api/status') return json(200, this.status ?? (await fetchClusterStatus({peers: this.opts.peers, group: this.opts.group, token: this.opts.token}, {timeoutMs: 500})))
      if (req.method === 'GET' && url.pathname === '/api/timeline') return json(200, this.model())
      if (req.method === 'POST' && url.pathname === '/api/action') {
        if (!this.sameOrigin(req) || !(req.headers['content-type'] ?? '').startsWith('application/json')) return json(403, {ok: false, message: 'cross-site request refused'})
        const body = await readBody(req)
        if (body === null || !isUiAction(body.action) || (onMember(body.action) && typeof body.id !== 'string'))
          return json(400, {ok: false, message: 'expected {"action": transfer|elect|stop|kill|restart|isolate, "id": member} or {"action": "heal"}'})
        const outcome = await runAction(body.action, typeof body.id === 'string' ? body.id : null, this.opts.actions)
        void this.pollStatus()
        return json(outcome.ok ? 200 : 409, outcome)
      }
      return send(404, 'text/plain', 'not found\n')
    } catch (error) {
      if (!res.headersSent) json(500, {ok: false, message: (error as Error).message})
      else res.destroy()
    }
  }
}

/** The status for the page, with each member's FAULTS cell in the words of `dledger status`. */
function statusMessage(status: ClusterStatus): object {
  return {type: 'status', status, faults: Object.fromEntries(status.members.map((m) => [m.id, faultsCell(m)]))}
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 16 * 1024) return null
    chunks.push(chunk as Buffer)
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}
