import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {UsageError} from '../errors.js'

/**
 * `dledger check [DIR…]`: the safety check over the vote logs and durable records of a deployment,
 * after the fact. Exit 0 when it is sound, 1 on any violation, 2 when there is nothing to read.
 */
export default class Check extends BaseCommand<typeof Check> {
  static override summary = "Check members' vote logs and durable records for election safety violations"
  static override description = `Reads every member's vote log (vote.log and its rotations vote.log.1 … vote.log.3) and durable record (state.json), and checks:
  ONE_LEADER_PER_TERM   at most one member becomes LEADER in a term
  ONE_VOTE_PER_TERM     a member accepts at most one candidate per term
  TERM_NEVER_DECREASES  a member's term never goes down, restarts included

A leader is a ROLE_CHANGE to LEADER; a member's votes are its VOTE_HANDLED ACCEPTs, its vote for itself and the vote of its durable record; its term never goes down in its records, in the order written, and its durable record is not behind its log.

Each violation names the file and line of every record involved (the first record of each side). A corrupt line is skipped, with a warning, and counted in the report.

A DIR is a member's data directory, a home (its data/<group>/<id>/ directories), or a directory holding member directories side by side: copy each host's data directory into one place to check a cluster that runs on several machines. Members of different groups are different clusters. Without DIR, the members of this home (--home, DLEDGER_HOME) are checked; the members may be running.

--json prints {ok, members: [{id, group, source, files, records, durable, highestTerm}], leaders: [{group, term, node}], violations: [{invariant, group, term, node, detail, evidence: [{file, line, record | durable}]}], corrupt: [{file, lines}], corruptLines}.

Exit codes: 0 no violation, 1 at least one violation, 2 nothing to read or a DIR that is not a directory.`

  static override examples = [
    {description: "Check this home's members", command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Check another home', command: '<%= config.bin %> <%= command.id %> --home /tmp/c2'},
    {description: 'A cluster on three hosts, each data directory copied here', command: '<%= config.bin %> <%= command.id %> ./host-a/n0 ./host-b/n1 ./host-c/n2'},
    {description: 'The violations as JSON (file and line of each record)', command: "<%= config.bin %> <%= command.id %> ./cluster --json | jq '.violations[]'"},
  ]

  static override enableJsonFlag = true
  static override strict = false

  static override args = {
    dir: Args.string({description: 'member data directories, homes, or directories of member directories [default: this home]'}),
  }

  /** Only --home applies: the check reads files and talks to no member. */
  // the cast keeps BaseCommand's flag typing; check reads only --home
  static override baseFlags = {home: BaseCommand.baseFlags.home} as typeof BaseCommand.baseFlags

  async run(): Promise<void> {
    const {argv} = await this.parse(Check)
    const {collectMemberDirs, HistoryDirError, readMemberHistory} = await import('../history-source.js')
    const {checkHistories, renderCheckReport} = await import('../safety-check.js')
    let dirs = argv as string[]
    if (dirs.length === 0) {
      const {resolvePaths} = await import('../paths.js')
      dirs = [resolvePaths(this.flags.home, this.config).stateDir]
    }
    let members
    try {
      members = collectMemberDirs(dirs)
    } catch (error) {
      if (error instanceof HistoryDirError)
        throw new UsageError(error.message, {code: 'NOTHING_TO_CHECK', hint: "give a member's data directory, a home, or a directory of member directories"})
      throw error
    }
    const report = checkHistories(members.map(readMemberHistory))
    if (this.jsonEnabled()) {
      for (const c of report.corrupt) console.error('%s', `warning: skipped ${c.lines} corrupt line${c.lines === 1 ? '' : 's'} in ${c.file}`)
      this.logJson(report)
    } else {
      this.log(renderCheckReport(report))
    }
    if (!report.ok) this.exit(1)
  }
}
