/**
 * The simulated disk: one durable `{currTerm, currVoteFor}` record per member (spec S1). The
 * simulation writes it at the step that produced it, before that step's messages enter the
 * network; a crash keeps it, a restart reads it back. Writes are atomic, as the real store's
 * temp-file + fsync + rename is.
 */
import type {DurableState, NodeId} from '../core/types.js'

export class Disk {
  private readonly records = new Map<NodeId, DurableState>()
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
}
