import {BaseCommand} from '../../base-command.js'
import type {PreferredOutcome} from '../../leadership.js'

/** `dledger preferred clear`: no preferred leader, on the running members and in the profile. */
export default class PreferredClear extends BaseCommand<typeof PreferredClear> {
  static override summary = 'Remove the preferred leaders, on every running member and in the profile'
  static override description = `Tells every member that no member is preferred (each keeps that in its data directory) and removes the preferred leaders from the profile, so leadership stays where elections, \`elect\` and \`transfer-leader\` put it. Members that cannot be reached are named on stderr; the command fails (exit 1) only when no member and no profile took the change.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'As JSON: {"ids":[],"applied","failed":[{"id","error"}],"profile"}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  async run(): Promise<PreferredOutcome> {
    const {resolvePaths} = await import('../../paths.js')
    const {setClusterPreferred} = await import('../../preferred.js')
    return setClusterPreferred({flags: this.flags, paths: resolvePaths(this.flags.home, this.config), ids: [], log: (line) => this.log(line), json: this.jsonEnabled()})
  }
}
