import {Flags} from '@oclif/core'

import type {ClusterStatus} from '../cluster-client.js'
import {OperationError, UsageError} from '../errors.js'
import type {PreferredOutcome, TransferResult} from '../leadership.js'
import {MemberCommand, probeTimeoutFlag} from '../member-command.js'
import {warn} from '../output.js'

/** `dledger transfer-leader`: DLedger's leadership transfer, with the leader and term found for you. */
export default class TransferLeader extends MemberCommand<typeof TransferLeader> {
  static override summary = 'Hand leadership to a member (DLedger leadership transfer); --preferred also makes it the preferred leader'
  static override description = `Finds the leader and its term, then asks the leader to hand over to --to: the leader sends it take-leadership, the member campaigns for the next term and wins it. The command succeeds only when --to leads in a newer term, as the status confirms; it prints the old and new leader, the term and the time taken. A transfer to the member that already leads does nothing and succeeds. When the transferee loses DLedger's take-leadership race (the old leader wins the next term first), nothing has changed hands and the leader asks it again in its new term, up to 3 times within its transfer deadline (TAKE_LEADERSHIP_FAILED when all lose); when leadership moves meanwhile, the request goes again to whoever leads, up to 3 requests within --timeout.

Without --to, a terminal offers the live followers to pick from; without a terminal that is a usage error (exit 2).

--preferred also makes --to the preferred leader on every member, at run time and durably (each member keeps it in its data directory, and the profile keeps it too): whenever another member leads while --to is live and caught up, the leader hands leadership back to it (DLedger's checkPreferredLeader). Members that cannot be reached are named; they pick it up from the profile when they are started again. --no-preferred instead clears the preferred leader on every member and in the profile before the transfer, so no preferred member takes leadership back afterwards (\`dledger preferred set|clear\` do the same without a transfer).

Failures are one line with DLedger's code name and a hint, exit 1: NETWORK_ERROR (the member is down), FALL_BEHIND_TOO_MUCH, TAKE_LEADERSHIP_FAILED, LEADER_TRANSFERRING, TIMEOUT, NO_LEADER. An unknown member id exits 2.`

  static override examples = [
    {description: 'Hand leadership to n2', command: '<%= config.bin %> <%= command.id %> --to n2'},
    {description: 'Make n2 the leader, and keep it there after failures', command: '<%= config.bin %> <%= command.id %> --to n2 --preferred'},
    {description: 'Make n1 the leader and clear the preferred leader, so it stays there', command: '<%= config.bin %> <%= command.id %> --to n1 --no-preferred'},
    {description: 'Pick the new leader from a list (on a terminal)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON: {"from","to","term","previousTerm","tookMs","visibleMs","noop","attempts"}, and with --[no-]preferred "preferred":{"ids","applied","failed","profile"}', command: '<%= config.bin %> <%= command.id %> --to n1 --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    to: Flags.string({description: 'the member to hand leadership to (asked on a terminal when omitted)'}),
    preferred: Flags.boolean({
      description: 'also make it the preferred leader on every member (durable, kept in the profile); --no-preferred clears the preferred leader everywhere instead',
      allowNo: true,
    }),
    timeout: Flags.integer({description: 'milliseconds for the whole transfer (the leader itself gives up after 3000)', default: 5000, min: 1}),
    'probe-timeout': probeTimeoutFlag(),
  }

  async run(): Promise<TransferResult> {
    const {preferredLine, transferLeadership, transferLine} = await import('../leadership.js')
    const flags = this.flags
    const paths = await this.paths()
    const cluster = await this.cluster(paths)
    /** The --[no-]preferred outcome: on stdout after a success, on stderr before a failure. */
    const reportPreferred = (preferred: PreferredOutcome | undefined, log: (line: string) => void): void => {
      if (preferred === undefined || this.jsonEnabled()) return
      log(preferredLine(preferred))
      for (const f of preferred.failed) warn(`${f.id} did not take the preferred leader: ${f.error}`)
    }
    const {result, before} = await transferLeadership(cluster, paths, {
      to: flags.to,
      preferred: flags.preferred,
      timeoutMs: flags.timeout,
      probeTimeoutMs: flags['probe-timeout'],
      pickTarget: (status, leaderId) => this.pickTarget(status, leaderId),
      onFailedWithPreferred: (preferred) => reportPreferred(preferred, (line) => console.error('%s', line)),
    })
    if (this.jsonEnabled()) return result
    this.log(transferLine(result))
    reportPreferred(result.preferred, (line) => this.log(line))
    // without --preferred, a preferred leader elsewhere takes leadership back (checkPreferredLeader)
    if (flags.preferred === undefined)
      await this.warnPreferredElsewhere(before, result.to, `make ${result.to} preferred with --preferred, or clear the preferred leader with --no-preferred`)
    return result
  }

  /** Asks on a terminal which live follower should lead; a usage error without one. */
  private async pickTarget(status: ClusterStatus, leaderId: string | null): Promise<string> {
    const {canPrompt} = await import('../output.js')
    const {idList, liveFollowers} = await import('../leadership.js')
    const followers = liveFollowers(status, leaderId)
    if (!canPrompt({json: this.flags.json})) {
      throw new UsageError('missing --to: the member to hand leadership to', {
        code: 'MISSING_TARGET',
        hint: `pass --to ID (live followers: ${idList(followers.map((f) => f.id))})`,
      })
    }
    if (followers.length === 0) throw new OperationError('no live follower to hand leadership to', {code: 'NO_FOLLOWER', hint: 'check `dledger status`'})
    const {select} = await import('@inquirer/prompts')
    try {
      return await select(
        {
          message: `Transfer leadership${leaderId ? ` from ${leaderId}` : ''} to`,
          choices: followers.map((f) => ({name: `${f.id}  ${f.address}  ${f.role ?? ''} term ${f.term ?? '-'}`, value: f.id, short: f.id})),
        },
        // the result line says what was chosen; a cancelled picker leaves no half-drawn list behind
        {output: process.stderr, clearPromptOnDone: true},
      )
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError') this.exit(130)
      throw error
    }
  }
}

