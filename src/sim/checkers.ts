/**
 * The safety checkers the simulation runs after every step (VOPR-style). They see only what a
 * step produced — the durable record written and the member's role and term afterwards — and keep
 * their own history over the whole run, across crashes and restarts:
 *
 * - ONE_LEADER_PER_TERM: at most one member is leader in any term, over the whole run;
 * - TERM_NEVER_DECREASES: a member's term (live, and durable) never goes down, across restarts;
 * - VOTE_NEVER_CHANGES: a durable vote, once cast in a term, never changes within that term;
 * - LEADER_HAS_QUORUM: a member that becomes leader in term T holds durable ACCEPT votes for
 *   itself in T from a quorum of the members (DLedger's isQuorum, reference §2.3);
 * - and the ledger's five (ledger-checkers.ts).
 */
import {quorumOf} from '../core/settings.js'
import type {DurableState, NodeId, Role} from '../core/types.js'

import {LedgerCheckers, type LedgerInvariant, type LedgerObservation} from './ledger-checkers.js'

export type Invariant = 'ONE_LEADER_PER_TERM' | 'TERM_NEVER_DECREASES' | 'VOTE_NEVER_CHANGES' | 'LEADER_HAS_QUORUM' | LedgerInvariant

export interface Violation {
  atMs: number
  invariant: Invariant
  detail: string
}

/** One thing a checker is told. A run is a sequence of these; tests can feed a made-up one. */
export type Observation =
  /** the member wrote its durable record */
  | {kind: 'persist'; node: NodeId; record: DurableState}
  /** the member's role and term after a step (or after a restart) */
  | {kind: 'state'; node: NodeId; role: Role; term: number}
  /** the member crashed: its volatile role is gone */
  | {kind: 'crash'; node: NodeId}
  | LedgerObservation

/** At most this many violations are kept; a broken run would otherwise report one per step. */
const MAX_VIOLATIONS = 1000

export class Checkers {
  readonly violations: Violation[] = []
  private readonly quorum: number
  private readonly memberCount: number
  /** term → the first member seen leading it */
  private readonly leaders = new Map<number, NodeId>()
  /** member → the highest term it has been seen at */
  private readonly highestTerm = new Map<NodeId, number>()
  /** member → its last durable record */
  private readonly durable = new Map<NodeId, DurableState>()
  /** `${term}:${candidate}` → the members whose durable vote in that term is for the candidate */
  private readonly votes = new Map<string, Set<NodeId>>()
  /** member → whether it led (and in which term) at its last observation */
  private readonly leading = new Map<NodeId, number>()
  private readonly reported = new Set<string>()
  private readonly ledger = new LedgerCheckers()

  constructor(memberIds: readonly NodeId[]) {
    this.memberCount = memberIds.length
    this.quorum = quorumOf(memberIds.length)
  }

  /** Checks one observation; returns the violations it revealed (also kept in `violations`). */
  observe(o: Observation, atMs: number): Violation[] {
    const found: Violation[] = []
    const report = (invariant: Invariant, key: string, detail: string) => {
      const k = `${invariant}|${key}`
      if (this.reported.has(k)) return
      this.reported.add(k)
      const v = {atMs, invariant, detail}
      found.push(v)
      if (this.violations.length < MAX_VIOLATIONS) this.violations.push(v)
    }
    switch (o.kind) {
      case 'persist': {
        const prev = this.durable.get(o.node)
        const {currTerm, currVoteFor} = o.record
        if (prev !== undefined) {
          if (currTerm < prev.currTerm)
            report('TERM_NEVER_DECREASES', `${o.node}:durable:${currTerm}`, `${o.node} wrote term ${currTerm} after term ${prev.currTerm}`)
          else if (currTerm === prev.currTerm && prev.currVoteFor !== null && currVoteFor !== prev.currVoteFor)
            report(
              'VOTE_NEVER_CHANGES',
              `${o.node}:${currTerm}:${currVoteFor}`,
              `${o.node} changed its vote in term ${currTerm} from ${prev.currVoteFor} to ${currVoteFor ?? 'none'}`,
            )
        }
        this.durable.set(o.node, {currTerm, currVoteFor})
        if (currVoteFor !== null) {
          const key = `${currTerm}:${currVoteFor}`
          let voters = this.votes.get(key)
          if (voters === undefined) {
            voters = new Set()
            this.votes.set(key, voters)
          }
          voters.add(o.node)
        }
        this.noteTerm(o.node, currTerm, report)
        break
      }
      case 'state': {
        this.noteTerm(o.node, o.term, report)
        this.ledger.noteTerm(o.node, o.term)
        if (o.role !== 'LEADER') {
          this.leading.delete(o.node)
          break
        }
        if (this.leading.get(o.node) === o.term) break // still leading the same term: checked already
        this.leading.set(o.node, o.term)
        this.ledger.becameLeader(o.node, o.term, report)
        const first = this.leaders.get(o.term)
        if (first === undefined) this.leaders.set(o.term, o.node)
        else if (first !== o.node)
          report('ONE_LEADER_PER_TERM', `${o.term}:${o.node}`, `${o.node} became leader in term ${o.term}, which ${first} already led`)
        const voters = this.votes.get(`${o.term}:${o.node}`)
        const n = voters?.size ?? 0
        if (n < this.quorum) {
          const who = voters && n > 0 ? [...voters].sort().join(', ') : 'nobody'
          report(
            'LEADER_HAS_QUORUM',
            `${o.term}:${o.node}`,
            `${o.node} became leader in term ${o.term} with durable votes from ${who} (${n}; a quorum is ${this.quorum} of ${this.memberCount})`,
          )
        }
        break
      }
      case 'crash':
        this.leading.delete(o.node)
        this.ledger.crashed(o.node)
        break
      default:
        this.ledger.observe(o, report)
    }
    return found
  }

  private noteTerm(node: NodeId, term: number, report: (i: Invariant, key: string, detail: string) => void): void {
    const highest = this.highestTerm.get(node)
    if (highest !== undefined && term < highest) report('TERM_NEVER_DECREASES', `${node}:${term}`, `${node} is at term ${term} after term ${highest}`)
    else this.highestTerm.set(node, term)
  }

  /** Who led each term so far (term → member), for reports and tests. */
  leadersByTerm(): Map<number, NodeId> {
    return new Map(this.leaders)
  }
}
