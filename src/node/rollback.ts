/**
 * Rollback detection (issue 7): a member's term/vote record must never be older than its own vote
 * log. The record is written before the events of the same step are appended (spec S1), so a log
 * that shows a newer term, or a vote the record does not hold, proves the record was restored from
 * an older copy or lost, and starting from it could hand out a second vote in a term.
 */
import type {DurableState} from '../core/types.js'
import type {LoggedVote} from './vote-log.js'

/** Why the record is behind the vote log (one line naming both), or null when it is not. */
export function rollbackProblem(recordFile: string, record: DurableState, recordExists: boolean, logged: LoggedVote): string | null {
  if (logged.records === 0) return null
  const shown = `the vote log ${logged.file} shows term ${logged.term}${logged.votedFor === null ? '' : ` and a vote for ${logged.votedFor}`}`
  if (!recordExists) return `the term/vote record ${recordFile} is missing, but ${shown}`
  const has = `term ${record.currTerm}, vote ${record.currVoteFor ?? 'none'}`
  if (logged.term > record.currTerm) return `the term/vote record ${recordFile} was rolled back: it holds ${has}, but ${shown}`
  if (logged.term === record.currTerm && logged.votedFor !== null && logged.votedFor !== record.currVoteFor)
    return `the term/vote record ${recordFile} was rolled back: it holds ${has}, but ${shown}`
  return null
}

export const ROLLBACK_HINT =
  'Restore the newest copy of state.json. Only if you know this member may vote again in those terms, start it with --accept-rolled-back-state.'
