/**
 * The leader's heartbeats (reference §3.3): when the next round is due, the open round and the
 * heartbeats still in flight, and what the end of a round does. The counting and the four
 * decisions are the pure functions of heartbeat-round.ts; this class holds their state and acts
 * through the elector that owns it.
 */
import {countHeartbeat, decideRound, heartbeatRequests, type HeartbeatRound, openRound, releaseIfComplete} from './heartbeat-round.js'
import {type ElectorHost, NEVER} from './step.js'
import {assertNever, type HeartBeatResponse, type NodeId, RESPONSE_CODES} from './types.js'

/** What the leader's heartbeats need from the elector that owns them. */
export interface HeartbeatHost extends ElectorHost {
  /** changeRoleToCandidate(term) with a reason */
  demote(term: number, reason: string): void
  /** the blocked maintainer returns from sendHeartbeats and sleeps tickMs */
  maintainerReturns(): void
}

export class LeaderHeartbeats {
  private lastSendMs = NEVER
  private lastSuccessMs = NEVER
  private round: HeartbeatRound | null = null
  /**
   * Heartbeats awaiting their reply or RPC timeout, also after their round was decided: DLedger
   * writes peersLiveTable from every completion, whenever it comes (reference §3.3 step 3).
   */
  private readonly inFlight = new Map<string, {peer: NodeId; deadlineMs: number}>()

  constructor(private readonly host: HeartbeatHost) {}

  /** A new leader heartbeats at once; spec S4: its first round must not see a stale success time. */
  becameLeader(): void {
    this.lastSendMs = NEVER
    this.lastSuccessMs = this.host.now()
  }

  get roundOpen(): boolean {
    return this.round !== null
  }

  /** Abandons the open round (a forced election). */
  abandonRound(): void {
    this.round = null
  }

  /** When the leader's maintainer pass next has work (the round's own deadline while one is open). */
  dueMs(): number {
    const r = this.round
    if (r !== null) return r.pending.size > 0 ? Math.min(r.decideAtMs, r.rpcDeadlineMs) : r.decideAtMs
    return this.lastSendMs + this.host.settings.heartbeatIntervalMs + 1
  }

  /** Since the last successful round, or null before the first. */
  sinceSuccessMs(nowMs: number): number | null {
    return this.lastSuccessMs === NEVER ? null : nowMs - this.lastSuccessMs
  }

  /** maintainAsLeader: a round once the interval has passed since the last one. */
  maintain(): void {
    const {host} = this
    const now = host.now()
    if (this.lastSendMs !== NEVER && now - this.lastSendMs <= host.settings.heartbeatIntervalMs) return
    const s = host.state
    this.lastSendMs = now
    const round = openRound(s.currTerm, now, host.settings.heartbeatIntervalMs, host.settings.rpcTimeoutMs)
    this.round = round
    for (const req of heartbeatRequests(s, round.term, host.newReqId)) {
      round.pending.set(req.reqId, req.remoteId)
      this.inFlight.set(req.reqId, {peer: req.remoteId, deadlineMs: round.rpcDeadlineMs})
      host.send(req)
    }
    releaseIfComplete(round, s.peerSize, now)
  }

  /** A heartbeat's reply, whatever role this node has now. */
  onResponse(message: HeartBeatResponse): void {
    const flight = this.inFlight.get(message.reqId)
    if (flight !== undefined) {
      this.inFlight.delete(message.reqId)
      this.host.state.peersLiveTable.set(flight.peer, this.host.now() < flight.deadlineMs && message.code !== RESPONSE_CODES.NETWORK_ERROR)
    }
    const r = this.round
    const peer = r?.pending.get(message.reqId)
    if (r && peer !== undefined) this.count(r, message.reqId, peer, message.code, message.term)
  }

  /** Expires heartbeats past their RPC timeout: NETWORK_ERROR, the peer is not live. */
  runDue(): void {
    const now = this.host.now()
    for (const [reqId, h] of this.inFlight) {
      if (now < h.deadlineMs) continue
      this.inFlight.delete(reqId)
      this.host.state.peersLiveTable.set(h.peer, false)
    }
  }

  /** Times out the open round's missing replies and decides it when due. */
  checkRound(): void {
    const r = this.round
    if (r === null) return
    const now = this.host.now()
    if (r.pending.size > 0 && now >= r.rpcDeadlineMs) for (const [reqId, peer] of [...r.pending]) this.count(r, reqId, peer, RESPONSE_CODES.NETWORK_ERROR, -1)
    if (now >= r.decideAtMs) this.decide(r)
  }

  private count(r: HeartbeatRound, reqId: string, peer: NodeId, code: number, term: number): void {
    r.pending.delete(reqId)
    // DLedger writes the live table from every reply, on whatever role this node has now
    this.host.state.peersLiveTable.set(peer, code !== RESPONSE_CODES.NETWORK_ERROR)
    countHeartbeat(r, code, term, this.host.state.peerSize, this.host.now())
  }

  /** The four decisions at the end of a round, in DLedger's order (reference §3.3 step 5). */
  private decide(r: HeartbeatRound): void {
    const {host} = this
    this.round = null
    host.maintainerReturns()
    const now = host.now()
    const s = host.state
    const decision = decideRound(r, s.peerSize)
    const quorumLost = (lastSuccessAgoMs: number, reason: string) =>
      host.emit({type: 'HEARTBEAT_QUORUM_LOST', succNum: r.succNum, notReadyNum: r.notReadyNum, allNum: r.allNum, lastSuccessAgoMs, reason})
    switch (decision.kind) {
      case 'higher-term': {
        const why = `higher term ${decision.term} in a heartbeat response`
        const transferee = s.role === 'LEADER' ? s.transferee : null
        return host.demote(decision.term, transferee !== null ? `transfer to ${transferee}: ${why}` : why)
      }
      case 'quorum':
        this.lastSuccessMs = now
        return
      case 'resend-now':
        this.lastSendMs = NEVER
        return
      case 'inconsistent-leader':
        quorumLost(now - this.lastSuccessMs, 'inconsistent leader')
        return host.demote(r.term, 'another leader in the same term (INCONSISTENT_LEADER)')
      case 'no-quorum': {
        const sinceSuccess = now - this.lastSuccessMs
        // DLedger: maxHeartBeatLeak × heartBeatTimeIntervalMs without a successful round
        if (sinceSuccess <= host.settings.maxHeartbeatLeak * host.settings.heartbeatIntervalMs) return
        quorumLost(sinceSuccess, 'no quorum of heartbeat acks')
        return host.demote(r.term, `lost the heartbeat quorum ${sinceSuccess} ms ago (${r.succNum}/${s.peerSize} acks)`)
      }
      default:
        assertNever(decision)
    }
  }
}
