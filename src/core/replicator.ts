/**
 * The replicator: the ledger's rules as a pure state machine, beside the elector (reference §4).
 * A leader appends client entries at `ledgerEndIndex + 1` in its term and runs one dispatcher per
 * follower (COMPARE → TRUNCATE → APPEND, then COMMIT when idle); a follower checks every push
 * against its log; the leader commits the median of the current term's water marks.
 *
 * Inputs: `observe(view)` after every elector step (role, term, leader, transferee), `append`,
 * `receive(push)`, `tick(nowMs)`. Each returns a ReplicatorOutput whose log changes must be made
 * durable (truncate, then append, fsync) before its messages and acks leave the member: an
 * entry is acknowledged, to a leader or a client, only once it is on disk.
 *
 * Deliberate differences (docs/differences.md D8, D12, D13): up to PUSH_WINDOW APPEND pushes of full
 * batches in flight per follower (a partial batch, COMMIT, COMPARE and TRUNCATE only when none
 * is); a refused APPEND that merely overtook an earlier one is sent again without COMPARE; the
 * dispatchers stay quiet while the leader's log is empty (so a cluster without appends sends what
 * it sent before the ledger existed); every APPEND carries the commit index, and a COMMIT push
 * goes out only when a follower's commit index stays behind for COMMIT_PUSH_DELAY_MS with nothing
 * in flight, not every second. A TRUNCATE drops the follower's entries only from one that
 * conflicts with the leader's log (D13), so a late one cannot undo acknowledged APPENDs.
 */
import {invariant} from './assert.js'
import {type AppendAck, type LogEntry, type PushEntryRequest, type PushEntryResponse, type PushMessage, pushResponseTo, type PushType} from './push.js'
import type {Settings} from './settings.js'
import type {ElectorView} from './step.js'
import {type NodeId, RESPONSE_CODES, type ResponseCodeName} from './types.js'

/** What one replicator step asks the driver to do, in this order. */
export interface ReplicatorOutput {
  /** drop every entry from this index on, durably (null: none) */
  truncateFrom: number | null
  /** then append these entries, durably */
  append: LogEntry[]
  /** then send these */
  messages: PushMessage[]
  /** then answer these client appends */
  acks: AppendAck[]
}

/** What the replicator follows of the elector. */
export type RoleView = Pick<ElectorView, 'role' | 'currTerm' | 'leaderId' | 'transferee'>

/**
 * An APPEND push carries entries up to about this many bytes on the wire (at least one entry): a
 * body costs at most 6 bytes per UTF-16 unit once JSON-escaped, plus the entry's fields.
 */
export const PUSH_BATCH_BYTES = 512 * 1024
const ENTRY_OVERHEAD_BYTES = 64

/** A dispatcher that was refused waits this long before it asks again (bounds the retry rate). */
export const PUSH_RETRY_MS = 100

/**
 * The most pushes in flight to one follower while it takes APPENDs: the leader sends the next
 * full batch without waiting for the previous answer (DLedger pipelines too); a partial batch
 * waits until nothing is in flight. A timeout, or any refusal but a gap (an APPEND that overtook
 * an earlier one), forgets them all and starts over with one COMPARE.
 */
export const PUSH_WINDOW = 8

/**
 * A follower whose commit index is behind hears it in a COMMIT push only after this long with
 * nothing in flight: under a stream of appends the next APPEND carries the commit index, so no
 * COMMIT round trip competes with it.
 */
export const COMMIT_PUSH_DELAY_MS = 20

/**
 * An idle follower hears the commit index again this long after the last push to it (DLedger's
 * EntryDispatcher.doCommit, reference §4.3): a follower that restarted, and so forgot its commit
 * index (D11), learns it again though nothing is appended.
 */
export const COMMIT_REFRESH_MS = 1000

interface InFlight {
  reqId: string
  type: PushType
  preLogIndex: number
  /** the last index the push covers (preLogIndex for COMPARE, TRUNCATE and COMMIT) */
  lastIndex: number
  commitIndex: number
  /** the follower's water mark when the push left: its log reached at least this far */
  matchIndex: number
  sentAtMs: number
}

