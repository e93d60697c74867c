/**
 * Leadership transfer (reference §3.9, spec S6): the old leader's side (a client's request or a
 * preferred-leader hand-off → take-leadership to the transferee, one deadline), the transferee's
 * side (catch up, then campaign for term + 1, answered on a later role change), and
 * checkPreferredLeader. The one retry policy for a lost take-leadership race lives here too. The outcome tables are pure functions; `LeadershipTransfer` holds the
 * state one transfer needs and acts through the elector that owns it.
 */
import type {ElectorHost} from './step.js'
import {codeName, type LeadershipTransferRequest, type LeadershipTransferResponse, type NodeId, RESPONSE_CODES, type ResponseCodeName, responseTo, type Role} from './types.js'
import {checkAddressee} from './vote-rules.js'

/** What a transfer needs from the elector that owns it. */
export interface TransferHost extends ElectorHost {
  /** become candidate for `term` and campaign on the next pass (take-leadership) */
  campaignFor(term: number, reason: string): void
}

/**
 * Take-leadership is sent at most this often per transfer (the first time included), all within
 * the transfer's one deadline: a transferee that loses the race for its take-over term to this
 * leader (which re-won that term first) leaves nothing changed hands, so the leader asks again in
 * its new term (docs/differences.md D7). checkPreferredLeader does not retry: it runs again anyway.
 */
export const TAKE_LEADERSHIP_ATTEMPTS = 3

/** A transfer this node (as leader) started: answered when the transferee replies or the deadline passes (spec S6). */
interface OutgoingTransfer {
  transfereeId: NodeId
  term: number
  deadlineMs: number
  takeLeadershipReqId: string
  /** the client's request to answer; null when checkPreferredLeader or a hand-off started it */
  client: LeadershipTransferRequest | null
  /** take-leadership requests sent so far */
  attempts: number
  /** whether a lost race is tried again (a client's transfer or a hand-off) */
  retries: boolean
}

/**
 * TakeLeadershipTask.check (reference §3.9.4 table): the answer a transferee owes its old leader
 * after a role change to `role` for `term`, or null while the outcome is still open.
 */
function takeLeadershipOutcome(term: number, role: Role, termToTakeLeadership: number, currTerm: number): {code: ResponseCodeName; term: number} | null {
  if (term > termToTakeLeadership) return {code: 'EXPIRED_TERM', term}
  if (term === termToTakeLeadership) {
    if (role === 'LEADER') return {code: 'SUCCESS', term: termToTakeLeadership}
    return role === 'FOLLOWER' ? {code: 'TAKE_LEADERSHIP_FAILED', term: currTerm} : null
  }
  return {code: role === 'FOLLOWER' ? 'TAKE_LEADERSHIP_FAILED' : 'INTERNAL_ERROR', term: currTerm}
}

/** The old leader's verdict on the transferee's answer (spec S6: success only when it leads in a newer term). */
function transferOutcome(responseCode: number, responseTerm: number, transferTerm: number): ResponseCodeName {
  if (responseCode !== RESPONSE_CODES.SUCCESS) return codeName(responseCode)
  return responseTerm > transferTerm ? 'SUCCESS' : 'TAKE_LEADERSHIP_FAILED'
}

export class LeadershipTransfer {
  private outgoing: OutgoingTransfer | null = null
  /** the transferee's pending take-leadership request (TakeLeadershipTask) */
  private takeLeadershipTask: LeadershipTransferRequest | null = null
  /** a take-leadership request waiting for this node's log to catch up */
  private catchUp: {request: LeadershipTransferRequest; deadlineMs: number} | null = null
  private readonly peerWaterMarks = new Map<NodeId, number>()

  constructor(private readonly host: TransferHost) {}

  /** Whether a transfer this node started is still waiting for its outcome. */
  get inProgress(): boolean {
    return this.outgoing !== null
  }

  /** The deadlines this module waits for (transfer timeout, catch-up timeout). */
  deadlines(): number[] {
    const out: number[] = []
    if (this.outgoing !== null) out.push(this.outgoing.deadlineMs)
    if (this.catchUp !== null) out.push(this.catchUp.deadlineMs)
    return out
  }

