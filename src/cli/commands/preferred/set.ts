import {Args} from '@oclif/core'

import {MemberCommand} from '../../member-command.js'
import {UsageError} from '../../errors.js'
import type {PreferredOutcome} from '../../leadership.js'

/** `dledger preferred set n2[;n1]`: the preferred leaders of the running members and the profile. */
export default class PreferredSet extends MemberCommand<typeof PreferredSet> {
  static override summary = 'Make members the preferred leaders, on every running member and in the profile'
  static override description = `Sends the preferred leaders (in priority order) to every member, which keeps them in its data directory (preferred.json) before applying them, the leader last; the profile keeps them too, so a member started later takes them. While another member leads and a preferred member is live and caught up, the leader hands leadership to it (DLedger's checkPreferredLeader), within about a second with --timing fast.

Give several ids as "n2;n1" (quoted: ";" ends a shell command) or n2,n1. Members that cannot be reached are named on stderr; the command fails (exit 1) only when no member and no profile took the change. An id that is not a member exits 2. \`dledger preferred clear\` removes them; \`dledger status\` shows each member's PREFERRED.`

  static override examples = [
    {description: 'n2 leads whenever it is live and caught up', command: '<%= config.bin %> <%= command.id %> n2'},
    {description: 'n2 first, n1 when n2 is down', command: '<%= config.bin %> <%= command.id %> "n2;n1"'},
    {description: 'As JSON: {"ids","applied","failed":[{"id","error"}],"profile"}', command: '<%= config.bin %> <%= command.id %> n2 --json'},
  ]

  static override enableJsonFlag = true

  static override args = {
    ids: Args.string({description: 'member ids in priority order, joined by ";" or ","', required: true}),
  }

  async run(): Promise<PreferredOutcome> {
    const {parsePreferredLeaderIds} = await import('../../../core/settings.js')
    const {setClusterPreferred} = await import('../../preferred.js')
    const ids = parsePreferredLeaderIds(this.args.ids)
    if (ids.length === 0) throw new UsageError('no member id given', {code: 'MISSING_VALUE', hint: 'name one (`dledger preferred set n2`), or clear them with `dledger preferred clear`'})
    const paths = await this.paths()
    return setClusterPreferred({cluster: await this.cluster(paths), paths, ids, log: (line) => this.log(line), json: this.jsonEnabled()})
  }
}
