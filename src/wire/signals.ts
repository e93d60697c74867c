/**
 * The process signals a member understands, shared by the member (`dledger start`) and the CLI
 * that stops local members (`dledger down`). Types and constants only: cheap to import.
 *
 * - SIGINT, SIGTERM: a clean stop; a leader first hands leadership to its most caught-up live
 *   follower (spec §2), unless the member was started with `--no-handoff`.
 * - SIGUSR2: a clean stop without the hand-off (`dledger down --no-handoff`).
 */

/** A clean stop with the leader's hand-off (unless the member runs with --no-handoff). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const
/** A clean stop that skips the hand-off. */
export const STOP_WITHOUT_HANDOFF_SIGNAL = 'SIGUSR2' as const
