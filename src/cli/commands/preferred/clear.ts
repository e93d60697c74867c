import {MemberCommand} from '../../member-command.js'
import type {PreferredOutcome} from '../../leadership.js'

/** `dledger preferred clear`: no preferred leader, on the running members and in the profile. */
export default class PreferredClear extends MemberCommand<typeof PreferredClear> {
  static override summary = 'Remove the preferred leaders, on every running member and in the profile'
  static override description = `Tells every member that no member is preferred (each keeps that in its data directory) and removes the preferred leaders from the profile, so leadership stays where elections, \`elect\` and \`transfer-leader\` put it. Members that cannot be reached are named on stderr; the command fails (exit 1) only when no member and no profile took the change.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'As JSON: {"ids":[],"applied","failed":[{"id","error"}],"profile"}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  async run(): Promise<PreferredOutcome> {
    const {setClusterPreferred} = await import('../../preferred.js')
    const paths = await this.paths()
    return setClusterPreferred({cluster: await this.cluster(paths), paths, ids: [], log: (line) => this.log(line), json: this.jsonEnabled()})
  }
}
