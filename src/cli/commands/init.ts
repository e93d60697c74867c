import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {OperationError, UsageError} from '../errors.js'
import {memberDataDir, PREFERRED_RECORD_FILE, type DledgerPaths} from '../paths.js'
import type {Profile} from '../profile.js'
import {timingFlags} from '../timing-flags.js'

/** What `init --json` prints (the token masked). */
export interface InitResult {
  file: string
  profile: Profile
}

/** Flags that describe the cluster; giving any of them means "do not ask". */
const VALUE_FLAGS = ['peers', 'nodes', 'base-port', 'group', 'token', 'timing', 'preferred-leader']

/** `dledger init`: writes the cluster profile. */
export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Write the cluster profile: peers, group, timing, preferred leaders, token'
  static override description = `Writes <home>/profile.json, which \`start\`, \`up\`, \`status\` and the other commands read. On a terminal, without flags, it asks for each value and checks each answer at once: a bad one (a malformed or duplicate peer, a preferred leader not in peers) is asked again. With flags, or without a terminal (CI, pipes), it never asks: the peers must be given (--peers, or --nodes/--base-port for a local cluster) or it exits 2. An existing profile is only replaced with --force, and only while its cluster is stopped (\`dledger down\`): running members keep what they were started with. Replacing it drops the members' run-time preferred leaders (\`preferred set\`, \`transfer-leader --preferred\`) in this home, so the new profile's preferred leaders hold.`

  static override examples = [
    {description: 'Ask for everything (on a terminal)', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Three members on three hosts, with a token',
      command: '<%= config.bin %> <%= command.id %> --peers "n0-10.0.0.1:20911;n1-10.0.0.2:20911;n2-10.0.0.3:20911" --token "$(openssl rand -hex 16)"',
    },
    {
      description: 'A local cluster with the fast timing preset, then one terminal per member',
      command: '<%= config.bin %> <%= command.id %> --nodes 3 --timing fast && <%= config.bin %> start --id n0',
    },
  ]

  static override enableJsonFlag = true

  static override flags = {
    nodes: Flags.integer({description: 'local cluster: number of members on 127.0.0.1 (instead of --peers)', min: 1, max: 99}),
    'base-port': Flags.integer({description: 'local cluster: port of n0, member i on base+i [default: 20911]', min: 1, max: 65535}),
    group: Flags.string({description: 'group name [default: default]'}),
    force: Flags.boolean({description: 'replace an existing profile', default: false}),
    ...timingFlags,
  }

  async run(): Promise<InitResult> {
    const {resolvePaths} = await import('../paths.js')
    const {loadProfile, localPeers, memberSettings, profileTiming, redactProfile, saveProfile, settingsUsageError} = await import('../profile.js')
    const {timingOverrides} = await import('../timing-flags.js')
    const {SettingsError, parsePeers} = await import('../../core/settings.js')
    const {canPrompt} = await import('../output.js')
    const flags = this.flags
    const paths = resolvePaths(flags.home, this.config)

    const flagsGiven = this.argv.some((a) => VALUE_FLAGS.some((f) => a === `--${f}` || a.startsWith(`--${f}=`)))
    const interactive = !flagsGiven && canPrompt({json: flags.json})

    if (flags.peers !== undefined && (flags.nodes !== undefined || flags['base-port'] !== undefined))
      throw new UsageError('--peers and --nodes/--base-port both describe the members; give one of them')

    const exists = existsSync(paths.profileFile)
    if (exists && !flags.force && !interactive) {
      throw new OperationError(`a cluster profile already exists: ${paths.profileFile}`, {
        code: 'PROFILE_EXISTS',
        hint: 'pass --force to replace it',
      })
    }

    // a running cluster keeps what its members were started with: a new profile would only reach
    // the members started after it, so the cluster must be stopped first
    const previous = exists ? await loadProfile(paths).catch(() => null) : null
    if (previous !== null) await this.refuseWhileRunning(paths, previous, flags.token)

    let profile: Profile
    if (interactive) {
      profile = await this.ask({exists, file: paths.profileFile, defaultPeers: flags.peers ?? localPeers(3, 20911), token: flags.token})
    } else {
      const peers =
        flags.peers ?? (flags.nodes !== undefined || flags['base-port'] !== undefined ? localPeers(flags.nodes ?? 3, flags['base-port'] ?? 20911) : undefined)
      if (peers === undefined) {
        throw new UsageError('missing --peers: init needs the members (and cannot ask without a terminal)', {
          code: 'MISSING_VALUE',
          hint: 'pass --peers "n0-host:port;n1-host:port;…", or --nodes N [--base-port P] for a local cluster',
        })
      }
      const overrides = timingOverrides(flags)
      profile = {group: flags.group ?? 'default', peers, ...profileTiming(overrides), preferredLeaderIds: overrides.preferredLeaderIds ?? []}
      if (profile.timing === undefined) delete profile.timing
      if (flags.token !== undefined && flags.token !== '') profile.token = flags.token
    }

    // validate as a member would (first member's view; the rules do not depend on which)
    try {
      const first = parsePeers(profile.peers)[0]
      memberSettings({selfId: first.id, profile, flags: {}})
    } catch (error) {
      if (error instanceof SettingsError) throw settingsUsageError(error, {json: this.jsonEnabled()})
      throw error
    }

    await saveProfile(paths, profile)
    // the members' run-time choices (`preferred set`, `transfer-leader --preferred`) belong to the
    // old profile: the new one is the newer intent
    const members = (p: Profile | null) => (p === null ? [] : parsePeers(p.peers).map((peer) => ({group: p.group, id: peer.id})))
    const dropped = exists ? dropRunTimePreferred(paths, [...members(previous), ...members(profile)]) : []
    if (!this.jsonEnabled()) {
      this.log(`wrote cluster profile ${paths.profileFile}`)
      this.log(`  group      ${profile.group}`)
      this.log(`  peers      ${profile.peers}`)
      const overrides = Object.entries(profile.timingOverrides).map(([k, v]) => `${k}=${v}`)
      this.log(`  timing     ${profile.timing ?? 'default'}${overrides.length > 0 ? ` (${overrides.join(', ')})` : ''}`)
      this.log(`  preferred  ${profile.preferredLeaderIds.join(';') || 'none'}`)
      this.log(`  token      ${profile.token === undefined ? 'none' : 'set'}`)
      if (dropped.length > 0) this.log(`  dropped the run-time preferred leaders of ${dropped.join(', ')}`)
      const home = paths.home ? ` --home ${paths.home}` : ''
      this.log(`start each member with \`${this.config.bin} start --id <id>${home}\`, or all of them here with \`${this.config.bin} up${home}\``)
    }
    return {file: paths.profileFile, profile: redactProfile(profile)}
  }

  /** Refuses (exit 1) while members of the profile run here or answer on their addresses. */
  private async refuseWhileRunning(paths: DledgerPaths, previous: Profile, flagToken: string | undefined): Promise<void> {
    const {parsePeers} = await import('../../core/settings.js')
    const {findMembers} = await import('../local-members.js')
    const {probeCluster} = await import('../cluster-client.js')
    const peers = parsePeers(previous.peers)
    const token = flagToken ?? previous.token
    const [{running}, probes] = await Promise.all([findMembers(paths, peers, {token}), probeCluster(peers, {token, timeoutMs: 500})])
    // a 401 is an answer too: a member listens there
    const live = new Set([...running.map((r) => r.id), ...probes.filter((p) => p.ok || p.httpStatus === 401).map((p) => p.peer.id)])
    if (live.size === 0) return
    throw new OperationError(`the cluster of ${paths.profileFile} is running (${[...live].sort().join(', ')} answer); a new profile would not reach its members`, {
      code: 'CLUSTER_RUNNING',
      hint: 'stop it first with `dledger down` (members on other hosts: stop them there), then run init again',
    })
  }

  /**
   * The interactive path: one question per value, on stderr so stdout stays clean. Each answer is
   * checked as soon as it is given (with the answers before it), so a bad one is asked again on the
   * spot instead of failing the whole profile after the last question.
   */
  private async ask(opts: {exists: boolean; file: string; defaultPeers: string; token?: string}): Promise<Profile> {
    const prompts = await import('@inquirer/prompts')
    const {parsePeers, parsePreferredLeaderIds, SettingsError, TIMING_PRESETS} = await import('../../core/settings.js')
    const {memberSettings} = await import('../profile.js')
    const ctx = {output: process.stderr}
    /** true, or every problem of the profile so far on one line (inquirer shows it and asks again) */
    const check = (profile: Profile): true | string => {
      try {
        memberSettings({selfId: parsePeers(profile.peers)[0].id, profile, flags: {}})
        return true
      } catch (error) {
        if (error instanceof SettingsError) return error.problems.join('; ')
        throw error
      }
    }
    const draft: Profile = {group: 'default', peers: '', timingOverrides: {}, preferredLeaderIds: []}
    try {
      if (opts.exists && !(await prompts.confirm({message: `Replace the existing profile ${opts.file}?`, default: false}, ctx))) {
        throw new OperationError('kept the existing profile', {code: 'CANCELLED'})
      }
      draft.peers = (
        await prompts.input({message: 'Peers (id-host:port joined by ";")', default: opts.defaultPeers, validate: (v) => check({...draft, peers: v.trim()})}, ctx)
      ).trim()
      draft.group = (await prompts.input({message: 'Group', default: 'default', validate: (v) => check({...draft, group: v.trim()})}, ctx)).trim()
      const timing = await prompts.select(
        {
          message: 'Timing',
          choices: Object.keys(TIMING_PRESETS).map((name) => ({
            name,
            value: name,
            description: name === 'fast' ? 'heartbeat 100 ms: local experiments and tests' : "DLedger's defaults: heartbeat 2000 ms",
          })),
        },
        ctx,
      )
      if (timing !== 'default') draft.timing = timing
      const preferred = await prompts.input(
        {
          message: 'Preferred leaders, ";"-separated (empty for none)',
          default: '',
          validate: (v) => check({...draft, preferredLeaderIds: parsePreferredLeaderIds(v)}),
        },
        ctx,
      )
      draft.preferredLeaderIds = parsePreferredLeaderIds(preferred)
      const token = opts.token ?? (await prompts.password({message: 'Cluster token (empty for none)', mask: '*'}, ctx))
      if (token !== '') draft.token = token
      return draft
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError') this.exit(130)
      throw error
    }
  }
}

/** Removes the run-time preferred-leader records of these profiles' members in this home; returns their ids. */
function dropRunTimePreferred(paths: DledgerPaths, members: {group: string; id: string}[]): string[] {
  const dropped = new Set<string>()
  for (const {group, id} of members) {
    const file = join(memberDataDir(paths, group, id), PREFERRED_RECORD_FILE)
    if (!existsSync(file)) continue
    rmSync(file, {force: true})
    dropped.add(id)
  }
  return [...dropped].sort()
}
