/**
 * The one way a thrown error leaves a dledger command: its exit code, and the lines both output
 * modes print. Used by BaseCommand.catch (oclif) and by the light paths (member-main.ts,
 * light/run-light.ts), so it imports nothing of oclif: oclif's errors are told apart by shape.
 *
 * Exit codes: 0 ok; 1 an operation failed (OperationError, or anything unexpected); 2 the request
 * was malformed (UsageError, or one of oclif's own flag/argument parse errors).
 * Without `--json` an error prints `Error: <message>` and maybe `Hint: <hint>` on stderr; with
 * `--json` it prints `{"error":{"message","code","hint"}}` on stdout. The exit code is the same.
 */
import {stripVTControlCharacters} from 'node:util'

import {CliError, EXIT} from './errors.js'
import {closest} from './suggest.js'

/** What an error becomes on the way out: the exit code and the fields both output modes print. */
export interface ErrorReport {
  exitCode: number
  message: string
  code: string
  hint: string | null
}

/** oclif appends this line to every parse error (parser/errors.js, parser/parse.js). */
const OCLIF_PARSE_SUFFIX = /\n?See more help with --help\s*$/

/**
 * Classifies a thrown value. `helpCommand` (e.g. `dledger status`) is used in the hint of a parse
 * error; `flags` (the command's flag names, without dashes) lets an unknown flag's hint suggest the
 * closest one. Exported for tests; commands just throw.
 */
export function describeError(err: unknown, helpCommand = 'dledger', flags: readonly string[] = []): ErrorReport {
  if (err instanceof CliError) {
    return {exitCode: err.exitCode, message: oneLine(err.message), code: err.code, hint: err.hint ?? null}
  }

  const error = err instanceof Error ? err : new Error(String(err))
  const raw = stripVTControlCharacters(error.message)
  // oclif's parser errors (unknown flag, missing arg, failed flag parse …) end with the suffix;
  // a bare CLIError uses oclif's default exit 2 unless the thrower chose another code.
  const isParseError = OCLIF_PARSE_SUFFIX.test(raw)
  const oclifExit = (error as {oclif?: {exit?: unknown}}).oclif?.exit
  const exitCode = isParseError ? EXIT.USAGE : typeof oclifExit === 'number' && oclifExit > 0 ? oclifExit : EXIT.FAILURE
  const ownCode = (error as {code?: unknown}).code
  const code = typeof ownCode === 'string' && ownCode !== '' ? ownCode : exitCode === EXIT.USAGE ? 'USAGE_ERROR' : 'ERROR'
  return {
    exitCode,
    // "Parsing --timeout \n\tExpected an integer …" → "--timeout: Expected an integer …"
    message: oneLine(raw.replace(OCLIF_PARSE_SUFFIX, '').replace(/^Parsing (--\S+)\s*\n\s*/, '$1: ')) || error.name,
    code,
    hint: exitCode === EXIT.USAGE ? `${didYouMeanFlag(error, flags)}See "${helpCommand} --help".` : null,
  }
}

/** `did you mean --json? ` for oclif's NonExistentFlagsError (`flags: ['--jsn']`), else ''. */
function didYouMeanFlag(error: Error, flags: readonly string[]): string {
  const unknown = (error as {flags?: unknown}).flags
  if (!Array.isArray(unknown) || typeof unknown[0] !== 'string') return ''
  const typed = unknown[0].replace(/^-+/, '').split('=')[0]
  const match = closest(typed, flags)
  return match === null ? '' : `did you mean --${match}? `
}

/**
 * Prints an error report the one way every dledger error looks: `Error: …` and maybe `Hint: …` on
 * stderr, or `{"error":{"message","code","hint"}}` on stdout with `--json`.
 */
export function printError(report: ErrorReport, json: boolean): void {
  if (json) {
    console.log('%s', JSON.stringify({error: {message: report.message, code: report.code, hint: report.hint}}, null, 2))
    return
  }
  // console.error, like oclif's own logToStderr, so in-process test helpers capture it
  console.error('%s', `Error: ${report.message}`)
  if (report.hint) console.error('%s', `Hint: ${report.hint}`)
}

/** Collapses a multi-line message (oclif's parse errors have tabs and newlines) into one line. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
}
