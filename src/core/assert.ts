/**
 * Impossible states fail loudly. The core's callers guarantee some orderings (a ballot's term is
 * the member's term while the ballot is open, a maintainer pass runs in the role it dispatched
 * on); when one breaks, the core stops with a message instead of silently skipping a step.
 */

/** A state the core's own sequencing rules out: a bug in the core or its driver, never bad input. */
export class ImpossibleStateError extends Error {
  constructor(message: string) {
    super(`impossible state: ${message}`)
    this.name = 'ImpossibleStateError'
  }
}

/** Throws ImpossibleStateError unless `condition` holds. `message` may be lazy. */
export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new ImpossibleStateError(typeof message === 'string' ? message : message())
}
