/**
 * The simulated operator and client: the requests a script and the swarm send to the cluster
 * (`dledger elect`, `transfer-leader`, `append`) and their answers, noted in the timeline.
 */
import type {Elector, StepOutput} from '../core/elector.js'
import type {ReplicatorOutput} from '../core/replicator.js'
import {codeName, type LeadershipTransferRequest, type NodeId, RESPONSE_CODES} from '../core/types.js'

import type {SimMessage} from './network.js'
import type {Observer} from './observer.js'
import {type ClientAppend, CLIENT_ID, type SimNode} from './sim-node.js'

type AppendAck = ReplicatorOutput['acks'][number]

/** What the client needs of its cluster. */
export interface ClientHost {
  readonly observer: Observer
  /** the simulated time */
  now(): number
  /** whether trace lines are written (the answers' lines are built only then) */
  readonly tracing: boolean
  trace(fields: Record<string, unknown> & {kind: string}): void
  leadingMember(): NodeId | null
  highestLiveTerm(): number
  node(id: NodeId): SimNode
  /** the one delivery path of a core step */
  apply(n: SimNode, out: StepOutput): void
  /** a live member handles a message or a client append */
  handle(n: SimNode, m: SimMessage | ClientAppend): void
  /** the checkers look at the entries a member acknowledged as committed */
  checkAck(from: NodeId, entries: AppendAck['entries']): void
}

export class SimClient {
  /** client appends acknowledged SUCCESS / refused or failed */
  readonly appends = {acked: 0, failed: 0}
  private clientReqs = 0
  private readonly clientTransfers = new Map<string, {line: number; transfereeId: NodeId}>()
  private readonly clientAppends = new Map<string, {line: number; count: number}>()

  constructor(private readonly host: ClientHost) {}

  /**
   * Forces `id` to campaign for the next term now (DLedger's testRevote): the term is one more
   * than the highest term of any live member. Returns the term, or null if `id` is down.
   */
  elect(id: NodeId): number | null {
    const n = this.host.node(id)
    if (n.elector === null || n.paused) return null
    const term = this.host.highestLiveTerm() + 1
    this.host.trace({kind: 'elect', node: id, term})
    this.host.apply(n, n.elector.revote(term, this.host.now()))
    return term
  }

  /**
   * Asks the current leader, as a client would (`dledger transfer-leader`), to hand leadership to
   * `transfereeId`. Returns the leader asked, or null when there is none. The answer arrives
   * later and is logged in the timeline.
   */
  transfer(transfereeId: NodeId, line = 0): NodeId | null {
    const leader = this.host.leadingMember()
    if (leader === null) return null
    const n = this.host.node(leader)
    const req: LeadershipTransferRequest = {
      kind: 'LeadershipTransferRequest',
      group: n.settings.group,
      localId: CLIENT_ID,
      remoteId: leader,
      leaderId: leader,
      term: n.term,
      code: RESPONSE_CODES.SUCCESS,
      transferId: leader,
      transfereeId,
      takeLeadershipLedgerIndex: 0,
      reqId: `${CLIENT_ID}.${++this.clientReqs}`,
    }
    this.clientTransfers.set(req.reqId, {line, transfereeId})
    this.host.trace({kind: 'message', from: CLIENT_ID, to: leader, fate: 'direct', message: req})
    if (n.paused) n.held.push(req)
    else this.host.apply(n, (n.elector as Elector).receive(req, this.host.now()))
    return leader
  }

  /**
   * A client appends `count` entries at the current leader (`dledger append --count N`). Returns
   * the leader asked, or null when there is none. The outcome is logged in the timeline.
   */
  append(count: number, line = 0): NodeId | null {
    const leader = this.host.leadingMember()
    if (leader === null) return null
    const n = this.host.node(leader)
    const ticket = `${CLIENT_ID}.${++this.clientReqs}`
    this.clientAppends.set(ticket, {line, count})
    const bodies = Array.from({length: count}, (_, i) => `${ticket}#${i}`)
    if (n.paused) n.held.push({kind: 'ClientAppend', bodies, ticket})
    else this.host.handle(n, {kind: 'ClientAppend', bodies, ticket})
    return leader
  }

  /** A member's answer to the client: a transfer's outcome goes into the timeline. */
  onResponse(from: NodeId, m: SimMessage): void {
    if (this.host.tracing) this.host.trace({kind: 'message', from, to: CLIENT_ID, fate: 'direct', message: m})
    const req = this.clientTransfers.get(m.reqId)
    if (req === undefined || m.kind !== 'LeadershipTransferResponse') return
    this.clientTransfers.delete(m.reqId)
    const where = req.line > 0 ? `line ${req.line}: ` : ''
    this.host.observer.note('transfer', `${where}transfer to ${req.transfereeId} answered by ${from}: ${codeName(m.code)} (term ${m.term})`, this.host.now())
  }

  /** The leader's answer to a client append: committed (checked, counted) or refused. */
  onAck(from: NodeId, ack: AppendAck): void {
    const now = this.host.now()
    const req = this.clientAppends.get(ack.ticket)
    this.clientAppends.delete(ack.ticket)
    const where = req !== undefined && req.line > 0 ? `line ${req.line}: ` : ''
    const n = req?.count ?? ack.entries.length
    if (ack.code === RESPONSE_CODES.SUCCESS) {
      this.appends.acked += ack.entries.length
      this.host.checkAck(from, ack.entries)
      const first = ack.entries[0]
      const last = ack.entries[ack.entries.length - 1]
      if (first !== undefined && last !== undefined)
        this.host.observer.note('append', `${where}${n} ${n === 1 ? 'entry' : 'entries'} committed by ${from} at ${first.index}${last.index === first.index ? '' : `..${last.index}`} (term ${last.term})`, now)
    } else {
      this.appends.failed += n
      this.host.observer.note('append', `${where}append of ${n} refused by ${from}: ${codeName(ack.code)}`, now)
    }
    if (this.host.tracing) this.host.trace({kind: 'ack', node: from, ticket: ack.ticket, code: codeName(ack.code), entries: ack.entries})
  }
}
