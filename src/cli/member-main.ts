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
import {homedir} from 'node:os'
import {join} from 'node:path'

import {TIMING_PRESETS} from '../core/settings.js'
import type {OclifDirs} from './paths.js'
import {TIMING_FLAG_KEYS, type TimingFlagValues} from './timing-overrides.js'

/** The parsed flags of `dledger start` (global ones included). */
export interface StartFlags extends TimingFlagValues {
  id: string
  group?: string
  'data-dir'?: string
  'on-role-change'?: string
  handoff: boolean
  'accept-rolled-back-state': boolean
  home?: string
  peers?: string
  token?: string
}

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

/** oclif's directories for dledger (Config: `DLEDGER_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dledger` or `~/.config/dledger`; data alike). */
export function oclifDirs(env: NodeJS.ProcessEnv = process.env): OclifDirs {
  const home = env.HOME || homedir()
  return {
    configDir: env.DLEDGER_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(home, '.config'), 'dledger'),
    dataDir: env.DLEDGER_DATA_DIR || join(env.XDG_DATA_HOME || join(home, '.local/share'), 'dledger'),
  }
}

const STRING_FLAGS = new Set(['id', 'group', 'data-dir', 'on-role-change', 'home', 'peers', 'timing', 'preferred-leader'])
const INTEGER_FLAGS = new Set<string>(Object.keys(TIMING_FLAG_KEYS))
const BOOLEAN_FLAGS: Record<string, [name: 'handoff' | 'accept-rolled-back-state', value: boolean]> = {
  '--handoff': ['handoff', true],
  '--no-handoff': ['handoff', false],
  '--accept-rolled-back-state': ['accept-rolled-back-state', true],
}
/** The string flags that read an environment variable when not given (BaseCommand.baseFlags). */
const ENV_FLAGS = {home: 'DLEDGER_HOME', peers: 'DLEDGER_PEERS', token: 'DLEDGER_TOKEN'} as const

/**
 * The flags of a plain `start` command line, as oclif would parse them, or null when oclif must
 * parse it (help, `--token`/`--token-file` with their warning and checks, anything unknown,
 * repeated or invalid).
 */
export function parseStartArgv(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StartFlags | null {
  const given: Record<string, string | number | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (Object.hasOwn(BOOLEAN_FLAGS, arg)) {
      const [name, value] = BOOLEAN_FLAGS[arg]!
      if (name in given) return null
      given[name] = value
      continue
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg)
    if (m === null) return null
    const name = m[1]!
    if (!STRING_FLAGS.has(name) && !INTEGER_FLAGS.has(name)) return null
    if (name in given) return null
    let value = m[2]
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || value.startsWith('-')) return null
    }
    if (value === '') return null
    if (INTEGER_FLAGS.has(name)) {
      if (!/^[1-9][0-9]{0,14}$/.test(value)) return null
      given[name] = Number(value)
    } else if (name === 'timing') {
      if (!Object.hasOwn(TIMING_PRESETS, value.toLowerCase())) return null
      given[name] = value.toLowerCase()
    } else {
      given[name] = value
    }
  }
  if (typeof given.id !== 'string') return null
  for (const [name, variable] of Object.entries(ENV_FLAGS)) if (!(name in given) && env[variable]) given[name] = env[variable]
  return {handoff: true, 'accept-rolled-back-state': false, ...given} as unknown as StartFlags
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
    const {describeError, printError} = await import('./base-command.js')
    const report = describeError(error, 'dledger start')
    printError(report, false)
    process.exit(report.exitCode) // as oclif does after an error: lingering handles do not keep a failed member up
  }
  return true
}
