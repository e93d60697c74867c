/**
 * The candidate's side of the maintainer (reference §3.6): when the next ballot is due, the term
 * it runs in (the same one, or the next after WAIT_TO_VOTE_NEXT or a term seen elsewhere), the
 * open ballot, and what its judgement sets up. A ballot outlives its role: answers are counted
 * and the ballot is judged whatever the member has become meanwhile, as DLedger's blocked
 * maintainer thread does. The counting and judging are the pure functions of ballot.ts.
 */
import {type Ballot, ballotRequests, countVote, judgeBallot, openBallot} from './ballot.js'
import {type ElectorHost, NEVER} from './step.js'
import type {NodeId, ParseResult, VoteRequest, VoteResponse, VoteResult} from './types.js'

/** What a candidacy needs from the elector that owns it. */
export interface CandidacyHost extends ElectorHost {
  /** a uniform draw from [0, bound) */
  randomInt(bound: number): number
  isTakingLeadership(): boolean
  /** the candidate's own vote, judged by the same rules as a peer's */
  selfVote(req: VoteRequest): VoteResponse
  toLeader(term: number, reason: string): void
  toCandidate(term: number, reason: string): void
  /** the blocked maintainer returns from its ballot and sleeps tickMs; returns when it is ready again */
  maintainerReturns(): number
}

export class Candidacy {
  private ballot: Ballot | null = null
  private nextTimeToRequestVoteMs = NEVER
  private needIncreaseTermImmediately = false
  private lastParseResult: ParseResult = 'WAIT_TO_REVOTE'

  constructor(private readonly host: CandidacyHost) {}

  get ballotOpen(): boolean {
    return this.ballot !== null
  }

  /** The open ballot's deadline: its latch wait, or the RPC timeout of answers still missing. */
  ballotDueMs(): number {
    const b = this.ballot
    if (b === null) return Number.POSITIVE_INFINITY
    return b.pending.size > 0 ? Math.min(b.waitUntilMs, b.rpcDeadlineMs) : b.waitUntilMs
  }

  /** When a candidate's maintainer pass has work, given when the maintainer is awake. */
  dueMs(readyAtMs: number): number {
    return this.needIncreaseTermImmediately ? readyAtMs : Math.max(readyAtMs, this.nextTimeToRequestVoteMs)
  }

  /** A higher term seen by a handler: adopt it on the next pass, then wait before campaigning (the two-step, reference §0). */
  requestTermIncrease(): void {
    this.needIncreaseTermImmediately = true
  }

  /** testRevote: abandon an open ballot and campaign in the next term on the next pass. */
  force(): void {
    this.ballot = null
    this.lastParseResult = 'WAIT_TO_VOTE_NEXT'
    this.nextTimeToRequestVoteMs = NEVER
  }

  /** A leader that stepped down campaigns in the next term, but not before `untilMs`. */
  holdBack(untilMs: number): void {
    this.lastParseResult = 'WAIT_TO_VOTE_NEXT'
    this.nextTimeToRequestVoteMs = untilMs
  }

  /** changeRoleToFollower resets the last parse result (PR #37 as merged, reference §3.8). */
  followed(): void {
    this.lastParseResult = 'WAIT_TO_REVOTE'
  }

  /** maintainAsCandidate. */
  maintain(): void {
    const {host} = this
    if (host.now() < this.nextTimeToRequestVoteMs && !this.needIncreaseTermImmediately) return
    const s = host.state
    let term = s.currTerm
    if (this.lastParseResult === 'WAIT_TO_VOTE_NEXT' || this.needIncreaseTermImmediately) {
      const fromTerm = s.currTerm
      const knownMax = s.knownMaxTermInGroup
      term = s.nextTerm()
      const reason = knownMax > fromTerm ? `jump to known max term ${knownMax}` : this.needIncreaseTermImmediately ? 'increase requested' : 'previous ballot: WAIT_TO_VOTE_NEXT'
      host.emit({type: 'INCREASE_TERM', term, fromTerm, reason})
      this.lastParseResult = 'WAIT_TO_REVOTE'
    }
    if (this.needIncreaseTermImmediately) {
      // the deferred campaign: adopt the term, but give the originator time to re-ask
      this.nextTimeToRequestVoteMs = this.nextVoteTime()
      this.needIncreaseTermImmediately = false
      return
    }
    this.startBallot(term)
  }

