/**
 * The base of every dledger command: the shared global flags, the context its logic runs in
 * (command-context.ts), and the one place that turns a thrown error into a message and an exit
 * code (error-report.ts, shared with the light paths).
 *
 * Subclasses set `static enableJsonFlag = true` when they return a result object, and keep heavy
 * imports (ws, conf, @inquirer/prompts, cli-table3) inside `run()` behind `await import()`:
 * without a manifest oclif imports every command module just to list them.
 */
import {Command, Errors, settings, toConfiguredId, type Interfaces} from '@oclif/core'

import {baseFlagTable, type CommandContext, resolveToken} from './command-context.js'
import {describeError, printError} from './error-report.js'
import {CliError, EXIT} from './errors.js'
import {oclifFlags} from './oclif-flags.js'
import {endOnClosedStdout, stopSpinners} from './output.js'

export {describeError, printError, type ErrorReport} from './error-report.js'

/** The parsed flags of command `T`, global flags included. */
export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
/** The parsed arguments of command `T`. */
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

function isExitError(err: unknown): boolean {
  return err instanceof Errors.ExitError || (err as {code?: unknown} | null)?.code === 'EEXIT'
}

function envTrue(name: string): boolean {
  const value = process.env[name]
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/** Base class: `export default class Status extends BaseCommand<typeof Status> { … }`. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  /** Shared by every command; shown under GLOBAL FLAGS in help. */
  static override baseFlags = oclifFlags(baseFlagTable)

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
    resolveToken(this.flags as {token?: string; 'token-file'?: string}, this.argv)
  }

  /** What the command's logic needs from oclif (the same a light path gives it). */
  protected context(): CommandContext {
    return {
      json: this.jsonEnabled(),
      argv: this.argv,
      bin: this.config.bin,
      root: this.config.root,
      dirs: this.config,
      log: (line) => this.log(line),
      logJson: (value) => this.logJson(value),
      exit: (code) => this.exit(code),
    }
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
