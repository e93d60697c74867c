import {down, downBaseFlags, downFlags, type DownResult} from '../actions/down.js'
import {BaseCommand} from '../base-command.js'
import {oclifFlags} from '../oclif-flags.js'

export type {DownResult} from '../actions/down.js'

/** `dledger down`: stops the members `dledger up` started. */
export default class Down extends BaseCommand<typeof Down> {
  static override summary = 'Stop the members of this home running on this machine (all, or one)'
  static override description = `Finds every member of the home running on this machine, whether \`dledger up\` or \`dledger start\` started it: the PIDs recorded in <home>/run (only while the PID is still that member), then the profile's local ports whose /status names a member process here. Stops each cleanly and says which. With --id it sends SIGTERM, so a leader first hands leadership to its most caught-up live follower (bounded by the transfer deadline, 3 s) and a planned restart costs no election timeout; with --no-handoff, or when stopping every member (nobody is left to take over), it sends SIGUSR2 instead, a clean stop without the hand-off. Waits up to --timeout, then SIGKILLs what is left and removes the records. "nothing is running" is not an error.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Stop one member; a leader hands leadership over first', command: '<%= config.bin %> <%= command.id %> --id n1'},
    {description: 'Stop the leader without a hand-off (to watch a failover)', command: '<%= config.bin %> <%= command.id %> --id n1 --no-handoff'},
    {description: 'Then start it again (the others keep running)', command: '<%= config.bin %> up --id n1'},
    {description: 'As JSON: {"stopped":[{"id","pid","how"}]}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  /** `down` acts on this home's run records: --peers and --token would do nothing, so they are not offered. */
  // the cast keeps BaseCommand's flag typing; down reads only --home
  static override baseFlags = oclifFlags(downBaseFlags) as typeof BaseCommand.baseFlags

  static override flags = oclifFlags(downFlags)

  async run(): Promise<DownResult> {
    return down(this.context(), this.flags)
  }
}
