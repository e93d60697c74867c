/**
 * The one coupling of the two state machines (reference §4.1): after every replicator step the
 * ledger end, the committed index and the followers' water marks feed the elector, so the vote
 * checks, the transfer lag checks and the preferred leader's filter read the real ledger.
 */
import type {Elector, StepOutput} from './elector.js'
import type {Replicator} from './replicator.js'

/**
 * Feeds `replicator`'s water marks and committed index into `elector` and, when the step changed
 * the log (`logChanged`: an append, a truncation, or recovery at start-up), its ledger end too.
 * Returns the elector's step when the ledger end changed (null otherwise).
 */
export function feedElector(elector: Elector, replicator: Replicator, nowMs: number, logChanged: boolean): StepOutput | null {
  for (const [peer, mark] of replicator.waterMarks()) elector.setPeerWaterMark(peer, mark)
  elector.setCommittedIndex(replicator.committedIndex)
  if (!logChanged) return null
  const v = elector.view
  if (v.ledgerEndIndex === replicator.ledgerEndIndex && v.ledgerEndTerm === replicator.ledgerEndTerm) return null
  return elector.setLedgerEnd(replicator.ledgerEndIndex, replicator.ledgerEndTerm, nowMs)
}
