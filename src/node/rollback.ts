/**
 * Rollback detection (issue 7): a member's term/vote record must never be older than its own vote
 * log. The record is written before the events of the same step are appended (spec S1), so a log
 * that shows a newer term, or a vote the record does not hold, proves the record was restored from
 * an older copy or lost, and starting from it could hand out a second vote in a term.
 */
import type {DurableState} from '../core/types.js'
import {errorMessage, StartupError} from './errors.js'
import type {Logger} from './logger.js'
import type {DurableStore} from './state-store.js'
import {type LoggedVote, newestLoggedVote} from './vote-log.js'

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

const ROLLBACK_HINT =
  'Restore the newest copy of state.json. Only if you know this member may vote again in those terms, start it with --accept-rolled-back-state.'

/**
 * The record a member starts from, checked against its vote log and written back once, which
 * proves the directory is writable (temp file, fsync, rename). A StartupError when the record was
 * rolled back (unless `acceptRolledBack`) or cannot be written.
 */
export function loadCheckedRecord(store: DurableStore, dataDir: string, opts: {acceptRolledBack: boolean; log: Logger}): DurableState {
  const durable = store.load()
  const recordExists = store.exists?.() ?? true
  const rolledBack = rollbackProblem(store.file, durable, recordExists, newestLoggedVote(dataDir))
  if (rolledBack !== null) {
    if (!opts.acceptRolledBack) throw new StartupError(rolledBack, ROLLBACK_HINT)
    opts.log.warn(`${rolledBack}; starting from the record anyway (--accept-rolled-back-state)`)
  }
  try {
    store.write(durable)
  } catch (error) {
    throw new StartupError(`the data directory ${dataDir} is not writable: cannot write ${store.file}: ${errorMessage(error)}`, 'Pick a writable --data-dir.')
  }
  return durable
}
