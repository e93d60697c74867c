/**
 * The ledger's admin operations (`dledger append`, `dledger read`): their checks and their
 * answers. The member hands each request here with a way to run a replicator step.
 */
import type {AppendAck, LogEntry} from '../core/push.js'
import type {ReplicatorOutput} from '../core/replicator.js'
import {codeName, RESPONSE_CODES} from '../core/types.js'
import type {AdminRequest, AdminResponse} from '../wire/frames.js'
import {MAX_FRAME_BYTES} from '../wire/frames.js'
import type {Replication} from './replication.js'

type Reply = (body: Omit<AdminResponse, 'kind' | 'reqId'>) => void
type AppendRequest = Extract<AdminRequest, {op: 'append'}>
type ReadRequest = Extract<AdminRequest, {op: 'read'}>

/**
 * Room a push frame keeps for its own fields (kind, ids, terms, indexes) beside one entry: an
 * entry must fit one push to every follower, or it could never be replicated.
 */
const PUSH_ENVELOPE_BYTES = 4096

/** What one entry body takes in a frame: its JSON string, escapes and quotes included. */
const encodedBytes = (body: string) => Buffer.byteLength(JSON.stringify(body), 'utf8')

/** What a `read` answer may carry, leaving room for the frame's own fields. */
const READ_BUDGET_BYTES = MAX_FRAME_BYTES / 2

/**
 * Checks the bodies, then appends them through `step` (the member's ledger input); the answer
 * comes once the entries are committed, or when the core refuses or gives up.
 */
export function adminAppend(ledger: Replication, maxEntryBodyBytes: number, req: AppendRequest, reply: Reply, step: (run: (nowMs: number) => ReplicatorOutput, what: string) => void): void {
  const tooBig = req.bodies.findIndex((b) => Buffer.byteLength(b, 'utf8') > maxEntryBodyBytes)
  if (tooBig >= 0)
    return reply({ok: false, code: 'UNEXPECTED_ARGUMENT', error: `entry ${tooBig + 1} has ${Buffer.byteLength(req.bodies[tooBig] as string, 'utf8')} bytes; the largest is ${maxEntryBodyBytes} (maxEntryBodyBytes)`})
  const unsendable = req.bodies.findIndex((b) => encodedBytes(b) > MAX_FRAME_BYTES - PUSH_ENVELOPE_BYTES)
  if (unsendable >= 0)
    return reply({
      ok: false,
      code: 'UNEXPECTED_ARGUMENT',
      error: `entry ${unsendable + 1} takes ${encodedBytes(req.bodies[unsendable] as string)} bytes as JSON; one push to a follower carries at most ${MAX_FRAME_BYTES - PUSH_ENVELOPE_BYTES}`,
    })
  const ticket = ledger.wait((ack: AppendAck) => {
    if (ack.code === RESPONSE_CODES.SUCCESS) reply({ok: true, result: {entries: ack.entries, leaderId: ack.leaderId}})
    else reply({ok: false, code: codeName(ack.code), error: describeRefusal(ack), result: {leaderId: ack.leaderId}})
  })
  if (ticket === null) return reply({ok: false, code: 'LEADER_PENDING_FULL', error: 'too many appends are waiting for their commit; retry later'})
  step((t) => ledger.replicator.append(req.bodies, ticket, t), 'append')
}

/** The entries a `read` asks for, cut to fit one frame. */
export function adminRead(ledger: Replication, req: ReadRequest, reply: Reply): void {
  const r = ledger.replicator
  const from = Math.max(0, req.from ?? 0)
  const all = ledger.read(from, req.to ?? Number.MAX_SAFE_INTEGER, req.uncommitted === true)
  const entries: LogEntry[] = []
  let bytes = 0
  for (const e of all) {
    bytes += Buffer.byteLength(JSON.stringify(e), 'utf8') + 1
    if (entries.length > 0 && bytes > READ_BUDGET_BYTES) break
    entries.push(e)
  }
  reply({ok: true, result: {entries, committedIndex: r.committedIndex, ledgerEndIndex: r.ledgerEndIndex, more: entries.length < all.length}})
}

function describeRefusal(ack: AppendAck): string {
  const name = codeName(ack.code)
  switch (name) {
    case 'NOT_LEADER':
      return `not the leader${ack.leaderId ? ` (the leader is ${ack.leaderId})` : ''}`
    case 'LEADER_TRANSFERRING':
      return 'the leader is transferring leadership; writes are paused until it completes'
    case 'WAIT_QUORUM_ACK_TIMEOUT':
      return 'no quorum acknowledged the entries in time; they may still commit later'
    case 'LEADER_PENDING_FULL':
      return 'too many appends are waiting for their commit; retry later'
    case 'EXPIRED_TERM':
      return 'the leader lost its term before the entries committed; they may still commit later'
    default:
      return name
  }
}
