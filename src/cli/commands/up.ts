import {DEFAULT_BASE_PORT, up, upFlags} from '../actions/up.js'
import {BaseCommand} from '../base-command.js'
import type {ClusterStatus} from '../cluster-client.js'
import {oclifFlags} from '../oclif-flags.js'

/** `dledger up`: a local cluster in the background. */
export default class Up extends BaseCommand<typeof Up> {
  static override summary = 'Start a local cluster in the background and wait for a leader'
  static override description = `Writes the cluster profile if there is none yet (ids n0…, addresses 127.0.0.1:BASE+i), spawns one detached \`dledger start\` per member (data under <home>/data, output in <home>/logs/<id>.log, PIDs in <home>/run; all readable by the owner only), waits until a leader is elected and prints the status table.

With an existing profile, \`up\` starts the members it lists that are not running yet: after \`dledger down --id n1\` or a crash, just those (--id names one). Flags such as --nodes, --base-port, --peers (members on this machine with ids and ports of your choice), --group, --timing or --token-file (or --token) rewrite the profile first, which needs the cluster stopped. The members read the token from the profile (mode 0600), never from their command line. It refuses when every member already runs (\`dledger down\` stops them) and when a port is taken, saying by what: a dledger member (id and PID), an outgoing connection's source port (keep ports below Linux's ephemeral range, 32768-60999, as the default base port ${DEFAULT_BASE_PORT} does), or another program.`

  static override examples = [
    {description: 'Three members on 127.0.0.1:20911-20913', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Five members with the fast timing preset', command: '<%= config.bin %> <%= command.id %> --nodes 5 --timing fast'},
    {
      description: 'Another port range, a token, n2 preferred as leader',
      command: '<%= config.bin %> <%= command.id %> --base-port 7001 --token-file cluster.token --preferred-leader n2',
    },
    {description: 'Start n1 again after `dledger down --id n1` (the others keep running)', command: '<%= config.bin %> <%= command.id %> --id n1'},
    {description: 'A second, separate cluster in its own home', command: '<%= config.bin %> <%= command.id %> --home /tmp/dl2 --base-port 21911'},
    {description: 'Start the members and return at once; log every role change', command: `<%= config.bin %> <%= command.id %> --wait 0 --on-role-change 'echo "$DLEDGER_ID $DLEDGER_ROLE" >> roles.txt'`},
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(upFlags)

  async run(): Promise<ClusterStatus> {
    return up(this.context(), this.flags)
  }
}
