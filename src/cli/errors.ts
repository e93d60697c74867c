/**
 * The errors a dledger command throws on purpose. BaseCommand.catch maps them to exit codes:
 * UsageError → 2 (the user asked for something malformed), OperationError → 1 (the request was
 * fine but could not be carried out). Both may carry a hint: one sentence on what to do next.
 */

/** The process exit codes dledger promises. */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** Options shared by UsageError and OperationError. */
export interface CliErrorOptions {
  /** One line telling the user what to do next, printed as `Hint: <hint>`. */
  hint?: string
  /** A stable machine-readable code for `--json` output, e.g. `NO_LEADER`. */
  code?: string
  /** The underlying error, kept for debugging. */
  cause?: unknown
}

/** Base of dledger's own command errors; not thrown directly. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode
  readonly code: string
  readonly hint: string | undefined

  protected constructor(message: string, defaultCode: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = options.code ?? defaultCode
    this.hint = options.hint
  }
}

/** A malformed request: missing or conflicting arguments, bad flag values. Exits 2. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.USAGE

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, 'USAGE_ERROR', options)
  }
}

/** A well-formed request that failed: unreachable member, no leader, I/O failure. Exits 1. */
export class OperationError extends CliError {
  readonly exitCode = EXIT.FAILURE

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, 'OPERATION_FAILED', options)
  }
}
