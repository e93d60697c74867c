/**
 * The ledger's safety checkers (issue 11), run after every step like the election's. They keep
 * their own copy of every member's durable log, across crashes and restarts:
 *
 * - COMMITTED_ENTRY_NEVER_CHANGES: an entry, once committed on any member, is the same on every
 *   member that commits that index, and never leaves the log of a member that committed it;
 * - LOG_MATCHING: two logs that hold an entry with the same index and term agree on it and on
 *   every entry before it;
 * - COMMIT_INDEX_NEVER_DECREASES: a member's committed index never goes down while it runs (a
 *   restart starts it again at -1; the entries it had committed stay, as the first check shows);
 * - ACKED_APPEND_IN_LATER_LEADERS: an append acknowledged to a client is in the log of every
 *   member that becomes leader afterwards;
 * - WATER_MARK_HELD: a member in a leader's term holds, as the leader does, every entry up to the
 *   water mark the leader counts for it (its commit counts that member for them). Only a leader of
 *   a later term may take them away, and then only entries that were not committed.
 */
import type {LogEntry} from '../core/push.js'
import type {NodeId} from '../core/types.js'

export type LedgerInvariant = 'COMMITTED_ENTRY_NEVER_CHANGES' | 'LOG_MATCHING' | 'COMMIT_INDEX_NEVER_DECREASES' | 'ACKED_APPEND_IN_LATER_LEADERS' | 'WATER_MARK_HELD'

export const LEDGER_INVARIANTS: readonly LedgerInvariant[] = [
  'COMMITTED_ENTRY_NEVER_CHANGES',
  'LOG_MATCHING',
  'COMMIT_INDEX_NEVER_DECREASES',
  'ACKED_APPEND_IN_LATER_LEADERS',
  'WATER_MARK_HELD',
]

export type LedgerObservation =
  /** the member made these log changes durable: truncate from `truncateFrom`, then append */
  | {kind: 'log'; node: NodeId; truncateFrom: number | null; append: readonly LogEntry[]}
  /** the member's committed index after a step */
  | {kind: 'commit'; node: NodeId; committedIndex: number}
  /** a leader acknowledged these entries to a client */
  | {kind: 'ack'; node: NodeId; entries: readonly {index: number; term: number}[]}
  /** a leader's water marks after a step: follower → the last index it shares (empty: not leading) */
  | {kind: 'marks'; node: NodeId; term: number; marks: ReadonlyMap<NodeId, number>}

export type Report = (invariant: LedgerInvariant, key: string, detail: string) => void

/** One held entry: its term, and a digest of it and everything before it (log matching in O(1)). */
interface Held {
  term: number
  chain: string
}

/** A short, deterministic digest (FNV-1a, 32 bits, twice with different seeds). */
function digest(text: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) >>> 0
    b = Math.imul(b ^ c, 0x811c9dc5) >>> 0
  }
  return `${a.toString(36)}.${b.toString(36)}`
}

export class LedgerCheckers {
  private readonly logs = new Map<NodeId, Held[]>()
  /** index → the chain digest of the entry committed there */
  private readonly committed = new Map<number, string>()
  /** member → the highest index it ever committed (across restarts: the entries are durable) */
  private readonly committedEver = new Map<NodeId, number>()
  /** member → its committed index in this incarnation */
  private readonly committedNow = new Map<NodeId, number>()
  /** `${index}:${term}` → chain digest, over every log ever seen */
  private readonly chains = new Map<string, string>()
  private readonly acked = new Map<number, number>()
  /** leader → its term and its water marks */
  private readonly marks = new Map<NodeId, {term: number; marks: ReadonlyMap<NodeId, number>}>()
  /** member → its current term */
  private readonly terms = new Map<NodeId, number>()

  observe(o: LedgerObservation, report: Report): void {
    switch (o.kind) {
      case 'log':
        return this.onLog(o.node, o.truncateFrom, o.append, report)
      case 'commit':
        return this.onCommit(o.node, o.committedIndex, report)
      case 'ack':
        for (const e of o.entries) this.acked.set(e.index, e.term)
        return
      case 'marks':
        if (o.marks.size === 0) this.marks.delete(o.node)
        else this.marks.set(o.node, {term: o.term, marks: o.marks})
        for (const follower of o.marks.keys()) this.checkMark(o.node, follower, report)
        return
    }
  }

