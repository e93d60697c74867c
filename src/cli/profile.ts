/**
 * The cluster profile: the one place the CLI keeps what a cluster is (group, peers, timing,
 * preferred leaders, token), stored with conf in `<home>/profile.json`, and the one loader that
 * turns flags + profile into what a command needs.
 *
 * Precedence (spec §4): `--peers` names a cluster of its own, so when it is given the profile is
 * not read at all; otherwise the profile describes the cluster. The token is `--token`, else
 * `DLEDGER_TOKEN` (both arrive as the `--token` flag), else the profile's.
 */
import {readFileSync, rmSync} from 'node:fs'

import {
  buildSettings,
  parsePeers,
  plainNameProblem,
  SettingsError,
  TIMING_KEYS,
  TIMING_PRESETS,
  type Peer,
  type Settings,
  type Timing,
} from '../core/settings.js'
import type {NodeId} from '../core/types.js'
import {UsageError} from './errors.js'
import type {DledgerPaths} from './paths.js'
import type {TimingOverrides} from './timing-flags.js'

/** `n0-127.0.0.1:P;n1-127.0.0.1:P+1;…`: the peers of a local cluster. */
export function localPeers(nodes: number, basePort: number, host = '127.0.0.1'): string {
  return Array.from({length: nodes}, (_, i) => `n${i}-${host}:${basePort + i}`).join(';')
}

/** What `profile.json` holds. */
export interface Profile {
  group: string
  /** DLedger's peers string: `n0-127.0.0.1:20911;n1-127.0.0.1:20912` */
  peers: string
  /** a timing preset name (TIMING_PRESETS); absent = DLedger's defaults */
  timing?: string
  /** individual timing settings over the preset */
  timingOverrides: Partial<Timing>
  /** priority order; empty = no preferred leader */
  preferredLeaderIds: NodeId[]
  token?: string
}

/**
 * Every problem with a parsed profile, one message each. Reading the profile is a plain JSON parse
 * plus this check, so read-only commands never load conf (and its ajv, ~80 ms); conf only writes.
 */
function profileProblems(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ['it is not a JSON object']
  const r = raw as Record<string, unknown>
  const problems: string[] = []
  const nonEmpty = (v: unknown) => typeof v === 'string' && v !== ''
  if (r.group !== undefined && !nonEmpty(r.group)) problems.push('"group" must be a non-empty string')
  else if (typeof r.group === 'string' && plainNameProblem(r.group, 'group') !== null) problems.push(`"group": ${plainNameProblem(r.group, 'group')}`)
  if (r.peers === undefined) problems.push('it has no "peers"')
  else if (!nonEmpty(r.peers)) problems.push('"peers" must be a non-empty string')
  if (r.timing !== undefined && !(typeof r.timing === 'string' && r.timing in TIMING_PRESETS))
    problems.push(`"timing" must be one of ${Object.keys(TIMING_PRESETS).join(', ')}`)
  if (r.timingOverrides !== undefined) {
    const o = r.timingOverrides
    if (typeof o !== 'object' || o === null || Array.isArray(o)) problems.push('"timingOverrides" must be an object')
    else
      for (const [key, value] of Object.entries(o)) {
        if (!(TIMING_KEYS as string[]).includes(key)) problems.push(`"timingOverrides" has an unknown key "${key}"`)
        else if (!Number.isInteger(value) || (value as number) < 1) problems.push(`"timingOverrides.${key}" must be an integer >= 1`)
      }
  }
  if (r.preferredLeaderIds !== undefined && !(Array.isArray(r.preferredLeaderIds) && r.preferredLeaderIds.every(nonEmpty)))
    problems.push('"preferredLeaderIds" must be a list of member ids')
  if (r.token !== undefined && !nonEmpty(r.token)) problems.push('"token" must be a non-empty string')
  return problems
}

function invalidProfile(file: string, reason: string): UsageError {
  return new UsageError(`the cluster profile ${file} is invalid: ${reason}`, {
    code: 'PROFILE_INVALID',
    hint: 'fix the file, or write a new one with `dledger init --force`',
  })
}

