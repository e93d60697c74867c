import {health, healthFlags, type HealthResult} from '../actions/health.js'
import {BaseCommand} from '../base-command.js'
import {oclifFlags} from '../oclif-flags.js'

export type {HealthResult, MemberHealth} from '../actions/health.js'

/** `dledger health`: exit 0 only when a leader holds a majority (like `etcdctl endpoint health`). */
export default class Health extends BaseCommand<typeof Health> {
  static override summary = 'Check that a leader holds a majority (exit 0), else exit 1'
  static override description = `Asks every member's /status at once (each bounded by --timeout) and prints one line per member, then the verdict. The cluster is healthy when a leader, as it confirms itself, is followed in its term by a majority of all members (itself included): then the cluster can elect and replicate. Otherwise it exits 1 and says why: no member answers, no leader (e.g. a lone candidate), or a leader without a majority.

With --wait it keeps asking until the cluster is healthy or the time is up: a script can wait for a cluster it just started. For scripts and probes, --json prints {"healthy","leaderId","term","following","quorum","reason","members":[{"id","address","healthy","role","term","leaderId","error"}]}, with the same exit code.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'In a script: wait up to 10 s for a healthy cluster', command: '<%= config.bin %> <%= command.id %> --wait 10000 && echo ready'},
    {description: 'Machine-readable (exit 1 when unhealthy, too)', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(healthFlags)

  async run(): Promise<HealthResult> {
    return health(this.context(), this.flags)
  }
}
