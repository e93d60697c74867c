/** What `dledger health` does (commands/health.ts declares it for oclif; the light path runs it too). */
import type {ClusterHealth, ClusterMember} from '../cluster-client.js'
import {answerTimeoutFlag, commandCluster, type CommandContext, type GlobalFlagValues} from '../command-context.js'
import {OperationError} from '../errors.js'
import {type FlagValues, integerFlag} from '../flag-table.js'

/** One member in `health --json`. */
export interface MemberHealth {
  id: string
  address: string
  /** it answers and follows the leader in the leader's term (or is the leader) */
  healthy: boolean
  role: ClusterMember['role']
  term: number | null
  leaderId: string | null
  /** why it could not be asked, or null */
  error: string | null
}

/** What `health --json` prints. */
export interface HealthResult extends ClusterHealth {
  members: MemberHealth[]
}

export const healthFlags = {
  wait: integerFlag({description: 'milliseconds to keep asking until the cluster is healthy (0 = ask once)', default: 0, min: 0}),
  timeout: answerTimeoutFlag(),
}

export async function health(ctx: CommandContext, flags: FlagValues<typeof healthFlags> & GlobalFlagValues): Promise<HealthResult> {
  const {clusterHealth, pollCluster, TOKEN_HINT} = await import('../cluster-client.js')
  const {spinner} = await import('../output.js')
  const cluster = await commandCluster(ctx, flags)

  const spin = flags.wait > 0 && !ctx.json ? spinner('waiting for a leader with a majority').start() : undefined
  const {status} = await pollCluster(cluster, (s) => clusterHealth(s).healthy, {
    timeoutMs: flags.wait,
    everyMs: 100,
    probeTimeoutMs: flags.timeout,
    onPoll: (s) => spin?.update(`waiting for a leader with a majority (${clusterHealth(s).reason})`),
  })
  spin?.stop()
  const verdict = clusterHealth(status)
  const result: HealthResult = {
    ...verdict,
    members: status.members.map((m) => ({
      id: m.id,
      address: m.address,
      healthy: verdict.following.includes(m.id),
      role: m.role,
      term: m.term,
      leaderId: m.leaderId,
      error: m.error,
    })),
  }
  if (ctx.json) {
    if (verdict.healthy) return result
    ctx.logJson(result)
    ctx.exit(1)
  }
  for (const m of result.members) ctx.log(`${m.id} ${m.address} is ${m.healthy ? 'healthy' : 'unhealthy'}: ${describeMember(m, verdict)}`)
  if (!verdict.healthy) {
    const none = status.members.every((m) => !m.reachable)
    throw new OperationError(`unhealthy cluster: ${verdict.reason}`, {
      code: 'UNHEALTHY',
      hint: none
        ? status.members.some((m) => m.error?.includes('401'))
          ? TOKEN_HINT
          : 'are the members running? `dledger up` starts a local cluster'
        : `a majority (${verdict.quorum} of ${status.members.length}) must run and reach each other; \`dledger status\` shows each member`,
    })
  }
  ctx.log(`cluster is healthy: ${verdict.reason}`)
  return result
}

/** `LEADER of term 3`, `FOLLOWER of n2 in term 3`, `CANDIDATE in term 5`, or why it could not be asked. */
function describeMember(m: MemberHealth, health: ClusterHealth): string {
  if (m.error !== null && m.role === null) return m.error
  if (m.role === 'LEADER') return `LEADER of term ${m.term}${health.leaderId === m.id ? '' : ' (not confirmed)'}`
  const of = m.leaderId === null ? '' : ` of ${m.leaderId}`
  return `${m.role ?? 'unknown role'}${of} in term ${m.term ?? '-'}`
}
