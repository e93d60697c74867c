import {status, statusFlags} from '../actions/status.js'
import {BaseCommand} from '../base-command.js'
import type {ClusterStatus} from '../cluster-client.js'
import {oclifFlags} from '../oclif-flags.js'

/** `dledger status`: every member's view at once, as a table or JSON (spec §4). */
export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show every member of the cluster: role, term, leader, vote, ledger end'
  static override description = `Asks every member's /status at once (each bounded by --timeout) and prints one row per member: ID, ADDRESS, ROLE, TERM, LEADER, VOTED-FOR, LEDGER-END, LAST-HEARTBEAT, PREFERRED, FAULTS (the network faults injected with \`dledger fault\`, "-" for none), STATUS. A member that does not answer is a row with the reason in STATUS. Warnings follow the table, the most important first: no leader, or a leader without a majority (\`dledger health\` turns that into an exit code), two leaders in one term, members that disagree on the leader or the preferred leader, unreachable members.

The cluster comes from the profile in the home, or from --peers for any cluster without one. Exit 0 when at least one member answered, 1 when none did.`

  static override examples = [
    {description: 'The local cluster (the profile written by `dledger up` or `dledger init`)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Redraw every second until Ctrl-C (watch a failover)', command: '<%= config.bin %> <%= command.id %> --watch'},
    {
      description: 'Any cluster, without a profile',
      command: '<%= config.bin %> <%= command.id %> --peers "n0-10.0.0.1:20911;n1-10.0.0.2:20911;n2-10.0.0.3:20911" --token "$TOKEN"',
    },
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(statusFlags)

  async run(): Promise<ClusterStatus | undefined> {
    return status(this.context(), this.flags)
  }
}
