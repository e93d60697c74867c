/**
 * What a command's logic needs from whoever runs it, oclif (BaseCommand.context()) or the light
 * path (light/run-light.ts), and the pieces every command shares that need no oclif: the global
 * flags' table, the token they resolve to, the cluster a member command talks to. A command's
 * logic is one function over a CommandContext and its parsed flags (src/cli/actions/), so both ways
 * of running it do the same thing.
 */
import {readFileSync} from 'node:fs'

import type {ClusterStatus} from './cluster-client.js'
import {UsageError} from './errors.js'
import {integerFlag, stringFlag} from './flag-table.js'
import type {DledgerPaths, OclifDirs} from './paths.js'
import type {ResolvedCluster} from './profile.js'

export interface CommandContext {
  /** `--json` is on: log() is silent, the result is printed as JSON */
  json: boolean
  /** the words after the command id */
  argv: readonly string[]
  /** `dledger` */
  bin: string
  /** the package's root directory (bin/run.js is there) */
  root: string
  dirs: OclifDirs
  /** one line on stdout, unless --json (oclif's this.log) */
  log(line: string): void
  /** pretty JSON on stdout (oclif's this.logJson) */
  logJson(value: unknown): void
  /** ends the command with this exit code (oclif's this.exit: throws) */
  exit(code: number): never
}

/** Shared by every command; shown under GLOBAL FLAGS in help. */
export const baseFlagTable = {
  home: stringFlag({
    description: 'dledger home directory (cluster config and member data)',
    env: 'DLEDGER_HOME',
    helpGroup: 'GLOBAL',
  }),
  peers: stringFlag({
    description: 'cluster members, DLedger style: id-host:port joined by ";" (e.g. "n0-127.0.0.1:7001;n1-127.0.0.1:7002")',
    env: 'DLEDGER_PEERS',
    helpGroup: 'GLOBAL',
  }),
  token: stringFlag({
    description: 'shared cluster token sent to members; visible in the process list, so prefer --token-file, DLEDGER_TOKEN or the profile',
    env: 'DLEDGER_TOKEN',
    helpGroup: 'GLOBAL',
  }),
  'token-file': stringFlag({
    description: 'read the shared cluster token from this file (its first line); keeps it out of the process list',
    helpGroup: 'GLOBAL',
  }),
}

/** The global flags' values. */
export interface GlobalFlagValues {
  home?: string
  peers?: string
  token?: string
  'token-file'?: string
}

/** `--timeout` of the commands that ask each member once: the per-member answer deadline. */
export const answerTimeoutFlag = (defaultMs = 500) =>
  integerFlag({description: "milliseconds to wait for each member's answer", default: defaultMs, min: 1})

/** `--probe-timeout`: the per-member status deadline of the commands that also have a whole-operation --timeout. */
export const probeTimeoutFlag = () => integerFlag({description: "milliseconds to wait for each member's status answer", default: 500, min: 1, hidden: true})

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

/**
 * The token never needs to be on a command line (issue 7): `--token-file` replaces `--token`
 * (sets flags.token); a `--token` given anyway still works, with a warning, since every user can
 * read it in `ps`.
 */
export function resolveToken(flags: {token?: string; 'token-file'?: string}, argv: readonly string[]): void {
  const onArgv = argv.some((a) => a === '--token' || a.startsWith('--token='))
  const file = flags['token-file']
  if (file !== undefined) {
    if (onArgv) throw new UsageError('give the token once: --token or --token-file, not both', {code: 'INVALID_FLAGS'})
    flags.token = readTokenFile(file)
    return
  }
  if (onArgv) console.error('%s', 'Warning: --token shows the token to every user of this machine (ps); use --token-file FILE, DLEDGER_TOKEN or the profile instead')
}

/** The home's paths (--home, DLEDGER_HOME or the default). */
export async function commandPaths(ctx: CommandContext, flags: GlobalFlagValues): Promise<DledgerPaths> {
  const {resolvePaths} = await import('./paths.js')
  return resolvePaths(flags.home, ctx.dirs)
}

/** The cluster to talk to: --peers wins over the profile in the home; a UsageError with neither. */
export async function commandCluster(ctx: CommandContext, flags: GlobalFlagValues, paths?: DledgerPaths): Promise<ResolvedCluster> {
  const {resolveCluster} = await import('./profile.js')
  return resolveCluster(flags, paths ?? (await commandPaths(ctx, flags)))
}

/**
 * Warns (stderr, human output only) when the members prefer another leader than `leaderId`:
 * while it is live and caught up, the leader hands leadership back there (checkPreferredLeader).
 * `advice` follows in parentheses.
 */
export async function warnPreferredElsewhere(ctx: CommandContext, status: ClusterStatus, leaderId: string, advice?: string): Promise<void> {
  if (ctx.json) return
  const {preferredElsewhere} = await import('./leadership.js')
  const {warn} = await import('./output.js')
  const others = preferredElsewhere(status, leaderId)
  if (others.length > 0)
    warn(`the members prefer ${others.join(' / ')} as leader: while it is live and caught up, leadership moves back there within about a second${advice ? ` (${advice})` : ''}`)
}
