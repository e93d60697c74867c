import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {ClusterStatus} from '../cluster-client.js'
import {OperationError, UsageError} from '../errors.js'
import type {Profile} from '../profile.js'
import {timingFlags} from '../timing-flags.js'

const DEFAULT_NODES = 3
const DEFAULT_BASE_PORT = 20911

/** `dledger up`: a local cluster in the background. */
export default class Up extends BaseCommand<typeof Up> {
  static override summary = 'Start a local cluster in the background and wait for a leader'
  static override description = `Writes the cluster profile if there is none yet (ids n0…, addresses 127.0.0.1:BASE+i), spawns one detached \`dledger start\` per member (data under <home>/data, output in <home>/logs/<id>.log, PIDs in <home>/run; all readable by the owner only), waits until a leader is elected and prints the status table.

With an existing profile, \`up\` starts the members it lists; flags such as --nodes, --base-port, --peers (members on this machine with ids and ports of your choice), --group, --timing or --token-file (or --token) rewrite the profile first. The members read the token from the profile (mode 0600), never from their command line. It refuses while members of this home still run (\`dledger down\` stops them) and when a port is taken by another process.`

  static override examples = [
    {description: 'Three members on 127.0.0.1:20911-20913', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Five members with the fast timing preset', command: '<%= config.bin %> <%= command.id %> --nodes 5 --timing fast'},
    {
      description: 'Another port range, a token, n2 preferred as leader',
      command: '<%= config.bin %> <%= command.id %> --base-port 7001 --token-file cluster.token --preferred-leader n2',
    },
    {description: 'A second, separate cluster in its own home', command: '<%= config.bin %> <%= command.id %> --home /tmp/dl2 --base-port 21911'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    nodes: Flags.integer({description: `number of members [default: ${DEFAULT_NODES}]`, min: 1, max: 99}),
    'base-port': Flags.integer({description: `port of n0; member i listens on base+i [default: ${DEFAULT_BASE_PORT}]`, min: 1, max: 65535}),
    group: Flags.string({description: 'group name [default: default]'}),
    wait: Flags.integer({description: 'milliseconds to wait for a leader', default: 15000, min: 0}),
    ...timingFlags,
  }

  async run(): Promise<ClusterStatus> {
    const {resolvePaths} = await import('../paths.js')
    const {localPeers, loadProfile, saveProfile, memberSettings, profileTiming, settingsUsageError} = await import('../profile.js')
    const {timingOverrides} = await import('../timing-flags.js')
    const {SettingsError, parsePeers} = await import('../../core/settings.js')
    const local = await import('../local-members.js')
    const flags = this.flags
    const paths = resolvePaths(flags.home, this.config)

    // 1. refuse while members of this home still run
    const running = local.liveMembers(paths)
    if (running.length > 0) {
      throw new OperationError(`already running: ${running.map((r) => `${r.id} (pid ${r.pid})`).join(', ')}; run \`dledger down\` first`, {
        code: 'ALREADY_RUNNING',
      })
    }

    // 2. the profile: write it if missing, rewrite it if flags reshape the cluster
    const overrides = timingOverrides(flags)
    const existing = await loadProfile(paths)
    const tokenGiven = this.argv.some((a) => a === '--token' || a.startsWith('--token=') || a === '--token-file' || a.startsWith('--token-file='))
    if (flags.peers !== undefined && (flags.nodes !== undefined || flags['base-port'] !== undefined))
      throw new UsageError('--peers and --nodes/--base-port both describe the members; give one of them')
    const reshaping =
      flags.peers !== undefined ||
      flags.nodes !== undefined ||
      flags['base-port'] !== undefined ||
      flags.group !== undefined ||
      Object.keys(overrides).length > 0 ||
      tokenGiven
    let profile: Profile
    let profileNote: string
    if (existing === null || reshaping) {
      const nodes = flags.nodes ?? (existing ? parsePeers(existing.peers).length : DEFAULT_NODES)
      const basePort = flags['base-port'] ?? (existing ? parsePeers(existing.peers)[0].port : DEFAULT_BASE_PORT)
      const keepPeers = existing !== null && flags.peers === undefined && flags.nodes === undefined && flags['base-port'] === undefined
      const timing = overrides.timing !== undefined || Object.keys(profileTiming(overrides).timingOverrides).length > 0
      profile = {
        group: flags.group ?? existing?.group ?? 'default',
        peers: flags.peers ?? (keepPeers ? existing.peers : localPeers(nodes, basePort)),
        ...(timing ? profileTiming(overrides) : {timing: existing?.timing, timingOverrides: existing?.timingOverrides ?? {}}),
        preferredLeaderIds: overrides.preferredLeaderIds ?? existing?.preferredLeaderIds ?? [],
      }
      if (profile.timing === undefined) delete profile.timing
      const token = flags.token ?? existing?.token
      if (token !== undefined) profile.token = token
      profileNote = `${existing === null ? 'wrote' : 'updated'} cluster profile ${paths.profileFile}`
    } else {
      profile = existing
      profileNote = `using cluster profile ${paths.profileFile}`
    }

    // 3. validate every member's settings before anything starts
    let peers
    try {
      peers = parsePeers(profile.peers)
      for (const p of peers) memberSettings({selfId: p.id, profile, flags: {}})
    } catch (error) {
      if (error instanceof SettingsError) throw settingsUsageError(error, {json: this.jsonEnabled()})
      throw error
    }

    // 4. every port must be free
    const taken = (await Promise.all(peers.map((p) => local.checkPortFree(p)))).filter((x): x is string => x !== null)
    if (taken.length > 0) {
      throw new OperationError(taken.join('; '), {
        code: 'PORT_IN_USE',
        hint: 'pick other ports with --base-port, or stop what uses them',
      })
    }
    if (existing === null || reshaping) await saveProfile(paths, profile)
    if (!this.jsonEnabled()) this.log(profileNote)

    // 5. spawn the members detached; from here on, Ctrl-C stops the waiting, not the members:
    // they run detached and are recorded
    const {spinner} = await import('../output.js')
    const spin = this.jsonEnabled() ? undefined : spinner(`starting ${peers.length} members, waiting for a leader`).start()
    const onInterrupt = () => {
      spin?.stop()
      console.error(`interrupted: ${peers.map((p) => p.id).join(', ')} keep running; \`dledger status\` shows them, \`dledger down\` stops them`)
      process.exit(130)
    }
    process.once('SIGINT', onInterrupt)
    const binPath = join(this.config.root, 'bin', 'run.js')
    const spawned = peers.map((p) => local.spawnMember(paths, p, {binPath}))

    // 6. wait for a leader that every member follows (or at least a leader by the deadline)
    const {pollCluster, confirmedLeader, renderStatus} = await import('../cluster-client.js')
    const settled = (s: ClusterStatus) => {
      const leader = confirmedLeader(s)
      return leader !== null && s.members.every((m) => m.reachable && m.leaderId === leader.id && m.term === s.term)
    }
    // the members read the token from the profile or DLEDGER_TOKEN, never from their command line
    const cluster = {peers, group: profile.group, token: flags.token ?? profile.token}
    const {status} = await pollCluster(cluster, settled, {
      timeoutMs: flags.wait,
      everyMs: 100,
      onPoll: (s) => {
        if (spawned.some((m) => m.exit !== null)) return false
        const leader = confirmedLeader(s)
        spin?.update(leader ? `leader ${leader.id} elected, waiting for every member to follow` : `waiting for a leader (${s.members.filter((m) => m.reachable).length}/${s.members.length} members answer)`)
        return true
      },
    })
    process.removeListener('SIGINT', onInterrupt)
    spin?.stop()

    const dead = spawned.filter((m) => m.exit !== null || !local.isRecordedMember(m.record))
    if (dead.length > 0) {
      const alive = spawned.filter((m) => !dead.includes(m)).map((m) => m.record)
      await local.stopMembers(paths, alive, 5000)
      for (const m of dead) local.removeRunRecord(paths, m.record.id)
      const first = dead[0].record
      const tail = local.tailFile(first.logFile, 20, dead[0].logOffset)
      if (!this.jsonEnabled()) console.error('%s', `--- last lines of ${first.logFile} ---\n${tail}\n---`)
      const exit = dead[0].exit
      throw new OperationError(
        `${dead.map((m) => m.record.id).join(', ')} exited during start-up${exit ? ` (${exit.signal ?? `exit code ${exit.code}`})` : ''}; stopped the others`,
        {code: 'START_FAILED', hint: `see ${first.logFile}`},
      )
    }

    if (confirmedLeader(status) === null) {
      if (!this.jsonEnabled()) this.log(await renderStatus(status))
      throw new OperationError(`no leader within ${flags.wait} ms; the members keep running`, {
        code: 'NO_LEADER',
        hint: `watch them with \`dledger status --watch\`, read ${paths.logDir}, stop them with \`dledger down\``,
      })
    }
    if (!this.jsonEnabled()) {
      this.log(`started ${spawned.map((m) => `${m.record.id} (pid ${m.record.pid})`).join(', ')}; logs in ${paths.logDir}`)
      this.log(await renderStatus(status))
    }
    return status
  }
}
