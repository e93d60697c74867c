/** What `dledger up` does (commands/up.ts declares it for oclif; the light path runs it too). */
import {join} from 'node:path'

import type {ClusterStatus} from '../cluster-client.js'
import type {CommandContext, GlobalFlagValues} from '../command-context.js'
import {OperationError, UsageError} from '../errors.js'
import {type FlagValues, integerFlag, stringFlag} from '../flag-table.js'
import {memberFlagTable} from '../member-flags.js'
import type {Profile} from '../profile.js'
import {timingFlagTable, timingOverrides} from '../timing-overrides.js'

export const DEFAULT_NODES = 3
export const DEFAULT_BASE_PORT = 20911

export const upFlags = {
  nodes: integerFlag({description: `number of members [default: ${DEFAULT_NODES}]`, min: 1, max: 99}),
  'base-port': integerFlag({description: `port of n0; member i listens on base+i [default: ${DEFAULT_BASE_PORT}]`, min: 1, max: 65535}),
  group: stringFlag({description: 'group name [default: default]'}),
  id: stringFlag({description: 'start only this member of the profile (e.g. after `dledger down --id n1`)'}),
  wait: integerFlag({description: 'milliseconds to wait for a leader (0: do not wait)', default: 15000, min: 0}),
  ...memberFlagTable,
  ...timingFlagTable,
}