/** DLedger's EntryDispatcher for one follower (reference §4.3). */
interface Dispatcher {
  peer: NodeId
  phase: 'COMPARE' | 'TRUNCATE' | 'APPEND'
  /** the next index to send */
  writeIndex: number
  /** the last index the follower is known to share with this leader in this term: its water mark */
  matchIndex: number
  /** the follower's ledger end, as its last COMPARE answer told */
  followerEnd: number
  /** the commit index the follower has been told for its shared prefix */
  commitSent: number
  /** the pushes awaiting an answer, oldest first: at most PUSH_WINDOW, and one unless in APPEND */
  inflight: InFlight[]
  notBeforeMs: number
  /** when the last push to the follower left */
  lastPushAtMs: number
  /**
   * After a gap, the earlier APPEND the resend waits for: resent at once, the missing entries
   * would meet the same gap each round trip until that APPEND is answered or times out.
   */
  gapHold: string | null
}

interface Pending {
  ticket: string
  lastIndex: number
  entries: {index: number; term: number}[]
  deadlineMs: number
}

export class Replicator {
  private readonly settings: Settings
  private readonly log: LogEntry[]
  private committed = -1
  private view: RoleView = {role: 'CANDIDATE', currTerm: 0, leaderId: null, transferee: null}
  /** the term this member leads, or -1 */
  private leaderTerm = -1
  private readonly dispatchers = new Map<NodeId, Dispatcher>()
  private readonly pending = new Map<string, Pending>()
  private pendingEntries = 0
  private reqCounter = 0
  private now: number
  /** when the commit index last advanced (a COMMIT push waits COMMIT_PUSH_DELAY_MS from it) */
  private committedAtMs = Number.NEGATIVE_INFINITY

  private out: ReplicatorOutput = emptyOutput()
  /** the lowest index this step removed or added (the durable diff starts there) */
  private changedFrom = Number.POSITIVE_INFINITY

  /** `recovered`: the entries on disk at start-up, in order from index 0. */
  constructor(settings: Settings, recovered: readonly LogEntry[], nowMs: number) {
    this.settings = settings
    recovered.forEach((e, i) => invariant(e.index === i, () => `recovered entry ${e.index} at position ${i}`))
    this.log = [...recovered]
    this.now = nowMs
  }

  // ---------------------------------------------------------------- reads

  get ledgerEndIndex(): number {
    return this.log.length - 1
  }

  get ledgerEndTerm(): number {
    return this.termAt(this.ledgerEndIndex)
  }

  get committedIndex(): number {
    return this.committed
  }

  /** The entries from `from` to `to` (inclusive, clamped to the log). */
  entries(from = 0, to = this.ledgerEndIndex): LogEntry[] {
    return this.log.slice(Math.max(0, from), Math.max(0, Math.min(to, this.ledgerEndIndex) + 1))
  }

  /** The term of the entry at `index`; -1 for index -1 or an index beyond the end. */
  termAt(index: number): number {
    return index >= 0 && index < this.log.length ? (this.log[index] as LogEntry).term : -1
  }

  /** On a leader: each follower's water mark in this term (the last index it shares); empty otherwise. */
  waterMarks(): Map<NodeId, number> {
    return new Map([...this.dispatchers.values()].map((d) => [d.peer, d.matchIndex]))
  }

  /** The earliest time at which `tick` has something to do. */
  nextDeadlineMs(): number {
    let due = Number.POSITIVE_INFINITY
    for (const p of this.pending.values()) {
      due = Math.min(due, p.deadlineMs)
      break // deadlines grow with insertion order
    }
    for (const d of this.dispatchers.values()) {
      const oldest = d.inflight[0]
      if (oldest !== undefined) due = Math.min(due, oldest.sentAtMs + this.settings.maxPushTimeOutMs)
      const next = Math.max(d.notBeforeMs, this.commitDueMs(d))
      if (next > this.now && d.inflight.length < this.window(d) && !this.holding(d) && this.hasWork(d)) due = Math.min(due, next)
      if (d.inflight.length === 0 && this.committed >= 0 && this.ledgerEndIndex >= 0) {
        const refresh = Math.max(d.notBeforeMs, this.commitDueMs(d), d.lastPushAtMs + COMMIT_REFRESH_MS)
        if (refresh > this.now) due = Math.min(due, refresh)
      }
    }
    return due
  }

