/**
 * A member's admin requests (the CLI's AdminRequest frames, already authenticated by the server):
 * `status`, `revote` (DLedger's testRevote), `stepDown`, `setPreferredLeaders` (durable before it
 * is applied), `subscribeLog` (the vote log's tail, then every new event on the connection), and
 * the ledger's `append` and `read` (ledger-admin.ts), and `faults` (the fault layer, fault-layer.ts).
 * Core commands go through the member's one input queue, like every other input.
 */
import type {Elector, StepOutput} from '../core/elector.js'
import type {VoteLogEvent} from '../core/events.js'
import type {ReplicatorOutput} from '../core/replicator.js'
import {MAX_TERM} from '../core/limits.js'
import type {Settings} from '../core/settings.js'
import type {NodeId} from '../core/types.js'
import {type AdminRequest, type AdminResponse, encodeFrame, type LogEventFrame, type ParseResult} from '../wire/frames.js'
import type {MemberStatus} from '../wire/status.js'
import type {Clock} from './clock.js'
import {errorMessage} from './errors.js'
import {type FaultLayer, handleFaultsOp} from './fault-layer.js'
import {adminAppend, adminRead} from './ledger-admin.js'
import type {Logger} from './logger.js'
import type {DropReason} from './metrics.js'
import {describeIds, type PreferredStore} from './preferred-store.js'
import type {Replication} from './replication.js'
import type {InboundConnection} from './server.js'
import type {VoteLog} from './vote-log.js'

/** The admin error code of a term above MAX_TERM (the drop reason has the same name). */
const TERM_OUT_OF_RANGE = 'TERM_OUT_OF_RANGE'

/** What the admin handler needs of its member. */
export interface AdminHost {
  readonly settings: Settings
  readonly log: Logger
  readonly clock: Clock
  readonly peerIds: ReadonlySet<NodeId>
  readonly preferredStore: PreferredStore
  readonly voteLog: VoteLog
  /** the member's injected network faults */
  readonly faults: FaultLayer
  /** the member's core (set once the member started) */
  core(): Elector
  /** queues one core input (the member's one input path) */
  input(fn: (nowMs: number) => StepOutput, what: string): void
  /** the member's ledger, null until it is loaded */
  ledger(): Replication | null
  /** queues one replicator input on the same path */
  ledgerInput(run: (nowMs: number) => ReplicatorOutput, what: string): void
  /** logs events the member itself records (the vote log, metrics, the role hook) */
  onEvents(events: VoteLogEvent[]): void
  /** counts and logs a dropped message */
  dropped(reason: DropReason, detail: string): void
  status(): MemberStatus
}

type AdminBody = Omit<AdminResponse, 'kind' | 'reqId'>

/** `n1 (127.0.0.1:53210)`, or the bare remote address of an unnamed client. */
export function describeConnection(conn: InboundConnection): string {
  return conn.name === null ? conn.remote : `${conn.name} (${conn.remote})`
}

export class AdminHandler {
  /** the connections following the vote log, and how to stop each */
  private readonly subscriptions = new Map<InboundConnection, () => void>()

  constructor(private readonly host: AdminHost) {}

  /** Answers an AdminRequest frame that did not parse, when it carried a reqId to answer. */
  rejectMalformed(conn: InboundConnection, failure: Extract<ParseResult, {ok: false}>): void {
    if (failure.kind !== 'AdminRequest' || failure.reqId === undefined) return
    this.reply(conn, failure.reqId, {ok: false, code: failure.reason === 'term_out_of_range' ? TERM_OUT_OF_RANGE : 'UNEXPECTED_ARGUMENT', error: failure.detail})
  }

  /** Stops the vote-log subscription of a closed connection. */
  onConnectionClosed(conn: InboundConnection): void {
    this.subscriptions.get(conn)?.()
    this.subscriptions.delete(conn)
  }

  /** Stops every subscription (the member stops). */
  close(): void {
    for (const unsubscribe of this.subscriptions.values()) unsubscribe()
    this.subscriptions.clear()
  }