  /** A peer's answer to the open ballot (others are late and ignored). */
  onResponse(resp: VoteResponse): void {
    const b = this.ballot
    const voter = b?.pending.get(resp.reqId)
    if (b && voter !== undefined) this.count(b, resp.reqId, voter, resp.voteResult, resp.term)
  }

  /** Times out the open ballot's missing answers and parses it when its latch is released or its wait is over. */
  checkBallot(): void {
    const b = this.ballot
    if (b === null) return
    if (b.pending.size > 0 && this.host.now() >= b.rpcDeadlineMs) for (const [reqId, voter] of [...b.pending]) this.count(b, reqId, voter, 'UNKNOWN', -1)
    if (this.ballot === b && (b.released || this.host.now() >= b.waitUntilMs)) this.parse(b)
  }

  private nextVoteTime(): number {
    const s = this.host.settings
    const [min, max] = this.host.isTakingLeadership() ? [s.minTakeLeadershipVoteIntervalMs, s.maxTakeLeadershipVoteIntervalMs] : [s.minVoteIntervalMs, s.maxVoteIntervalMs]
    return this.host.now() + min + this.host.randomInt(max - min)
  }

  private startBallot(term: number): void {
    const {host} = this
    const s = host.state
    const now = host.now()
    const {voteTimeoutMs, maxVoteIntervalMs, rpcTimeoutMs} = host.settings
    const waitUntilMs = now + voteTimeoutMs + host.randomInt(maxVoteIntervalMs)
    const ballot = openBallot({term, startedAtMs: now, waitUntilMs, rpcDeadlineMs: now + rpcTimeoutMs, ledgerEndIndex: s.ledgerEndIndex, ledgerEndTerm: s.ledgerEndTerm})
    this.ballot = ballot
    host.emit({type: 'VOTE_REQUEST', term, ledgerEndIndex: ballot.ledgerEndIndex, ledgerEndTerm: ballot.ledgerEndTerm, peers: s.peerSize})
    const requests = ballotRequests(s, ballot, host.newReqId)
    for (const req of requests) ballot.pending.set(req.reqId, req.remoteId)
    // the self-vote is answered synchronously, before any request leaves (its record is persisted first)
    for (const req of requests) {
      if (req.remoteId !== s.selfId) continue
      const resp = host.selfVote(req)
      this.count(ballot, req.reqId, s.selfId, resp.voteResult, resp.term)
    }
    for (const req of requests) if (req.remoteId !== s.selfId) host.send(req)
  }

  private count(b: Ballot, reqId: string, voter: NodeId, voteResult: VoteResult, term: number): void {
    if (!b.pending.delete(reqId)) return
    this.host.emit({type: 'VOTE_RESPONSE', term: b.term, from: voter, voteResult, responseTerm: term})
    countVote(b, voteResult, term, this.host.state.peerSize)
  }

  /** Parses a finished ballot: one of the seven outcomes (reference §3.6) and the time of the next ballot. */
  private parse(b: Ballot): void {
    const {host} = this
    this.ballot = null
    const readyAtMs = host.maintainerReturns()
    const s = host.state
    const {maxHeartbeatLeak, heartbeatIntervalMs, maxVoteIntervalMs} = host.settings
    const judgement = judgeBallot(b, s.peerSize, {heartbeatLeakMs: maxHeartbeatLeak * heartbeatIntervalMs, maxVoteIntervalMs})
    // drawn before outcome 1's role change, which may end a take-leadership (and its shorter interval)
    if (judgement.extraWaitMs !== null) this.nextTimeToRequestVoteMs = this.nextVoteTime() + judgement.extraWaitMs
    if (judgement.outcome === 1) host.toCandidate(b.knownMaxTermInGroup, `higher term ${b.knownMaxTermInGroup} seen in ballot responses`)
    this.lastParseResult = judgement.result
    const {acceptedNum, notReadyTermNum, biggerLedgerNum, validNum, allNum, alreadyHasLeader, knownMaxTermInGroup} = b
    const now = host.now()
    const nextVoteInMs = Math.max(0, Math.max(this.nextTimeToRequestVoteMs, readyAtMs) - now)
    const counters = {acceptedNum, notReadyTermNum, biggerLedgerNum, validNum, allNum, peers: s.peerSize, alreadyHasLeader, knownMaxTermInGroup}
    host.emit({type: 'PARSE_VOTE_RESULT', term: b.term, result: judgement.result, ...counters, costMs: now - b.startedAtMs, nextVoteInMs})
    if (judgement.result === 'PASSED') host.toLeader(b.term, `elected with ${acceptedNum}/${s.peerSize} votes in term ${b.term}`)
  }
}
