/**
 * The simulated disk: per member, the durable `{currTerm, currVoteFor}` record (spec S1) and the
 * ledger's entries. The simulation writes both at the step that produced them, before that step's
 * messages enter the network; a crash keeps them, a restart reads them back. Writes are atomic, as
 * the real store's temp-file + fsync + rename (record) and fsync-before-ack (ledger) are.
 */
import type {LogEntry} from '../core/push.js'
import type {DurableState, NodeId} from '../core/types.js'

export class Disk {
  private readonly records = new Map<NodeId, DurableState>()
  private readonly logs = new Map<NodeId, LogEntry[]>()
  /** how many records were written (all members) */
  writes = 0

  /** The member's record; a member that never wrote one starts at term 0 with no vote. */
  read(id: NodeId): DurableState {
    const r = this.records.get(id)
    return r === undefined ? {currTerm: 0, currVoteFor: null} : {...r}
  }

  write(id: NodeId, record: DurableState): void {
    this.records.set(id, {currTerm: record.currTerm, currVoteFor: record.currVoteFor})
    this.writes++
  }

  /** The member's ledger as it is on disk (a copy). */
  readLog(id: NodeId): LogEntry[] {
    return [...(this.logs.get(id) ?? [])]
  }

  /** Drops the entries from `truncateFrom` on (when not null), then appends `entries`. */
  writeLog(id: NodeId, truncateFrom: number | null, entries: readonly LogEntry[]): void {
    let log = this.logs.get(id)
    if (log === undefined) {
      log = []
      this.logs.set(id, log)
    }
    if (truncateFrom !== null && truncateFrom < log.length) log.length = truncateFrom
    for (const e of entries) log.push({...e})
  }
}
