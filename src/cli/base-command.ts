/**
 * The base of every dledger command: the shared global flags, and the one place that turns a
 * thrown error into a message and an exit code.
 *
 * Exit codes: 0 ok; 1 an operation failed (OperationError, or anything unexpected); 2 the request
 * was malformed (UsageError, or one of oclif's own flag/argument parse errors).
 * Without `--json` an error prints `Error: <message>` and maybe `Hint: <hint>` on stderr; with
 * `--json` it prints `{"error":{"message","code","hint"}}` on stdout. The exit code is the same.
 *
 * Subclasses set `static enableJsonFlag = true` when they return a result object, and keep heavy
 * imports (ws, conf, @inquirer/prompts, cli-table3) inside `run()` behind `await import()`:
 * without a manifest oclif imports every command module just to list them.
 */
import {readFileSync} from 'node:fs'
import {stripVTControlCharacters} from 'node:util'

import {Command, Errors, Flags, settings, toConfiguredId, type Interfaces} from '@oclif/core'

import {CliError, EXIT, UsageError} from './errors.js'
import {endOnClosedStdout, stopSpinners} from './output.js'
import {closest} from './suggest.js'

/** The parsed flags of command `T`, global flags included. */
export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
/** The parsed arguments of command `T`. */
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

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

function isExitError(err: unknown): boolean {
  return err instanceof Errors.ExitError || (err as {code?: unknown} | null)?.code === 'EEXIT'
}

/** The token in a file: its first line, without surrounding blanks; a UsageError when there is none. */
function readTokenFile(file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read --token-file ${file}: ${(error as Error).message}`, {code: 'INVALID_FLAGS'})
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim()
  if (token === '') throw new UsageError(`--token-file ${file} is empty`, {code: 'INVALID_FLAGS', hint: 'put the cluster token on its first line'})
  return token
}

function envTrue(name: string): boolean {
  const value = process.env[name]
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/** Base class: `export default class Status extends BaseCommand<typeof Status> { … }`. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  /** Shared by every command; shown under GLOBAL FLAGS in help. */
  static override baseFlags = {
    home: Flags.string({
      description: 'dledger home directory (cluster config and member data)',
      env: 'DLEDGER_HOME',
      helpGroup: 'GLOBAL',
    }),
    peers: Flags.string({
      description: 'cluster members, DLedger style: id-host:port joined by ";" (e.g. "n0-127.0.0.1:7001;n1-127.0.0.1:7002")',
      env: 'DLEDGER_PEERS',
      helpGroup: 'GLOBAL',
    }),
    token: Flags.string({
      description: 'shared cluster token sent to members; visible in the process list, so prefer --token-file, DLEDGER_TOKEN or the profile',
      env: 'DLEDGER_TOKEN',
      helpGroup: 'GLOBAL',
    }),
    'token-file': Flags.string({
      description: 'read the shared cluster token from this file (its first line); keeps it out of the process list',
      helpGroup: 'GLOBAL',
    }),
  }

  /** Parsed flags (global ones included), set in init(). */
  protected flags!: BaseFlags<T>
  /** Parsed arguments, set in init(). */
  protected args!: BaseArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    endOnClosedStdout()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    this.resolveToken()
  }

  /**
   * The token never needs to be on a command line (issue 7): `--token-file` replaces `--token`;
   * a `--token` given anyway still works, with a warning, since every user can read it in `ps`.
   */
  private resolveToken(): void {
    const flags = this.flags as {token?: string; 'token-file'?: string}
    const onArgv = this.argv.some((a) => a === '--token' || a.startsWith('--token='))
    const file = flags['token-file']
    if (file !== undefined) {
      if (onArgv) throw new UsageError('give the token once: --token or --token-file, not both', {code: 'INVALID_FLAGS'})
      flags.token = readTokenFile(file)
      return
    }
    if (onArgv) console.error('%s', 'Warning: --token shows the token to every user of this machine (ps); use --token-file FILE, DLEDGER_TOKEN or the profile instead')
  }

  /**
   * Prints the error in the chosen output mode, then exits with its code. Throwing an ExitError
   * (instead of oclif's default) is what makes `--json` errors keep exit 2: oclif's own catch
   * logs the JSON and leaves exit code 1 for every error.
   */
  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (isExitError(err)) throw err // this.exit(n): already decided
    stopSpinners()
    const flagNames = Object.keys({...this.ctor.baseFlags, ...this.ctor.flags, ...(this.ctor.enableJsonFlag ? {json: true} : {}), help: true})
    const report = describeError(err, this.helpCommand(), flagNames)
    printError(report, this.jsonEnabled())
    if (!this.jsonEnabled()) {
      if (!(err instanceof CliError) && report.exitCode !== EXIT.USAGE && (settings.debug || envTrue('DLEDGER_DEBUG'))) {
        const frames = (err.stack ?? '').split('\n').slice(1).join('\n') // line 1 repeats the message
        if (frames) console.error('%s', frames)
      }
    }
    throw new Errors.ExitError(report.exitCode)
  }

  /** `dledger <command>` as the user types it (topic separator applied). */
  protected helpCommand(): string {
    const id = this.id ? toConfiguredId(this.id, this.config) : ''
    return [this.config.bin, id].filter(Boolean).join(' ')
  }
}