  /** A member's term after a step: a leader's water marks bind only members in its term. */
  noteTerm(node: NodeId, term: number): void {
    this.terms.set(node, term)
  }

  crashed(node: NodeId): void {
    this.committedNow.delete(node)
    this.marks.delete(node)
  }

  /** Whether `follower`, in `leader`'s term, holds the leader's entries up to the water mark the leader counts for it. */
  private checkMark(leader: NodeId, follower: NodeId, report: Report): void {
    const led = this.marks.get(leader)
    const mark = led?.marks.get(follower) ?? -1
    if (led === undefined || mark < 0 || this.terms.get(follower) !== led.term) return
    const held = this.log(follower)[mark]
    if (held !== undefined && held.chain === this.log(leader)[mark]?.chain) return
    report(
      'WATER_MARK_HELD',
      `${leader}:${led.term}:${follower}:${mark}`,
      `${follower} no longer holds ${leader}'s entries up to ${mark}, which ${leader} counts as held in term ${led.term}`,
    )
  }

  /** Called when `node` becomes leader: every acknowledged entry must be in its log. */
  becameLeader(node: NodeId, term: number, report: Report): void {
    const log = this.log(node)
    for (const [index, t] of this.acked) {
      if (log[index]?.term === t) continue
      report('ACKED_APPEND_IN_LATER_LEADERS', `${node}:${term}:${index}`, `${node} leads term ${term} without the acknowledged entry ${index} (term ${t})`)
      return
    }
  }

  private log(node: NodeId): Held[] {
    let log = this.logs.get(node)
    if (log === undefined) {
      log = []
      this.logs.set(node, log)
    }
    return log
  }

  private onLog(node: NodeId, truncateFrom: number | null, append: readonly LogEntry[], report: Report): void {
    const log = this.log(node)
    if (truncateFrom !== null && truncateFrom < log.length) {
      const ever = this.committedEver.get(node) ?? -1
      if (truncateFrom <= ever)
        report('COMMITTED_ENTRY_NEVER_CHANGES', `${node}:trunc:${truncateFrom}`, `${node} dropped entries from ${truncateFrom} on, but had committed up to ${ever}`)
      log.length = truncateFrom
    }
    for (const e of append) {
      if (e.index !== log.length) {
        report('LOG_MATCHING', `${node}:gap:${e.index}`, `${node} appended entry ${e.index} at position ${log.length}`)
        return
      }
      const prev = log.length > 0 ? (log[log.length - 1] as Held).chain : ''
      const chain = digest(`${prev}|${e.term}|${e.body}`)
      log.push({term: e.term, chain})
      const key = `${e.index}:${e.term}`
      const seen = this.chains.get(key)
      if (seen === undefined) this.chains.set(key, chain)
      else if (seen !== chain) report('LOG_MATCHING', `${key}`, `${node} holds entry ${e.index} of term ${e.term}, but its log up to there differs from another member's`)
    }
    if (truncateFrom !== null) for (const leader of this.marks.keys()) this.checkMark(leader, node, report)
  }

  private onCommit(node: NodeId, committedIndex: number, report: Report): void {
    const before = this.committedNow.get(node) ?? -1
    if (committedIndex < before)
      report('COMMIT_INDEX_NEVER_DECREASES', `${node}:${committedIndex}`, `${node}'s committed index went from ${before} to ${committedIndex}`)
    if (committedIndex <= before) return
    this.committedNow.set(node, committedIndex)
    this.committedEver.set(node, Math.max(this.committedEver.get(node) ?? -1, committedIndex))
    const log = this.log(node)
    for (let i = before + 1; i <= committedIndex; i++) {
      const held = log[i]
      if (held === undefined) {
        report('COMMITTED_ENTRY_NEVER_CHANGES', `${node}:missing:${i}`, `${node} committed index ${i} it does not hold`)
        return
      }
      const first = this.committed.get(i)
      if (first === undefined) this.committed.set(i, held.chain)
      else if (first !== held.chain) report('COMMITTED_ENTRY_NEVER_CHANGES', `${node}:${i}`, `${node} committed a different entry at index ${i} than another member did`)
    }
  }
}
