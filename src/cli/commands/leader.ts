import {leader, leaderFlags, type LeaderResult} from '../actions/leader.js'
import {BaseCommand} from '../base-command.js'
import {oclifFlags} from '../oclif-flags.js'

export type {LeaderResult} from '../actions/leader.js'

/** `dledger leader`: the leader's id, or exit 1. */
export default class Leader extends BaseCommand<typeof Leader> {
  static override summary = "Print the leader's id (exit 1 if there is none within --wait)"
  static override description = `Asks every member at once and prints the id of the leader, as the leader itself confirms it (it answers and says it is LEADER in the newest term a member reports). With --wait it keeps asking until a leader appears or the time is up; without it, it asks once. Exit 1 with "no leader" otherwise.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Wait up to 10 s for a leader (e.g. after killing the old one)', command: '<%= config.bin %> <%= command.id %> --wait 10000'},
    {description: 'As JSON: {"leaderId":"n1","term":4}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(leaderFlags)

  async run(): Promise<LeaderResult> {
    return leader(this.context(), this.flags)
  }
}
