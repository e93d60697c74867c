import {Flags} from '@oclif/core'

import {answerTimeoutFlag, MemberCommand} from '../member-command.js'
import type {ClusterHealth, ClusterMember} from '../cluster-client.js'
import {OperationError} from '../errors.js'

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

/** `dledger health`: exit 0 only when a leader holds a majority (like `etcdctl endpoint health`). */
export default class Health extends MemberCommand<typeof Health> {
  static override summary = 'Check that a leader holds a majority (exit 0), else exit 1'
  static override description = `Asks every member's /status at once (each bounded by --timeout) and prints one line per member, then the verdict. The cluster is healthy when a leader, as it confirms itself, is followed in its term by a majority of all members (itself included): then the cluster can elect and replicate. Otherwise it exits 1 and says why: no member answers, no leader (e.g. a lone candidate), or a leader without a majority.

With --wait it keeps asking until the cluster is healthy or the time is up: a script can wait for a cluster it just started. For scripts and probes, --json prints {"healthy","leaderId","term","following","quorum","reason","members":[{"id","address","healthy","role","term","leaderId","error"}]}, with the same exit code.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'In a script: wait up to 10 s for a healthy cluster', command: '<%= config.bin %> <%= command.id %> --wait 10000 && echo ready'},
    {description: 'Machine-readable (exit 1 when unhealthy, too)', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    wait: Flags.integer({description: 'milliseconds to keep asking until the cluster is healthy (0 = ask once)', default: 0, min: 0}),
    timeout: answerTimeoutFlag(),
  }

  async run(): Promise<HealthResult> {
    const {clusterHealth, pollCluster, TOKEN_HINT} = await import('../cluster-client.js')
    const {spinner} = await import('../output.js')
    const cluster = await this.cluster()

    const spin = this.flags.wait > 0 && !this.jsonEnabled() ? spinner('waiting for a leader with a majority').start() : undefined
    const {status} = await pollCluster(cluster, (s) => clusterHealth(s).healthy, {
      timeoutMs: this.flags.wait,
      everyMs: 100,
      probeTimeoutMs: this.flags.timeout,
      onPoll: (s) => spin?.update(`waiting for a leader with a majority (${clusterHealth(s).reason})`),
    })
    spin?.stop()
    const health = clusterHealth(status)
    const result: HealthResult = {
      ...health,
      members: status.members.map((m) => ({
        id: m.id,
        address: m.address,
        healthy: health.following.includes(m.id),
        role: m.role,
        term: m.term,
        leaderId: m.leaderId,
        error: m.error,
      })),
    }
    if (this.jsonEnabled()) {
      if (health.healthy) return result
      this.logJson(result)
      this.exit(1)
    }
    for (const m of result.members) this.log(`${m.id} ${m.address} is ${m.healthy ? 'healthy' : 'unhealthy'}: ${describeMember(m, health)}`)
    if (!health.healthy) {
      const none = status.members.every((m) => !m.reachable)
      throw new OperationError(`unhealthy cluster: ${health.reason}`, {
        code: 'UNHEALTHY',
        hint: none
          ? status.members.some((m) => m.error?.includes('401'))
            ? TOKEN_HINT
            : 'are the members running? `dledger up` starts a local cluster'
          : `a majority (${health.quorum} of ${status.members.length}) must run and reach each other; \`dledger status\` shows each member`,
      })
    }
    this.log(`cluster is healthy: ${health.reason}`)
    return result
  }
}

/** `LEADER of term 3`, `FOLLOWER of n2 in term 3`, `CANDIDATE in term 5`, or why it could not be asked. */
function describeMember(m: MemberHealth, health: ClusterHealth): string {
  if (m.error !== null && m.role === null) return m.error
  if (m.role === 'LEADER') return `LEADER of term ${m.term}${health.leaderId === m.id ? '' : ' (not confirmed)'}`
  const of = m.leaderId === null ? '' : ` of ${m.leaderId}`
  return `${m.role ?? 'unknown role'}${of} in term ${m.term ?? '-'}`
}