  setPeerWaterMark(peer: NodeId, index: number): void {
    this.peerWaterMarks.set(peer, index)
  }

  peerLag(peer: NodeId): number {
    return this.host.state.ledgerEndIndex - (this.peerWaterMarks.get(peer) ?? -1)
  }

  /** DLedgerServer.handleLeadershipTransfer: the RPC entry point, both client → leader and leader → transferee. */
  handleRequest(req: LeadershipTransferRequest): LeadershipTransferResponse | null {
    const s = this.host.state
    const fail = (name: ResponseCodeName, term = req.term) => responseTo(req, {code: RESPONSE_CODES[name], term, leaderId: s.leaderId})
    const misaddressed = checkAddressee(s, req)
    if (misaddressed !== null) return fail(misaddressed)
    if (s.selfId === req.transferId) {
      if (!s.isPeerMember(req.transfereeId)) return fail('UNKNOWN_MEMBER')
      // DLedgerServer's errors copy the request's base info (its term) and set code and leaderId (reference §3.9.2)
      if (s.currTerm !== req.term) return fail('INCONSISTENT_TERM')
      if (s.role !== 'LEADER') return fail('NOT_LEADER')
      // spec S6: a transfer to the current leader is a no-op success
      if (req.transfereeId === s.selfId) return responseTo(req, {code: RESPONSE_CODES.SUCCESS, term: s.currTerm, leaderId: s.selfId})
      if (this.peerLag(req.transfereeId) >= this.host.settings.maxLeadershipTransferWaitIndex) return fail('FALL_BEHIND_TOO_MUCH')
      this.host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'REQUESTED', transferee: req.transfereeId, code: 'SUCCESS', detail: `requested by ${req.localId}`})
      return this.start(req.transfereeId, req.term, req, true)
    }
    if (s.selfId === req.transfereeId) {
      if (req.transferId !== s.leaderId) return fail('INCONSISTENT_LEADER')
      this.host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'TAKE_LEADERSHIP_RECEIVED', transferee: s.selfId, code: 'SUCCESS', detail: `from ${req.transferId} in term ${req.term}`})
      if (req.takeLeadershipLedgerIndex - s.ledgerEndIndex > 0) {
        if (this.takeLeadershipTask !== null || this.catchUp !== null) return fail('LEADER_TRANSFERRING', s.currTerm)
        this.catchUp = {request: req, deadlineMs: this.host.now() + this.host.settings.leadershipTransferWaitTimeoutMs}
        return null
      }
      return this.takeLeadership(req)
    }
    return fail('UNEXPECTED_ARGUMENT', s.currTerm)
  }

  /** A hand-off without a client waiting (the graceful stop); the outcome is a LEADERSHIP_TRANSFER event. */
  handOff(transfereeId: NodeId): void {
    const s = this.host.state
    if (s.role !== 'LEADER' || !s.isPeerMember(transfereeId) || transfereeId === s.selfId) return
    this.host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'REQUESTED', transferee: transfereeId, code: 'SUCCESS', detail: 'hand-off'})
    this.start(transfereeId, s.currTerm, null, true)
  }

  /** The old leader's side: set the transferee and send take-leadership (reference §3.9.3). */
  private start(transfereeId: NodeId, term: number, client: LeadershipTransferRequest | null, retries: boolean): LeadershipTransferResponse | null {
    const {host} = this
    const s = host.state
    const fail = (name: ResponseCodeName) => {
      // every REQUESTED event gets its outcome in the vote log, a refusal included
      host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'FAILED', transferee: transfereeId, code: name})
      return client ? responseTo(client, {code: RESPONSE_CODES[name], term: s.currTerm, leaderId: s.leaderId}) : null
    }
    if (s.currTerm !== term) return fail('INCONSISTENT_TERM')
    if (s.role !== 'LEADER') return fail('NOT_LEADER')
    // spec S6: a second concurrent transfer is refused, never silently replaces the first
    if (s.transferee !== null || this.outgoing !== null) return fail('LEADER_TRANSFERRING')
    this.sendTakeLeadership({transfereeId, term, client, retries, attempts: 1, deadlineMs: host.now() + host.settings.leadershipTransferTimeoutMs})
    return null
  }

  /** Freezes writes for the transferee and sends it take-leadership for `t.term` (reference §3.9.3). */
  private sendTakeLeadership(t: Omit<OutgoingTransfer, 'takeLeadershipReqId'>, detail?: string): void {
    const {host} = this
    const s = host.state
    const {transfereeId, term} = t
    s.setTransferee(transfereeId)
    const takeLeadership: LeadershipTransferRequest = {
      kind: 'LeadershipTransferRequest',
      group: s.group,
      leaderId: s.selfId,
      localId: s.selfId,
      remoteId: transfereeId,
      term,
      code: RESPONSE_CODES.SUCCESS,
      takeLeadershipLedgerIndex: s.ledgerEndIndex,
      transferId: s.selfId,
      transfereeId,
      reqId: host.newReqId(),
    }
    this.outgoing = {...t, takeLeadershipReqId: takeLeadership.reqId}
    host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'TAKE_LEADERSHIP_SENT', transferee: transfereeId, code: 'SUCCESS', ...(detail !== undefined ? {detail} : {})})
    host.send(takeLeadership)
  }

  /** The transferee's answer to take-leadership. */
  onResponse(resp: LeadershipTransferResponse): void {
    const t = this.outgoing
    if (t === null || resp.reqId !== t.takeLeadershipReqId) return
    this.outgoing = null
    const s = this.host.state
    if ((resp.code !== RESPONSE_CODES.SUCCESS || (s.currTerm === t.term && s.transferee !== null)) && s.role === 'LEADER') s.setTransferee(null)
    if (this.lostRaceToRetry(t, resp)) {
      const detail = `attempt ${t.attempts + 1}: ${t.transfereeId} lost the race for term ${t.term + 1}; ${s.selfId} leads term ${s.currTerm}`
      this.sendTakeLeadership({...t, term: s.currTerm, attempts: t.attempts + 1}, detail)
      return
    }
    const code = transferOutcome(resp.code, resp.term, t.term)
    this.finish(t, code, code === 'SUCCESS' ? resp.term : Math.max(resp.term, s.currTerm))
  }

  /**
   * Whether the transferee's answer is a race it lost to this member, which then led a newer term
   * again, with attempts and time left to ask once more.
   */
  private lostRaceToRetry(t: OutgoingTransfer, resp: LeadershipTransferResponse): boolean {
    const s = this.host.state
    return (
      t.retries &&
      resp.code === RESPONSE_CODES.TAKE_LEADERSHIP_FAILED &&
      t.attempts < TAKE_LEADERSHIP_ATTEMPTS &&
      this.host.now() < t.deadlineMs &&
      s.role === 'LEADER' &&
      s.currTerm > t.term &&
      s.transferee === null
    )
  }

  /** Runs the deadlines that passed and a take-leadership whose log caught up. */
  runDue(): void {
    const t = this.outgoing
    const s = this.host.state
    if (t !== null && this.host.now() >= t.deadlineMs) {
      this.outgoing = null
      if (s.role === 'LEADER' && s.transferee === t.transfereeId) s.setTransferee(null)
      // a deliberate difference (docs/differences.md): DLedger's client would see its RPC fail with NETWORK_ERROR
      this.finish(t, 'TIMEOUT', s.currTerm)
    }
    const c = this.catchUp
    if (c === null) return
    if (c.request.takeLeadershipLedgerIndex - s.ledgerEndIndex <= 0) {
      this.catchUp = null
      const reply = this.takeLeadership(c.request)
      if (reply !== null) this.host.send(reply)
    } else if (this.host.now() >= c.deadlineMs) {
      this.catchUp = null
      this.host.send(responseTo(c.request, {code: RESPONSE_CODES.TAKE_LEADERSHIP_FAILED, term: c.request.term, leaderId: s.leaderId}))
    }
  }

  private finish(t: OutgoingTransfer, code: ResponseCodeName, term: number): void {
    this.host.emit({type: 'LEADERSHIP_TRANSFER', phase: code === 'SUCCESS' ? 'COMPLETED' : 'FAILED', transferee: t.transfereeId, code})
    if (t.client !== null)
      this.host.send(responseTo(t.client, {code: RESPONSE_CODES[code], term, leaderId: code === 'SUCCESS' ? t.transfereeId : this.host.state.leaderId}))
  }

  /** The transferee's side (reference §3.9.4): campaign for term + 1; answered on a later role change. */
  private takeLeadership(req: LeadershipTransferRequest): LeadershipTransferResponse | null {
    const s = this.host.state
    if (s.currTerm !== req.term) return responseTo(req, {code: RESPONSE_CODES.INCONSISTENT_TERM, term: s.currTerm})
    // spec S6: never silently replace a pending take-leadership
    if (this.takeLeadershipTask !== null) return responseTo(req, {code: RESPONSE_CODES.LEADER_TRANSFERRING, term: s.currTerm})
    const targetTerm = req.term + 1
    s.termToTakeLeadership = targetTerm
    this.takeLeadershipTask = req
    this.host.campaignFor(targetTerm, `transfer from ${req.transferId}: taking leadership for term ${targetTerm}`)
    return null
  }

  /** TakeLeadershipTask.check: runs on every role change, with the change's target term. */
  onRoleChange(term: number, role: Role): void {
    const task = this.takeLeadershipTask
    const s = this.host.state
    if (task === null || s.termToTakeLeadership === -1) return
    const outcome = takeLeadershipOutcome(term, role, s.termToTakeLeadership, s.currTerm)
    if (outcome === null) return
    this.takeLeadershipTask = null
    s.termToTakeLeadership = -1
    this.host.send(responseTo(task, {code: RESPONSE_CODES[outcome.code], term: outcome.term}))
  }

  /** DLedger's isTakingLeadership(): a preferred member campaigning for its take-over term. */
  isTakingLeadership(): boolean {
    const p = this.host.settings.preferredLeaderIds
    const s = this.host.state
    return p.length > 0 && s.termToTakeLeadership === s.currTerm && p.includes(s.selfId)
  }

  /** The live peer (among `candidates`) with the smallest lag below `maxLag`, ties by order; null when none. */
  private leastLagging(candidates: readonly NodeId[], maxLag: number): {id: NodeId; lag: number} | null {
    const s = this.host.state
    let best: {id: NodeId; lag: number} | null = null
    for (const id of candidates) {
      if (id === s.selfId || !s.isPeerMember(id) || s.peersLiveTable.get(id) !== true) continue
      const lag = this.peerLag(id)
      if (lag < maxLag && (best === null || lag < best.lag)) best = {id, lag}
    }
    return best
  }

  /** The live follower with the smallest lag (ties: peers order), or null: the hand-off target. */
  mostCaughtUpFollower(): NodeId | null {
    const s = this.host.state
    if (s.role !== 'LEADER') return null
    return this.leastLagging(s.peerIds, Number.POSITIVE_INFINITY)?.id ?? null
  }

  /** Every checkPreferredLeaderIntervalMs on a leader: hand leadership to a live preferred member (reference §3.9.1, spec S7). */
  checkPreferredLeader(): void {
    const s = this.host.state
    const preferred = this.host.settings.preferredLeaderIds
    if (s.role !== 'LEADER' || preferred.length === 0 || s.transferee !== null || this.outgoing !== null || preferred.includes(s.selfId)) return
    const best = this.leastLagging(preferred, this.host.settings.maxLeadershipTransferWaitIndex)
    if (best === null) return
    this.host.emit({type: 'LEADERSHIP_TRANSFER', phase: 'PREFERRED_LEADER', transferee: best.id, code: 'SUCCESS', detail: `preferred leader ${best.id} is live and ${best.lag} entries behind`})
    this.start(best.id, s.currTerm, null, false)
  }
}
