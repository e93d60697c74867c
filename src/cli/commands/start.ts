import {BaseCommand} from '../base-command.js'
import {startFlags} from '../member-main.js'
import {oclifFlags} from '../oclif-flags.js'

/** `dledger start`: one member in the foreground. */
export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Run one member in the foreground until Ctrl-C'
  static override description = `Runs member --id of the cluster: peers, group, timing, preferred leaders and token come from the profile in the home unless flags give them (with --peers the profile is not used). The settings are checked before anything listens; every problem is one line and exit 2. The member listens on the host and port of its own peers entry, keeps its term and vote in its data directory (<home>/data/<group>/<id>/ unless --data-dir, mode 0700, locked while the member runs: a second member on it is refused with the PID that holds it) and stops cleanly on SIGINT or SIGTERM (exit 0). Once it listens, its PID is recorded in <home>/run/<id>.json (removed when it stops), so \`dledger down\` stops it and \`dledger up\` knows it runs. A leader that is stopped cleanly first hands leadership to its most caught-up live follower, bounded by the transfer deadline (3 s), so a planned restart costs no election timeout; --no-handoff skips that, and so does SIGUSR2 (\`dledger down --no-handoff\` sends it).

At start the term/vote record is compared with the member's own vote log: when the log shows a newer term or a vote the record lacks (state.json restored from an old copy, or lost), the member refuses to start, since it could vote twice in one term; --accept-rolled-back-state starts it anyway.

The token comes from --token-file, DLEDGER_TOKEN or the profile; --token works too but shows it to every user in the process list.

Three terminals running \`dledger start --id n0\`, \`--id n1\` and \`--id n2\` form the profile's cluster.`

  static override examples = [
    {description: "One member of the profile's cluster", command: '<%= config.bin %> <%= command.id %> --id n0'},
    {
      description: 'Without a profile (one command per host)',
      command:
        '<%= config.bin %> <%= command.id %> --id n1 --peers "n0-10.0.0.1:20911;n1-10.0.0.2:20911;n2-10.0.0.3:20911" --token-file cluster.token',
    },
    {description: 'Fast timing, with a hook on every role change', command: '<%= config.bin %> <%= command.id %> --id n2 --timing fast --on-role-change ./notify.sh'},
  ]

  static override flags = oclifFlags(startFlags)

  async run(): Promise<void> {
    // shared with bin/run.js's light path, which runs a member without loading oclif
    const {runStart} = await import('../member-main.js')
    await runStart(this.flags, this.config, (line) => this.log(line))
  }
}