/**
 * Imports conf (ESM-only, loads ajv: ~80 ms, so only when a profile is read or written) without
 * the signal hooks it brings: its atomic writer (atomically → when-exit) hooks SIGINT, SIGTERM and
 * a dozen more at import and re-raises each signal after its cleanup, so a command with its own
 * signal handling (`start`, `status --watch`) would see every Ctrl-C or SIGTERM twice. That
 * cleanup only guards async writes; conf writes synchronously, so the hooks are removed.
 */
async function importConf() {
  const {constants} = await import('node:os')
  const signals = Object.keys(constants.signals) as NodeJS.Signals[]
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]))
  const {default: Conf} = await import('conf')
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.removeListener(s, l)
  return Conf
}

/**
 * Starts loading the writer (conf) now, for a command that will save the profile after some I/O
 * of its own (`up` checks ports first), so the load overlaps that I/O. Concurrent loads are safe:
 * each removes the signal hooks that appeared while it waited.
 */
export function preloadProfileWriter(): void {
  importConf().catch(() => undefined)
}

async function openStore(paths: DledgerPaths) {
  const Conf = await importConf()
  return new Conf<Record<string, unknown>>({
    cwd: paths.configDir,
    configName: 'profile',
    clearInvalidConfig: false,
    accessPropertiesByDotNotation: false,
    // the profile may hold the cluster token
    configFileMode: 0o600,
  })
}

/** Reads the profile, or null when there is none. A broken file is a UsageError naming it. */
export async function loadProfile(paths: DledgerPaths): Promise<Profile | null> {
  let text: string
  try {
    text = readFileSync(paths.profileFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw invalidProfile(paths.profileFile, `it cannot be read (${(error as Error).message})`)
  }
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw invalidProfile(paths.profileFile, `it is not valid JSON (${(error as Error).message})`)
  }
  const problems = profileProblems(raw)
  if (problems.length > 0) throw invalidProfile(paths.profileFile, problems.join('; '))
  const profile: Profile = {
    group: typeof raw.group === 'string' ? raw.group : 'default',
    peers: raw.peers as string,
    timingOverrides: (raw.timingOverrides as Partial<Timing> | undefined) ?? {},
    preferredLeaderIds: (raw.preferredLeaderIds as NodeId[] | undefined) ?? [],
  }
  if (typeof raw.timing === 'string') profile.timing = raw.timing
  if (typeof raw.token === 'string') profile.token = raw.token
  try {
    parsePeers(profile.peers)
  } catch (error) {
    if (error instanceof SettingsError) throw invalidProfile(paths.profileFile, error.problems.join('; '))
    throw error
  }
  return profile
}

/** Writes the profile atomically (conf: temp file, fsync, rename), mode 0600. */
export async function saveProfile(paths: DledgerPaths, profile: Profile): Promise<void> {
  let store: Awaited<ReturnType<typeof openStore>>
  try {
    store = await openStore(paths)
  } catch {
    // conf cannot open a file that is not JSON; it is about to be replaced whole anyway
    rmSync(paths.profileFile, {force: true})
    store = await openStore(paths)
  }
  const data: Record<string, unknown> = {
    group: profile.group,
    peers: profile.peers,
    timingOverrides: profile.timingOverrides,
    preferredLeaderIds: profile.preferredLeaderIds,
  }
  if (profile.timing !== undefined) data.timing = profile.timing
  if (profile.token !== undefined) data.token = profile.token
  const problems = profileProblems(data)
  if (problems.length > 0) throw invalidProfile(paths.profileFile, problems.join('; '))
  store.store = data
}

/** The profile as it may be shown: the token masked. */
export function redactProfile(profile: Profile): Profile {
  return profile.token === undefined ? profile : {...profile, token: '***'}
}

/** Splits timing flag overrides into the profile's two timing fields. */
export function profileTiming(overrides: TimingOverrides): Pick<Profile, 'timing' | 'timingOverrides'> {
  const timingOverrides: Partial<Timing> = {}
  for (const key of TIMING_KEYS) if (overrides[key] !== undefined) timingOverrides[key] = overrides[key]
  return overrides.timing === undefined ? {timingOverrides} : {timing: overrides.timing, timingOverrides}
}

