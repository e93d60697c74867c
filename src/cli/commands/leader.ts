import {Flags} from '@oclif/core'

import {answerTimeoutFlag, MemberCommand} from '../member-command.js'
import {OperationError} from '../errors.js'

/** What `leader --json` prints. */
export interface LeaderResult {
  leaderId: string
  term: number
}

/** `dledger leader`: the leader's id, or exit 1. */
export default class Leader extends MemberCommand<typeof Leader> {
  static override summary = "Print the leader's id (exit 1 if there is none within --wait)"
  static override description = `Asks every member at once and prints the id of the leader, as the leader itself confirms it (it answers and says it is LEADER in the newest term a member reports). With --wait it keeps asking until a leader appears or the time is up; without it, it asks once. Exit 1 with "no leader" otherwise.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Wait up to 10 s for a leader (e.g. after killing the old one)', command: '<%= config.bin %> <%= command.id %> --wait 10000'},
    {description: 'As JSON: {"leaderId":"n1","term":4}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    wait: Flags.integer({description: 'milliseconds to keep asking for a leader (0 = ask once)', default: 0, min: 0}),
    timeout: answerTimeoutFlag(),
  }

  async run(): Promise<LeaderResult> {
    const {confirmedLeader, noAnswerHint, pollCluster} = await import('../cluster-client.js')
    const {spinner} = await import('../output.js')
    const cluster = await this.cluster()

    const spin = this.flags.wait > 0 && !this.jsonEnabled() ? spinner('waiting for a leader').start() : undefined
    const {status, done} = await pollCluster(cluster, (s) => confirmedLeader(s) !== null, {
      timeoutMs: this.flags.wait,
      everyMs: 100,
      probeTimeoutMs: this.flags.timeout,
    })
    spin?.stop()
    const leader = confirmedLeader(status)
    if (!done || leader === null || status.term === null) {
      const answered = status.members.filter((m) => m.reachable).length
      const detail =
        answered === 0
          ? `no member answered (${status.members.map((m) => `${m.id}: ${m.error}`).join('; ')})`
          : status.leaderId !== null
            ? `${status.leaderId} is reported as leader in term ${status.term} but does not confirm it`
            : `${answered}/${status.members.length} members answered, none knows a leader`
      throw new OperationError(`no leader${this.flags.wait > 0 ? ` within ${this.flags.wait} ms` : ''}: ${detail}`, {
        code: 'NO_LEADER',
        // waiting helps only while members run and elect
        hint: answered === 0 ? noAnswerHint(status) : this.flags.wait > 0 ? undefined : 'pass --wait MS to wait for an election',
      })
    }
    if (!this.jsonEnabled()) this.log(leader.id)
    return {leaderId: leader.id, term: status.term}
  }
}