  // ---------------------------------------------------------------- inputs

  /** Follows the elector after each of its steps: a new leadership resets the dispatchers. */
  observe(view: RoleView, nowMs: number): ReplicatorOutput {
    return this.step(nowMs, () => {
      const leading = view.role === 'LEADER'
      if (this.leaderTerm !== -1 && (!leading || view.currTerm !== this.leaderTerm)) this.stopLeading()
      this.view = {role: view.role, currTerm: view.currTerm, leaderId: view.leaderId, transferee: view.transferee}
      if (leading && this.leaderTerm === -1) this.startLeading(view.currTerm)
    })
  }

  /** A client append: one entry per body, answered in `acks` once committed (or refused). */
  append(bodies: readonly string[], ticket: string, nowMs: number): ReplicatorOutput {
    return this.step(nowMs, () => {
      const refuse = (code: ResponseCodeName) => this.out.acks.push({ticket, code: RESPONSE_CODES[code], entries: [], leaderId: this.view.leaderId})
      if (this.leaderTerm === -1) return refuse('NOT_LEADER')
      // reference §4.2: writes are frozen while a transfer is in progress
      if (this.view.transferee !== null) return refuse('LEADER_TRANSFERRING')
      if (bodies.length === 0) return refuse('REQUEST_WITH_EMPTY_BODYS')
      if (this.pending.has(ticket)) return refuse('REPEATED_REQUEST')
      if (this.pendingEntries + bodies.length > this.settings.maxPendingRequestsNum) return refuse('LEADER_PENDING_FULL')
      const added = bodies.map((body) => this.appendLocal(body))
      this.pending.set(ticket, {ticket, lastIndex: this.ledgerEndIndex, entries: added, deadlineMs: this.now + this.settings.maxWaitAckTimeMs})
      this.pendingEntries += added.length
      this.advanceCommit()
    })
  }

  receive(message: PushMessage, nowMs: number): ReplicatorOutput {
    return this.step(nowMs, () => {
      if (message.kind === 'PushEntryRequest') this.out.messages.push(this.handlePush(message))
      else this.onResponse(message)
    })
  }

  /** Push timeouts, client-append timeouts, and any push that became due. */
  tick(nowMs: number): ReplicatorOutput {
    return this.step(nowMs, () => {
      for (const d of this.dispatchers.values()) {
        const oldest = d.inflight[0]
        if (oldest === undefined || this.now - oldest.sentAtMs < this.settings.maxPushTimeOutMs) continue
        // reference §4.3: an unanswered push is asked again; the later ones in flight are forgotten
        if (d.phase !== 'COMPARE') this.backToCompare(d)
        d.inflight = []
      }
      for (const p of [...this.pending.values()]) {
        if (p.deadlineMs > this.now) break
        this.resolve(p, 'WAIT_QUORUM_ACK_TIMEOUT')
      }
    })
  }

  // ---------------------------------------------------------------- plumbing

  private step(nowMs: number, body: () => void): ReplicatorOutput {
    this.now = Math.max(this.now, nowMs)
    this.out = emptyOutput()
    const endBefore = this.ledgerEndIndex
    this.changedFrom = Number.POSITIVE_INFINITY
    body()
    this.pump()
    const out = this.out
    if (this.changedFrom <= endBefore) out.truncateFrom = this.changedFrom
    if (this.changedFrom <= this.ledgerEndIndex) out.append = this.log.slice(this.changedFrom)
    return out
  }

  private appendLocal(body: string): {index: number; term: number} {
    const entry = {index: this.ledgerEndIndex + 1, term: this.view.currTerm, body}
    this.changedFrom = Math.min(this.changedFrom, entry.index)
    this.log.push(entry)
    return {index: entry.index, term: entry.term}
  }

  private truncateLocal(from: number): void {
    // a committed entry never leaves the log: the leader's log holds it (reference §4.3)
    invariant(from > this.committed, () => `truncate from ${from} at or below the committed index ${this.committed}`)
    if (from > this.ledgerEndIndex) return
    this.changedFrom = Math.min(this.changedFrom, from)
    this.log.length = from
  }