  handle(conn: InboundConnection, req: AdminRequest): void {
    const {host} = this
    const reply = (body: AdminBody) => this.reply(conn, req.reqId, body)
    const s = host.settings
    if (req.group !== undefined && req.group !== s.group) {
      host.dropped('wrong_group', `AdminRequest for group "${req.group}" from ${describeConnection(conn)}`)
      return reply({ok: false, code: 'UNKNOWN_GROUP', error: `this member is in group "${s.group}", not "${req.group}"`})
    }
    const before = host.core().snapshot(host.clock.now())
    const after = () => {
      const snap = host.core().snapshot(host.clock.now())
      return {term: snap.term, role: snap.role, leaderId: snap.leaderId}
    }
    switch (req.op) {
      case 'status':
        return reply({ok: true, result: host.status()})
      case 'revote': {
        const term = req.term ?? before.term + 1
        if (term > MAX_TERM) {
          host.dropped('term_out_of_range', `a forced election for term ${term} from ${describeConnection(conn)}`)
          return reply({ok: false, code: TERM_OUT_OF_RANGE, error: `term ${term} is above the largest term ${MAX_TERM}`})
        }
        if (term < before.term) return reply({ok: false, code: 'UNEXPECTED_ARGUMENT', error: `term ${term} is older than the current term ${before.term}`})
        host.log.info(`forced election for term ${term} requested by ${describeConnection(conn)}`)
        host.input((t) => host.core().revote(term, t), 'revote')
        return reply({ok: true, result: after()})
      }
      case 'stepDown':
        if (before.role !== 'LEADER') return reply({ok: false, code: 'NOT_LEADER', error: `${s.selfId} is ${before.role}, not the leader`, result: after()})
        host.log.info(`step down requested by ${describeConnection(conn)}`)
        host.input((t) => host.core().stepDown(t), 'stepDown')
        return reply({ok: true, result: after()})
      case 'setPreferredLeaders':
        return reply(this.setPreferredLeaders(conn, req.ids))
      case 'subscribeLog':
        return this.subscribe(conn, req)
      case 'append': {
        const ledger = host.ledger()
        if (ledger === null) return reply({ok: false, code: 'LEADER_NOT_READY', error: 'the ledger is not loaded yet'})
        return adminAppend(ledger, s.maxEntryBodyBytes, req, reply, (run, what) => host.ledgerInput(run, what))
      }
      case 'faults':
        return reply(
          handleFaultsOp(host.faults, req.set, {
            selfId: s.selfId,
            peerIds: host.peerIds,
            by: describeConnection(conn),
            log: host.log,
            record: (faults) => host.onEvents([{type: 'FAULTS', faults, by: describeConnection(conn), atMs: host.clock.now(), node: s.selfId, term: before.term}]),
          }),
        )
      case 'read': {
        const ledger = host.ledger()
        if (ledger === null) return reply({ok: false, code: 'LEADER_NOT_READY', error: 'the ledger is not loaded yet'})
        return adminRead(ledger, req, reply)
      }
      default: {
        const never: never = req
        return reply({ok: false, code: 'UNSUPPORTED', error: `unknown op ${JSON.stringify((never as {op?: unknown}).op)}`})
      }
    }
  }

  private setPreferredLeaders(conn: InboundConnection, ids: NodeId[]): AdminBody {
    const {host} = this
    const unknown = ids.filter((id) => !host.peerIds.has(id))
    if (unknown.length > 0) return {ok: false, code: 'UNKNOWN_MEMBER', error: `not members: ${unknown.join(', ')}`}
    // durable before it is applied or acknowledged, so a restart keeps it
    try {
      host.preferredStore.write({preferredLeaderIds: ids, configured: host.settings.preferredLeaderIds})
    } catch (error) {
      return {ok: false, code: 'DISK_ERROR', error: `cannot write ${host.preferredStore.file}: ${errorMessage(error)}`}
    }
    host.log.info(`preferred leaders set to ${describeIds(ids)} by ${describeConnection(conn)}`)
    host.input((t) => host.core().setPreferredLeaders(ids, t), 'setPreferredLeaders')
    const preferred = host.core().snapshot(host.clock.now()).preferredLeaderIds
    return {ok: true, result: {preferred: preferred.length > 0 ? preferred.join(';') : null}}
  }

  private subscribe(conn: InboundConnection, req: Extract<AdminRequest, {op: 'subscribeLog'}>): void {
    const types = req.types && req.types.length > 0 ? req.types : undefined
    this.reply(conn, req.reqId, {ok: true, result: {events: this.host.voteLog.tail(req.tail ?? 0, types)}})
    if (req.follow === false) return
    this.subscriptions.get(conn)?.()
    const unsubscribe = this.host.voteLog.subscribe((event) => {
      if (types && !types.includes(event.type)) return
      const frame: LogEventFrame = {kind: 'LogEvent', event}
      if (!conn.send(encodeFrame(frame))) {
        unsubscribe()
        this.subscriptions.delete(conn)
      }
    })
    this.subscriptions.set(conn, unsubscribe)
  }

  private reply(conn: InboundConnection, reqId: string, body: AdminBody): void {
    conn.send(encodeFrame({kind: 'AdminResponse', reqId, ...body}))
  }
}
