/**
 * One member in the foreground: what `dledger start` runs, shared by the oclif command
 * (commands/start.ts) and bin/run.js's light path, which runs a member without loading the
 * command framework (issue 13: a member spawned by `up` boots in about half the time and idles in
 * less memory). The light path reads only the flags `start` declares, in their plain forms; on
 * anything else (`--help`, an unknown or repeated flag, a value oclif would reject or that needs
 * its own message) it declines, and oclif parses the command line as always, errors included.
 *
 * Nothing here imports @oclif/core or ws at the top: the member's modules load inside
 * runStart().
 */
import {baseFlagTable, type GlobalFlagValues} from './command-context.js'
import {booleanFlag, type FlagValues, parseFlags, stringFlag} from './flag-table.js'
import {memberFlagTable} from './member-flags.js'
import {oclifDirs, type OclifDirs} from './paths.js'
import {timingFlagTable} from './timing-overrides.js'

/** The flags of `dledger start` (its oclif command builds its own from this table). */
export const startFlags = {
  id: stringFlag({description: 'the id of this member in the peers list', required: true}),
  group: stringFlag({description: 'group name [default: the profile\'s, else "default"]'}),
  'data-dir': stringFlag({description: 'data directory [default: <home>/data/<group>/<id>]'}),
  ...memberFlagTable,
  handoff: booleanFlag({
    description: 'on a clean stop (SIGINT, SIGTERM), a leader first hands leadership to its most caught-up live follower',
    default: true,
    allowNo: true,
  }),
  'accept-rolled-back-state': booleanFlag({
    description: 'start even though the vote log shows a newer term or vote than the term/vote record (restored from an old copy, or lost); only if this member may vote again in those terms',
    default: false,
  }),
  ...timingFlagTable,
}

/** The parsed flags of `dledger start` (global ones included). */
export type StartFlags = FlagValues<typeof startFlags> & GlobalFlagValues

/** Runs member `flags.id` until it stops: SIGINT/SIGTERM (clean), or a fail-stop (an OperationError). */
export async function runStart(flags: StartFlags, dirs: OclifDirs, log: (line: string) => void): Promise<void> {
  const {resolvePaths, memberDataDir} = await import('./paths.js')
  const {loadProfile, memberSettings, settingsUsageError} = await import('./profile.js')
  const {timingOverrides} = await import('./timing-overrides.js')
  const {SettingsError} = await import('../core/settings.js')
  const {OperationError} = await import('./errors.js')
  const paths = resolvePaths(flags.home, dirs)

  // settings first: nothing listens until they are valid (spec S3)
  const profile = flags.peers === undefined ? await loadProfile(paths) : null
  let settings
  try {
    settings = memberSettings({selfId: flags.id, profile, peers: flags.peers, group: flags.group, flags: timingOverrides(flags)})
  } catch (error) {
    if (error instanceof SettingsError) {
      const noPeers = profile === null && flags.peers === undefined
      throw settingsUsageError(error, {
        hint: noPeers ? `no cluster profile in ${paths.home ?? paths.configDir}; run \`dledger init\` or pass --peers` : undefined,
      })
    }
    throw error
  }
  const token = flags.token ?? profile?.token
  const dataDir = flags['data-dir'] ?? memberDataDir(paths, settings.group, settings.selfId)

  const {startMember, StartupError} = await import('../node/member.js')
  const {runUntilStopped} = await import('../node/run-until-stopped.js')
  const {createLogger} = await import('../node/logger.js')
  const memberLog = createLogger({name: settings.selfId})
  let member
  try {
    member = await startMember({settings, dataDir, token, onRoleChange: flags['on-role-change'], acceptRolledBackState: flags['accept-rolled-back-state'], log: memberLog})
  } catch (error) {
    if (error instanceof StartupError && error.code === 'EADDRINUSE') {
      // say who holds the port: this very member started before, another member, or a connection
      const {whyPortInUse} = await import('./port-owner.js')
      const why = await whyPortInUse(settings.peers.find((p) => p.id === settings.selfId)!, {token})
      throw new OperationError(why.problem, {code: 'PORT_IN_USE', hint: why.hint})
    }
    if (error instanceof StartupError) throw new OperationError(error.message, {code: 'STARTUP_FAILED', hint: error.hint})
    throw error
  }

  const self = settings.peers.find((p) => p.id === settings.selfId)
  log(`${settings.selfId} listening on ${self?.host}:${member.port} (group ${settings.group}, term ${member.status().term}, data ${dataDir})`)
  // recorded like the members `up` spawns, so `down` and `up` know it runs
  const {recordSelf} = await import('./local-members.js')
  const forget = recordSelf(paths, {id: settings.selfId, port: member.port, address: `${self?.host}:${member.port}`})

  // until SIGINT/SIGTERM (a clean stop; a second signal exits at once) or a fail-stop
  let code: number
  try {
    code = await runUntilStopped(member, {log: memberLog, handoff: flags.handoff})
  } finally {
    forget()
  }
  if (code !== 0) {
    const cause = await member.closed
    throw new OperationError(`${settings.selfId} stopped: ${cause?.message ?? 'fail-stop'}`, {code: 'MEMBER_FAILED'})
  }
  // the member closed its sockets and timers; should anything linger, do not hang on it
  setTimeout(() => process.exit(0), 2000).unref()
}

/**
 * The flags of a plain `start` command line, as oclif would parse them, or null when oclif must
 * parse it (help, `--token`/`--token-file` with their warning and checks, anything unknown,
 * repeated or invalid).
 */
export function parseStartArgv(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StartFlags | null {
  if (argv.some((a) => /^--token(-file)?(=|$)/.test(a))) return null
  return parseFlags({...baseFlagTable, ...startFlags}, argv, {env}) as unknown as StartFlags | null
}

/**
 * bin/run.js's light path for `dledger start ARGS`: false when oclif must run the command instead;
 * otherwise runs the member and sets the exit code as BaseCommand would (its errors print the
 * one way every dledger error looks, through BaseCommand's printer, loaded only then).
 */
export async function runMemberFromArgv(argv: readonly string[]): Promise<boolean> {
  // debugging asks for oclif's extras (stack traces of unexpected errors): oclif runs it then
  if (process.env.DLEDGER_DEBUG || process.env.DEBUG) return false
  const flags = parseStartArgv(argv)
  if (flags === null) return false
  const {endOnClosedStdout} = await import('./output.js')
  endOnClosedStdout()
  try {
    await runStart(flags, oclifDirs(), (line) => console.log(line))
  } catch (error) {
    const {describeError, printError} = await import('./error-report.js')
    const report = describeError(error, 'dledger start')
    printError(report, false)
    process.exit(report.exitCode) // as oclif does after an error: lingering handles do not keep a failed member up
  }
  return true
}