  private newReqId(): string {
    this.reqCounter += 1
    return `push.${this.reqCounter}`
  }

  // ---------------------------------------------------------------- leader

  private startLeading(term: number): void {
    this.leaderTerm = term
    for (const id of this.settings.peers.map((p) => p.id)) {
      if (id === this.settings.selfId) continue
      this.dispatchers.set(id, {
        peer: id,
        phase: 'COMPARE',
        writeIndex: this.ledgerEndIndex + 1,
        matchIndex: -1,
        followerEnd: -1,
        commitSent: -1,
        inflight: [],
        notBeforeMs: this.now,
        lastPushAtMs: this.now,
        gapHold: null,
      })
    }
    // DLedger's enableFastAdvanceCommitIndex: a no-op of this term lets earlier entries commit
    if (this.settings.enableFastAdvanceCommitIndex) this.appendLocal('')
    this.advanceCommit()
  }

  private stopLeading(): void {
    for (const p of [...this.pending.values()]) this.resolve(p, 'EXPIRED_TERM')
    this.dispatchers.clear()
    this.leaderTerm = -1
  }

  private resolve(p: Pending, code: ResponseCodeName): void {
    this.pending.delete(p.ticket)
    this.pendingEntries -= p.entries.length
    this.out.acks.push({ticket: p.ticket, code: RESPONSE_CODES[code], entries: code === 'SUCCESS' ? p.entries : [], leaderId: this.view.leaderId})
  }

  /**
   * The QuorumAckChecker: the median of the water marks (the leader's own is its ledger end)
   * commits, but only an entry of the current term (Raft §5.4.2; DLedger master, reference §4.3).
   */
  private advanceCommit(): void {
    if (this.leaderTerm === -1) return
    const marks = [this.ledgerEndIndex, ...[...this.dispatchers.values()].map((d) => d.matchIndex)].sort((a, b) => b - a)
    const quorumIndex = marks[Math.floor(marks.length / 2)] as number
    if (quorumIndex <= this.committed || this.termAt(quorumIndex) !== this.leaderTerm) return
    this.committed = quorumIndex
    this.committedAtMs = this.now
    for (const p of [...this.pending.values()]) {
      if (p.lastIndex > this.committed) break
      this.resolve(p, 'SUCCESS')
    }
  }

  private hasWork(d: Dispatcher): boolean {
    if (d.phase !== 'APPEND') return true
    return d.writeIndex <= this.ledgerEndIndex || this.commitBehind(d)
  }

  /** Whether the follower has not been told the commit index of its shared prefix (and nothing in flight will tell it). */
  private commitBehind(d: Dispatcher): boolean {
    return d.inflight.length === 0 && (d.commitSent < Math.min(this.committed, d.matchIndex) || this.commitRefreshDue(d))
  }

  /** Whether an idle follower is due to hear the commit index again (COMMIT_REFRESH_MS). */
  private commitRefreshDue(d: Dispatcher): boolean {
    return this.committed >= 0 && this.now >= d.lastPushAtMs + COMMIT_REFRESH_MS
  }

  /** Whether `d` waits for an earlier APPEND before it resends after a gap. */
  private holding(d: Dispatcher): boolean {
    if (d.gapHold !== null && !d.inflight.some((f) => f.reqId === d.gapHold)) d.gapHold = null
    return d.gapHold !== null
  }

  /** When a COMMIT push to `d` may go: COMMIT_PUSH_DELAY_MS after the commit advanced, unless an APPEND carries it first. */
  private commitDueMs(d: Dispatcher): number {
    return d.phase === 'APPEND' && d.writeIndex > this.ledgerEndIndex ? this.committedAtMs + COMMIT_PUSH_DELAY_MS : Number.NEGATIVE_INFINITY
  }

  /** How many pushes `d` may have in flight: a window while it takes APPENDs, else one. */
  private window(d: Dispatcher): number {
    return d.phase === 'APPEND' ? PUSH_WINDOW : 1
  }