export async function up(ctx: CommandContext, flags: FlagValues<typeof upFlags> & GlobalFlagValues): Promise<ClusterStatus> {
  const {resolvePaths} = await import('../paths.js')
  const {localPeers, loadProfile, preloadProfileWriter, saveProfile, memberSettings, profileTiming, settingsUsageError} = await import('../profile.js')
  const {SettingsError, parsePeers} = await import('../../core/settings.js')
  const local = await import('../local-members.js')
  const paths = resolvePaths(flags.home, ctx.dirs)

  // 1. what is asked: the whole cluster, reshaped or not, or one member of the profile
  const overrides = timingOverrides(flags)
  const existing = await loadProfile(paths)
  const tokenGiven = ctx.argv.some((a) => a === '--token' || a.startsWith('--token=') || a === '--token-file' || a.startsWith('--token-file='))
  if (flags.peers !== undefined && (flags.nodes !== undefined || flags['base-port'] !== undefined))
    throw new UsageError('--peers and --nodes/--base-port both describe the members; give one of them')
  const reshaping =
    flags.peers !== undefined ||
    flags.nodes !== undefined ||
    flags['base-port'] !== undefined ||
    flags.group !== undefined ||
    Object.keys(overrides).length > 0 ||
    tokenGiven
  // the profile is written just before the members are spawned: load its writer meanwhile
  if (existing === null || reshaping) preloadProfileWriter()
  if (flags.id !== undefined && reshaping)
    throw new UsageError('--id starts one member of the existing profile; flags that reshape the cluster cannot go with it', {
      hint: 'drop the other flags, or reshape the whole cluster: `dledger down`, then `dledger up <flags>`',
    })
  if (flags.id !== undefined && existing === null)
    throw new UsageError(`no cluster profile in ${paths.home ?? paths.configDir} to start ${flags.id} from`, {code: 'NO_PROFILE', hint: 'run `dledger up` (or `dledger init`) first'})
  if (flags.id !== undefined && existing !== null) {
    const ids = parsePeers(existing.peers).map((p) => p.id)
    if (!ids.includes(flags.id)) throw new UsageError(`--id: unknown member "${flags.id}" (known: ${ids.join(', ')})`, {code: 'UNKNOWN_MEMBER', hint: `pick one of ${ids.join(', ')}`})
  }

  // 2. what already runs: a reshape needs the cluster stopped; otherwise only the rest is started
  const {running} = await local.findMembers(paths, existing ? parsePeers(existing.peers) : [], {token: flags.token ?? existing?.token})
  const runningList = running.map((r) => `${r.id} (pid ${r.pid})`).join(', ')
  const wanted = existing === null || reshaping ? null : parsePeers(existing.peers).filter((p) => flags.id === undefined || p.id === flags.id)
  if (running.length > 0 && (wanted === null || wanted.every((p) => running.some((r) => r.id === p.id)))) {
    const one = flags.id === undefined ? undefined : running.find((r) => r.id === flags.id)
    throw new OperationError(one ? `${one.id} is already running (pid ${one.pid})` : `already running: ${runningList}; run \`dledger down\` first`, {
      code: 'ALREADY_RUNNING',
      hint: one ? `\`dledger down --id ${one.id}\` stops it` : reshaping ? 'stop the cluster before reshaping it' : undefined,
    })
  }
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
    if (error instanceof SettingsError) throw settingsUsageError(error, {json: ctx.json})
    throw error
  }

  // 4. every port of a member to start must be free
  const already = running.filter((r) => peers.some((p) => p.id === r.id))
  const toStart = peers.filter((p) => !already.some((r) => r.id === p.id) && (flags.id === undefined || p.id === flags.id))
  const {checkPortFree} = await import('../port-owner.js')
  const taken = (await Promise.all(toStart.map((p) => checkPortFree(p, {token: profile.token})))).filter((x) => x !== null)
  if (taken.length > 0) {
    throw new OperationError(taken.map((x) => x.problem).join('; '), {code: 'PORT_IN_USE', hint: [...new Set(taken.map((x) => x.hint))].join('; ')})
  }
  if (existing === null || reshaping) await saveProfile(paths, profile)
  if (!ctx.json) ctx.log(profileNote)

  // 5. spawn the members detached; from here on, Ctrl-C stops the waiting, not the members:
  // they run detached and are recorded
  const {preloadTable, spinner} = await import('../output.js')
  const spin = ctx.json || flags.wait === 0 ? undefined : spinner(`starting ${toStart.length === 1 ? toStart[0].id : `${toStart.length} members`}, waiting for a leader`).start()
  const onInterrupt = () => {
    spin?.stop()
    console.error(`interrupted: ${toStart.map((p) => p.id).join(', ')} keep running; \`dledger status\` shows them, \`dledger down\` stops them`)
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  const binPath = join(ctx.root, 'bin', 'run.js')
  const hook = flags['on-role-change']
  const spawned = toStart.map((p) => local.spawnMember(paths, p, {binPath, args: hook === undefined ? [] : ['--on-role-change', hook]}))
  // the status table's module loads while the members boot
  if (!ctx.json) preloadTable()
  const {fetchClusterStatus, pollCluster, confirmedLeader, renderStatus} = await import('../cluster-client.js')
  // the members read the token from the profile or DLEDGER_TOKEN, never from their command line
  const cluster = {peers, group: profile.group, token: flags.token ?? profile.token}
  if (flags.wait === 0) {
    // the members elect a leader in the background; the status is whatever they say right now
    process.removeListener('SIGINT', onInterrupt)
    if (!ctx.json)
      ctx.log(`started ${spawned.map((m) => `${m.record.id} (pid ${m.record.pid})`).join(', ')} without waiting for a leader (--wait 0); \`dledger status\` shows them, logs in ${paths.logDir}`)
    return fetchClusterStatus(cluster)
  }

  // 6. wait for a leader that every running member follows (or at least a leader by the deadline)
  const expected = new Set([...spawned.map((m) => m.record.id), ...already.map((r) => r.id)])
  const settled = (s: ClusterStatus) => {
    const leader = confirmedLeader(s)
    return leader !== null && s.members.every((m) => !expected.has(m.id) || (m.reachable && m.leaderId === leader.id && m.term === s.term))
  }
  const {status} = await pollCluster(cluster, settled, {
    timeoutMs: flags.wait,
    everyMs: 20, // a cluster spawned at once settles within a few hundred ms: 100 ms polls would add up to 100
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
    const logFile = dead[0].logFile
    const tail = local.tailFile(logFile, 20, dead[0].logOffset)
    if (!ctx.json) console.error('%s', `--- last lines of ${logFile} ---\n${tail}\n---`)
    const exit = dead[0].exit
    const others = alive.length > 0 ? '; stopped the others' : ''
    throw new OperationError(
      `${dead.map((m) => m.record.id).join(', ')} exited during start-up${exit ? ` (${exit.signal ?? `exit code ${exit.code}`})` : ''}${others}`,
      {code: 'START_FAILED', hint: `see ${logFile}`},
    )
  }

  if (confirmedLeader(status) === null) {
    if (!ctx.json) ctx.log(await renderStatus(status))
    throw new OperationError(`no leader within ${flags.wait} ms; the members keep running`, {
      code: 'NO_LEADER',
      hint: `watch them with \`dledger status --watch\`, read ${paths.logDir}, stop them with \`dledger down\``,
    })
  }
  if (!ctx.json) {
    const kept = already.length > 0 ? `; ${already.map((r) => r.id).join(', ')} ${already.length === 1 ? 'was' : 'were'} already running` : ''
    ctx.log(`started ${spawned.map((m) => `${m.record.id} (pid ${m.record.pid})`).join(', ')}${kept}; logs in ${paths.logDir}`)
    ctx.log(await renderStatus(status))
  }
  return status
}