/**
 * A member's settings: the profile (if any) under the flags. `--peers` names a cluster of its own,
 * so with it the profile is not used; a `--timing` flag replaces the profile's timing (preset and
 * overrides); individual timing flags override either. Throws SettingsError, one message per problem.
 */
export function memberSettings(input: {
  selfId: NodeId
  profile: Profile | null
  peers?: string
  group?: string
  flags: TimingOverrides
}): Settings {
  const {flags} = input
  const profile = input.peers === undefined ? input.profile : null
  const peers = input.peers ?? profile?.peers
  if (peers === undefined) throw new SettingsError(['no peers: pass --peers, or write a cluster profile with `dledger init` or `dledger up`'])
  const fromProfile = profile !== null && flags.timing === undefined
  const {timing: _preset, preferredLeaderIds: flagPreferred, ...flagTiming} = flags
  return buildSettings({
    selfId: input.selfId,
    peers,
    group: input.group ?? profile?.group,
    timing: flags.timing ?? (fromProfile ? profile.timing : undefined),
    ...(fromProfile ? profile.timingOverrides : {}),
    ...flagTiming,
    preferredLeaderIds: flagPreferred ?? profile?.preferredLeaderIds ?? [],
  })
}

/** What a client command needs to talk to a cluster. */
export interface ResolvedCluster {
  peers: Peer[]
  /** the profile's group; null with `--peers` (then the members say which group they are in) */
  group: string | null
  token: string | undefined
  /** where the cluster came from */
  source: 'peers-flag' | 'profile'
  profile: Profile | null
  /** the profile's preferred leaders (empty with --peers) */
  preferredLeaderIds: NodeId[]
  /** the profile's resolved timing (DLedger's defaults with --peers) */
  timing: Timing
}

/** Resolves the timing a profile describes (preset + overrides). */
export function resolvedTiming(profile: Profile | null): Timing {
  const preset = TIMING_PRESETS[profile?.timing ?? 'default'] ?? TIMING_PRESETS.default
  return {...preset, ...(profile?.timingOverrides ?? {})}
}

/**
 * The cluster a client command talks to: `--peers` wins over the profile; with neither, a
 * UsageError that says how to get one.
 */
export async function resolveCluster(flags: {peers?: string; token?: string}, paths: DledgerPaths): Promise<ResolvedCluster> {
  if (flags.peers !== undefined) {
    let peers: Peer[]
    try {
      peers = parsePeers(flags.peers)
    } catch (error) {
      if (error instanceof SettingsError) throw new UsageError(`--peers: ${error.problems.join('; ')}`)
      throw error
    }
    return {peers, group: null, token: flags.token, source: 'peers-flag', profile: null, preferredLeaderIds: [], timing: resolvedTiming(null)}
  }
  const profile = await loadProfile(paths)
  if (profile === null) {
    throw new UsageError(`no cluster profile in ${paths.home ?? paths.configDir}; run \`dledger up\` or \`dledger init\`, or pass --peers`, {
      code: 'NO_PROFILE',
    })
  }
  return {
    peers: parsePeers(profile.peers),
    group: profile.group,
    token: flags.token ?? profile.token,
    source: 'profile',
    profile,
    preferredLeaderIds: profile.preferredLeaderIds,
    timing: resolvedTiming(profile),
  }
}

/** Turns a SettingsError into usage output: every problem but the last printed as its own `Error:` line, the last thrown. */
export function settingsUsageError(error: SettingsError, opts: {json?: boolean; hint?: string} = {}): UsageError {
  const problems = error.problems.length > 0 ? error.problems : [error.message]
  if (opts.json) return new UsageError(problems.join('; '), {code: 'INVALID_SETTINGS', hint: opts.hint})
  for (const p of problems.slice(0, -1)) console.error('%s', `Error: ${p}`)
  return new UsageError(problems.at(-1) as string, {code: 'INVALID_SETTINGS', hint: opts.hint})
}