  /** Sends the next pushes of every dispatcher that has something to say and room in its window. */
  private pump(): void {
    // quiet while the log is empty: nothing to replicate, nothing to commit
    if (this.leaderTerm === -1 || this.ledgerEndIndex < 0) return
    for (const d of this.dispatchers.values()) {
      while (d.inflight.length < this.window(d) && this.now >= d.notBeforeMs && !this.holding(d) && this.hasWork(d) && this.pushNext(d));
    }
  }

  /** Sends `d`'s next push; false when it has to wait (a partial batch behind a push in flight, a COMMIT not yet due). */
  private pushNext(d: Dispatcher): boolean {
    switch (d.phase) {
      case 'COMPARE':
        this.push(d, 'COMPARE', d.writeIndex - 1, [])
        return true
      case 'TRUNCATE':
        this.push(d, 'TRUNCATE', d.matchIndex, [])
        return true
      case 'APPEND': {
        if (d.writeIndex <= this.ledgerEndIndex) {
          const batch = this.batchFrom(d.writeIndex)
          // a partial batch waits while a push is in flight, so the entries appended meanwhile go
          // together (as TCP's Nagle rule does): on a busy leader one push per follower and round
          // trip carries them all; full batches (a catch-up) go out back to back
          if (!batch.full && d.inflight.length > 0) return false
          this.push(d, 'APPEND', d.writeIndex - 1, batch.entries)
          d.writeIndex = (batch.entries[batch.entries.length - 1] as LogEntry).index + 1
          return true
        }
        if (this.now < this.commitDueMs(d)) return false
        this.push(d, 'COMMIT', d.matchIndex, [])
        return true
      }
    }
  }

  /**
   * The entries of one APPEND from `from`: at most maxPushBatchEntries and PUSH_BATCH_BYTES, at
   * least one; `full` when a bound, not the log's end, cut it.
   */
  private batchFrom(from: number): {entries: LogEntry[]; full: boolean} {
    const batch: LogEntry[] = []
    let bytes = 0
    for (let i = from; i <= this.ledgerEndIndex; i++) {
      if (batch.length >= this.settings.maxPushBatchEntries) return {entries: batch, full: true}
      const e = this.log[i] as LogEntry
      bytes += e.body.length * 6 + ENTRY_OVERHEAD_BYTES
      if (batch.length > 0 && bytes > PUSH_BATCH_BYTES) return {entries: batch, full: true}
      batch.push(e)
    }
    return {entries: batch, full: batch.length >= this.settings.maxPushBatchEntries}
  }

  private push(d: Dispatcher, type: PushType, preLogIndex: number, entries: LogEntry[]): void {
    const req: PushEntryRequest = {
      kind: 'PushEntryRequest',
      group: this.settings.group,
      remoteId: d.peer,
      localId: this.settings.selfId,
      code: RESPONSE_CODES.SUCCESS,
      leaderId: this.settings.selfId,
      term: this.leaderTerm,
      reqId: this.newReqId(),
      type,
      preLogIndex,
      preLogTerm: this.termAt(preLogIndex),
      commitIndex: this.committed,
      entries,
      ...(type === 'TRUNCATE' ? {nextLogTerm: preLogIndex < this.ledgerEndIndex ? this.termAt(preLogIndex + 1) : this.leaderTerm} : {}),
    }
    const lastIndex = entries.length > 0 ? (entries[entries.length - 1] as LogEntry).index : preLogIndex
    d.inflight.push({reqId: req.reqId, type, preLogIndex, lastIndex, commitIndex: this.committed, matchIndex: d.matchIndex, sentAtMs: this.now})
    d.lastPushAtMs = this.now
    this.out.messages.push(req)
  }

  /**
   * Where to COMPARE after the follower's hint (Raft's fast back-up): just after this leader's
   * last entry of the follower's conflicting term when it has one, else the follower's first
   * entry of that term. The next COMPARE then lands on the last entry both logs share, so the
   * TRUNCATE drops only conflicting entries, never one the follower holds like the leader (which
   * may be committed). Strictly below `preLogIndex`, so COMPARE ends at index -1 at worst.
   */
  private nextCompare(xTerm: number, xIndex: number, preLogIndex: number): number {
    if (xTerm < 0) return xIndex
    for (let i = Math.min(preLogIndex, this.ledgerEndIndex); i >= 0; i--) {
      const t = this.termAt(i)
      if (t === xTerm) return i + 1
      if (t < xTerm) break
    }
    return xIndex
  }

