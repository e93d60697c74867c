/**
 * Setting the preferred leaders of a running cluster (`dledger preferred set|clear`,
 * `transfer-leader --preferred|--no-preferred`): the authenticated `setPreferredLeaders` admin
 * request to each member, which persists the choice in its data directory before it applies it,
 * and the profile, so members started later take the same choice.
 */
import type {NodeId} from '../core/types.js'
import type {ClusterStatus} from './cluster-client.js'
import {OperationError, UsageError} from './errors.js'
import type {PreferredOutcome} from './leadership.js'
import type {DledgerPaths} from './paths.js'
import type {ResolvedCluster} from './profile.js'

/** `setPreferredLeaders(ids)` on the given members at once; unreachable or refusing members are named in `failed`. Never throws. */
export async function sendPreferred(
  cluster: Pick<ResolvedCluster, 'peers' | 'token' | 'group'>,
  ids: readonly NodeId[],
  memberIds: readonly NodeId[],
  status: ClusterStatus,
): Promise<PreferredOutcome> {
  const {adminRequest} = await import('./member-client.js')
  const outcome: PreferredOutcome = {ids: [...ids], applied: [], failed: [], profile: false}
  await Promise.all(
    memberIds.map(async (m) => {
      const entry = status.members.find((x) => x.id === m)
      const peer = cluster.peers.find((p) => p.id === m)
      if (entry === undefined || peer === undefined) return
      if (!entry.reachable) {
        outcome.failed.push({id: m, error: entry.error ?? 'unreachable'})
        return
      }
      try {
        const answer = await adminRequest(peer, {op: 'setPreferredLeaders', ids: [...ids]}, {token: cluster.token, group: cluster.group})
        if (answer.ok) outcome.applied.push(m)
        else outcome.failed.push({id: m, error: `${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`})
      } catch (error) {
        outcome.failed.push({id: m, error: (error as Error).message})
      }
    }),
  )
  sortOutcome(outcome)
  return outcome
}

/** Adds a later wave's outcome to the first one. */
export function mergeOutcome(into: PreferredOutcome, more: PreferredOutcome): void {
  into.applied.push(...more.applied)
  into.failed.push(...more.failed)
  into.profile ||= more.profile
  sortOutcome(into)
}

/** Keeps the choice in the profile when the cluster came from one; sets `outcome.profile`. */
export async function keepInProfile(paths: DledgerPaths, cluster: Pick<ResolvedCluster, 'source' | 'profile'>, outcome: PreferredOutcome): Promise<void> {
  if (cluster.source !== 'profile' || cluster.profile === null) return
  const {saveProfile} = await import('./profile.js')
  await saveProfile(paths, {...cluster.profile, preferredLeaderIds: [...outcome.ids]})
  outcome.profile = true
}

function sortOutcome(o: PreferredOutcome): void {
  o.applied.sort()
  o.failed.sort((a, b) => a.id.localeCompare(b.id))
}

/** What `preferred set` and `preferred clear` do: the members (the leader last), then the profile. */
export async function setClusterPreferred(input: {
  cluster: ResolvedCluster
  paths: DledgerPaths
  ids: readonly NodeId[]
  /** prints a result line (nothing with --json) */
  log: (line: string) => void
  json: boolean
}): Promise<PreferredOutcome> {
  const {confirmedLeader, fetchClusterStatus, TOKEN_HINT, UNAUTHORIZED} = await import('./cluster-client.js')
  const {memberOrUsageError, preferredLine} = await import('./leadership.js')
  const {warn} = await import('./output.js')
  const cluster = input.cluster
  const status = await fetchClusterStatus(cluster)
  // a wrong token changes nothing, not even the profile
  const denied = status.members.filter((m) => m.error === UNAUTHORIZED).map((m) => m.id)
  if (denied.length > 0)
    throw new OperationError(`${denied.join(', ')} refused the request: ${UNAUTHORIZED}; nothing was changed`, {
      code: 'UNAUTHORIZED',
      hint: TOKEN_HINT,
    })
  const twice = input.ids.filter((id, i) => input.ids.indexOf(id) !== i)
  if (twice.length > 0) throw new UsageError(`${twice[0]} is named twice`, {code: 'DUPLICATE_MEMBER', hint: 'name each member once, in priority order: "n2;n1"'})
  for (const id of input.ids) memberOrUsageError(status, id, 'preferred leader')

  // the leader last: a leader that learns of a preferred member first starts handing over before
  // that member knows it is preferred, and then campaigns with the slower, non-preferred delay
  const leaderId = confirmedLeader(status)?.id
  const all = status.members.map((m) => m.id)
  const outcome = await sendPreferred(cluster, input.ids, all.filter((id) => id !== leaderId), status)
  if (leaderId !== undefined) mergeOutcome(outcome, await sendPreferred(cluster, input.ids, [leaderId], status))
  await keepInProfile(input.paths, cluster, outcome)

  if (outcome.applied.length === 0 && !outcome.profile) {
    const why = outcome.failed.map((f) => `${f.id}: ${f.error}`).join('; ')
    throw new OperationError(`no member took the preferred leaders (${why})`, {
      code: 'UNREACHABLE',
      hint: 'are the members running? `dledger status` shows them',
    })
  }
  if (!input.json) {
    input.log(preferredLine(outcome))
    for (const f of outcome.failed) warn(`${f.id} did not take it: ${f.error}${outcome.profile ? ' (it reads the profile when it starts again)' : ''}`)
  }
  return outcome
}
