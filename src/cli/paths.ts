/**
 * Where dledger keeps things on this machine. One home holds a cluster profile, member data, the
 * run records `dledger up` writes and the members' logs:
 *
 * ```
 * <home>/profile.json            the cluster profile (conf, JSON schema)
 * <home>/data/<group>/<id>/      a member's data directory (spec §2)
 * <home>/run/<id>.json           {pid, id, port, startedAt, logFile} of a member `up` or `start` started
 * <home>/logs/<id>.log           stdout/stderr of a member `up` started
 * ```
 *
 * The home is `--home`, else `DLEDGER_HOME` (both arrive as the `--home` flag, which reads the
 * env var), else oclif's directories: the profile in `config.configDir` (`~/.config/dledger`),
 * everything else in `config.dataDir` (`~/.local/share/dledger`).
 */
import {homedir} from 'node:os'
import {join} from 'node:path'

import {plainNameProblem} from '../core/settings.js'
import {UsageError} from './errors.js'

/** The directories of one home. */
export interface DledgerPaths {
  /** the home given by --home/DLEDGER_HOME, or null when oclif's defaults are used */
  home: string | null
  /** directory of profile.json */
  configDir: string
  /** root of data/, run/ and logs/ */
  stateDir: string
  profileFile: string
  dataRoot: string
  runDir: string
  logDir: string
}

/** The directories oclif resolves for the CLI (`this.config.configDir` / `dataDir`). */
export interface OclifDirs {
  configDir: string
  dataDir: string
}

/** Resolves the layout: an explicit home wins, else oclif's config and data dirs. */
export function resolvePaths(home: string | undefined | null, dirs: OclifDirs): DledgerPaths {
  const explicit = home !== undefined && home !== null && home !== '' ? home : null
  const configDir = explicit ?? dirs.configDir
  const stateDir = explicit ?? dirs.dataDir
  return {
    home: explicit,
    configDir,
    stateDir,
    profileFile: join(configDir, 'profile.json'),
    dataRoot: join(stateDir, 'data'),
    runDir: join(stateDir, 'run'),
    logDir: join(stateDir, 'logs'),
  }
}

/** A member's data directory: `<home>/data/<group>/<id>/` (spec §2). */
export function memberDataDir(paths: DledgerPaths, group: string, id: string): string {
  return join(paths.dataRoot, plainName(group, 'group'), plainName(id, 'id'))
}

/**
 * A group name or id that is about to become part of a path, checked once more here: whatever
 * path it came in by, it never leads outside the home (issue 7).
 */
function plainName(name: string, kind: 'group' | 'id'): string {
  const problem = plainNameProblem(name, kind)
  if (problem !== null) throw new UsageError(problem, {code: 'INVALID_NAME'})
  return name
}

/** A member's run-time preferred-leader record in its data directory (src/node/preferred-store.ts writes it). */
export const PREFERRED_RECORD_FILE = 'preferred.json'

/** The run record of a member started by `dledger up` or `dledger start`. */
export function runRecordFile(paths: DledgerPaths, id: string): string {
  return join(paths.runDir, `${plainName(id, 'id')}.json`)
}

/** The log file of a member started by `dledger up`. */
export function memberLogFile(paths: DledgerPaths, id: string): string {
  return join(paths.logDir, `${plainName(id, 'id')}.log`)
}

/** How a command names its home in messages: the directory, or "the default home (…)". */
export function describeHome(paths: DledgerPaths): string {
  return paths.home ?? paths.configDir
}

/** oclif's directories for dledger (Config: `DLEDGER_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dledger` or `~/.config/dledger`; data alike). */
export function oclifDirs(env: NodeJS.ProcessEnv = process.env): OclifDirs {
  const home = env.HOME || homedir()
  return {
    configDir: env.DLEDGER_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(home, '.config'), 'dledger'),
    dataDir: env.DLEDGER_DATA_DIR || join(env.XDG_DATA_HOME || join(home, '.local/share'), 'dledger'),
  }
}