  /**
   * Starts over from the leader's end, as after a leader change: the follower may have moved past
   * the water mark (a push that timed out was applied), and a TRUNCATE planned from a stale water
   * mark would drop entries it has committed since.
   */
  private backToCompare(d: Dispatcher): void {
    d.phase = 'COMPARE'
    d.writeIndex = this.ledgerEndIndex + 1
  }

  /**
   * Whether a refused APPEND only found the follower short of its preLogIndex, though still at or
   * past its water mark of when the push left, while the follower follows this leader in its term:
   * in APPEND phase its log is a prefix of the leader's, so the entries before the push are merely
   * missing (lost, or still on the way), and a resend from the water mark fits. A follower below
   * that water mark contradicts what the leader knows: that starts over with COMPARE.
   */
  private isGap(sent: InFlight, resp: PushEntryResponse): boolean {
    if (sent.type !== 'APPEND' || resp.code !== RESPONSE_CODES.INCONSISTENT_STATE) return false
    if (resp.term !== this.leaderTerm || resp.leaderId !== this.settings.selfId) return false
    return resp.ledgerEndIndex >= sent.matchIndex && resp.ledgerEndIndex < sent.preLogIndex
  }

  private onResponse(resp: PushEntryResponse): void {
    const d = this.dispatchers.get(resp.remoteId)
    const at = d === undefined ? -1 : d.inflight.findIndex((f) => f.reqId === resp.reqId)
    if (this.leaderTerm === -1 || d === undefined || at === -1) return
    const sent = d.inflight[at] as InFlight
    // a success stands on its own: the follower held those entries, and only a TRUNCATE of this
    // leader, sent after a reset that forgets every push in flight, could take them away
    if (resp.code === RESPONSE_CODES.SUCCESS) d.inflight.splice(at, 1)
    else if (this.isGap(sent, resp)) {
      // the APPEND overtook an earlier one (a delayed network reorders): it and the later ones are
      // sent again, after the earlier APPEND still in flight, or else from the water mark
      d.inflight.length = at
      const earlier = d.inflight.findLast((f) => f.type === 'APPEND')
      d.writeIndex = Math.min(d.writeIndex, earlier !== undefined ? sent.preLogIndex + 1 : d.matchIndex + 1)
      d.gapHold = earlier?.reqId ?? null
      return
    } else d.inflight = []
    if (resp.code !== RESPONSE_CODES.SUCCESS) {
      if (sent.type === 'COMPARE' && resp.code === RESPONSE_CODES.INCONSISTENT_STATE && resp.xIndex >= 0) {
        d.writeIndex = Math.max(0, Math.min(d.writeIndex - 1, this.nextCompare(resp.xTerm, resp.xIndex, sent.lastIndex)))
        return
      }
      if (d.phase !== 'COMPARE') this.backToCompare(d)
      d.notBeforeMs = this.now + PUSH_RETRY_MS
      return
    }
    switch (sent.type) {
      case 'COMPARE':
        d.matchIndex = sent.lastIndex
        d.followerEnd = resp.ledgerEndIndex
        d.writeIndex = d.matchIndex + 1
        d.phase = d.followerEnd > d.matchIndex ? 'TRUNCATE' : 'APPEND'
        break
      case 'TRUNCATE':
        d.followerEnd = d.matchIndex
        d.phase = 'APPEND'
        break
      case 'APPEND':
        d.matchIndex = Math.max(d.matchIndex, sent.lastIndex)
        d.commitSent = Math.max(d.commitSent, Math.min(sent.commitIndex, sent.lastIndex))
        break
      case 'COMMIT':
        d.commitSent = Math.max(d.commitSent, Math.min(sent.commitIndex, sent.lastIndex))
        break
    }
    this.advanceCommit()
  }

  // ---------------------------------------------------------------- follower

  /** Whether this log holds (index, term); index -1 is the empty prefix every log holds. */
  private holds(index: number, term: number): boolean {
    return index === -1 || (index <= this.ledgerEndIndex && this.termAt(index) === term)
  }

