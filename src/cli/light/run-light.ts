/**
 * bin/run.js's light path for the commands a script runs over and over (`status`, `leader`,
 * `health`, `transfer-leader`, `elect`, `up`, `down`): the same logic as their oclif commands
 * (src/cli/actions/), run without loading the command framework, which costs about as much as
 * Node itself (issue 13, docs/benchmarks.md).
 *
 * It reads only plain command lines, with the commands' own flag tables (flag-table.ts); on
 * anything else it declines and oclif runs the command as always: help, an unknown, repeated or
 * invalid flag (oclif's own message), debugging (DEBUG, DLEDGER_DEBUG: oclif's stack traces),
 * DLEDGER_CONTENT_TYPE, a JSON theme. What it prints, and its exit codes, are oclif's: lines
 * through console.log, `--json` results pretty-printed, errors through the one printer
 * (error-report.ts), exit codes 0/1/2/130.
 */
// only types at the top: bin/run.js loads this module for every command, oclif's too
import type {CommandContext} from '../command-context.js'
import type {FlagTable} from '../flag-table.js'

/** A command the light path runs: its flags (global ones apart) and its logic. */
interface LightCommand {
  baseFlags?: FlagTable
  flags: FlagTable
  // the parsed flags match the table by construction (parseFlags reads the same table)
  run(ctx: CommandContext, flags: never): Promise<unknown>
}

const COMMANDS: Record<string, () => Promise<LightCommand>> = {
  status: () => import('../actions/status.js').then((m) => ({flags: m.statusFlags, run: m.status})),
  leader: () => import('../actions/leader.js').then((m) => ({flags: m.leaderFlags, run: m.leader})),
  health: () => import('../actions/health.js').then((m) => ({flags: m.healthFlags, run: m.health})),
  'transfer-leader': () => import('../actions/transfer-leader.js').then((m) => ({flags: m.transferLeaderFlags, run: m.transferLeader})),
  elect: () => import('../actions/elect.js').then((m) => ({flags: m.electFlags, run: m.elect})),
  up: () => import('../actions/up.js').then((m) => ({flags: m.upFlags, run: m.up})),
  down: () => import('../actions/down.js').then((m) => ({baseFlags: m.downBaseFlags, flags: m.downFlags, run: m.down})),
}

/** What ctx.exit throws: the command ends with this code (oclif's ExitError). */
class LightExit extends Error {
  constructor(readonly exitCode: number) {
    super(`EEXIT: ${exitCode}`)
  }
}

/**
 * Runs `dledger ARGV` without oclif when it is a plain command line of a light command; false
 * when oclif must run it. `root` is the package's directory, `bin` its command name.
 */
export async function runLightCommand(argv: readonly string[], root: string, bin: string): Promise<boolean> {
  const id = argv[0]
  if (id === undefined || !Object.hasOwn(COMMANDS, id)) return false
  const env = process.env
  if (env.DLEDGER_DEBUG || env.DEBUG || env.DLEDGER_CONTENT_TYPE !== undefined) return false
  const [{baseFlagTable, resolveToken}, {JSON_FLAG, parseFlags}, {oclifDirs}, command] = await Promise.all([
    import('../command-context.js'),
    import('../flag-table.js'),
    import('../paths.js'),
    COMMANDS[id]!(),
  ])
  const args = argv.slice(1)
  const flags = parseFlags({...(command.baseFlags ?? baseFlagTable), ...command.flags}, args, {json: true})
  if (flags === null) return false
  const json = flags[JSON_FLAG] === true
  const dirs = oclifDirs()
  if (json && (await hasTheme(dirs.configDir))) return false // oclif colours its JSON then

  const {endOnClosedStdout} = await import('../output.js')
  endOnClosedStdout()
  const ctx: CommandContext = {
    json,
    argv: args,
    bin,
    root,
    dirs,
    log: (line) => {
      if (!json) console.log('%s', line)
    },
    logJson: (value) => console.log('%s', JSON.stringify(value, null, 2)),
    exit: (code) => {
      throw new LightExit(code)
    },
  }
  try {
    resolveToken(flags, args)
    const result = await command.run(ctx, flags as never)
    if (result && json) ctx.logJson(result)
  } catch (error) {
    // as oclif ends a command that failed: at once, lingering handles or not
    if (error instanceof LightExit) process.exit(error.exitCode)
    const {stopSpinners} = await import('../output.js')
    const {describeError, printError} = await import('../error-report.js')
    stopSpinners()
    const report = describeError(error, `${bin} ${id}`)
    printError(report, json)
    process.exit(report.exitCode)
  }
  return true
}

async function hasTheme(configDir: string): Promise<boolean> {
  const {existsSync} = await import('node:fs')
  const {join} = await import('node:path')
  return existsSync(join(configDir, 'theme.json'))
}