  /** Where the leader should COMPARE next: the first index of the conflicting term, or end + 1; never a committed index. */
  private skipBackHint(preLogIndex: number): number {
    if (preLogIndex > this.ledgerEndIndex) return this.ledgerEndIndex + 1
    const term = this.termAt(preLogIndex)
    let first = preLogIndex
    while (first > 0 && this.termAt(first - 1) === term) first--
    // entries up to the committed index agree with every later leader: looking below is useless
    return Math.max(first, this.committed + 1)
  }

  /** The follower's EntryHandler: the checks of appendAsFollower, then the push (reference §4.3). */
  private handlePush(req: PushEntryRequest): PushEntryResponse {
    const v = this.view
    const refuse = (code: ResponseCodeName, xIndex = -1, xTerm = -1) =>
      pushResponseTo(req, {code: RESPONSE_CODES[code], term: v.currTerm, leaderId: v.leaderId, ledgerEndIndex: this.ledgerEndIndex, xTerm, xIndex})
    if (req.group !== this.settings.group) return refuse('UNKNOWN_GROUP')
    if (req.term < v.currTerm) return refuse('EXPIRED_TERM')
    if (v.role !== 'FOLLOWER' || req.term !== v.currTerm || req.leaderId !== v.leaderId) return refuse('INCONSISTENT_STATE')
    let shared: number
    switch (req.type) {
      case 'COMPARE':
        if (!this.holds(req.preLogIndex, req.preLogTerm)) return refuse('INCONSISTENT_STATE', this.skipBackHint(req.preLogIndex), this.termAt(req.preLogIndex))
        shared = req.preLogIndex
        break
      case 'TRUNCATE':
        if (!this.holds(req.preLogIndex, req.preLogTerm)) return refuse('INCONSISTENT_STATE')
        // Raft's rule (D13): drop entries only from one that conflicts with the leader's log. A
        // TRUNCATE that a delayed network (or a reconnect) brings after this leader's later pushes
        // would otherwise drop entries the follower has since acknowledged, which the leader counts
        // in its water mark and its commit. If the entry at preLogIndex + 1 has the term the
        // leader's has (or will have) there, it and everything before it are the leader's (log
        // matching; an entry of the leader's term can only be its own); if it does not, no later
        // entry is the leader's either, so none of those was acknowledged or committed.
        if (this.termAt(req.preLogIndex + 1) !== (req.nextLogTerm ?? req.term)) {
          // a late push of this leader may have committed more since its COMPARE: those entries
          // are the leader's own (a committed entry is in every later leader's log), so they stay
          this.truncateLocal(Math.max(req.preLogIndex, this.committed) + 1)
        }
        shared = Math.max(req.preLogIndex, this.committed)
        break
      case 'APPEND': {
        if (!this.holds(req.preLogIndex, req.preLogTerm)) return refuse('INCONSISTENT_STATE')
        let expected = req.preLogIndex + 1
        let lastTerm = req.preLogTerm
        for (const e of req.entries) {
          if (e.index !== expected || e.term < lastTerm || e.term > req.term) return refuse('UNEXPECTED_ARGUMENT')
          expected++
          lastTerm = e.term
        }
        for (const e of req.entries) {
          if (e.index <= this.ledgerEndIndex) {
            if (this.termAt(e.index) === e.term) continue // already held: a resent push
            return refuse('INCONSISTENT_STATE')
          }
          this.changedFrom = Math.min(this.changedFrom, e.index)
          this.log.push({index: e.index, term: e.term, body: e.body})
        }
        shared = expected - 1
        break
      }
      case 'COMMIT':
        if (!this.holds(req.preLogIndex, req.preLogTerm)) return refuse('INCONSISTENT_STATE')
        shared = req.preLogIndex
        break
    }
    // follower commit = min(own end, leader's commit), over the prefix this push proved shared
    const commit = Math.min(req.commitIndex, shared, this.ledgerEndIndex)
    if (commit > this.committed) this.committed = commit
    return pushResponseTo(req, {term: v.currTerm, leaderId: v.leaderId, index: shared, ledgerEndIndex: this.ledgerEndIndex})
  }
}

function emptyOutput(): ReplicatorOutput {
  return {truncateFrom: null, append: [], messages: [], acks: []}
}
