/** What `dledger leader` does (commands/leader.ts declares it for oclif; the light path runs it too). */
import {answerTimeoutFlag, commandCluster, type CommandContext, type GlobalFlagValues} from '../command-context.js'
import {OperationError} from '../errors.js'
import {type FlagValues, integerFlag} from '../flag-table.js'

/** What `leader --json` prints. */
export interface LeaderResult {
  leaderId: string
  term: number
}

export const leaderFlags = {
  wait: integerFlag({description: 'milliseconds to keep asking for a leader (0 = ask once)', default: 0, min: 0}),
  timeout: answerTimeoutFlag(),
}

export async function leader(ctx: CommandContext, flags: FlagValues<typeof leaderFlags> & GlobalFlagValues): Promise<LeaderResult> {
  const {confirmedLeader, noAnswerHint, pollCluster} = await import('../cluster-client.js')
  const {spinner} = await import('../output.js')
  const cluster = await commandCluster(ctx, flags)

  const spin = flags.wait > 0 && !ctx.json ? spinner('waiting for a leader').start() : undefined
  const {status, done} = await pollCluster(cluster, (s) => confirmedLeader(s) !== null, {
    timeoutMs: flags.wait,
    everyMs: 100,
    probeTimeoutMs: flags.timeout,
  })
  spin?.stop()
  const found = confirmedLeader(status)
  if (!done || found === null || status.term === null) {
    const answered = status.members.filter((m) => m.reachable).length
    const detail =
      answered === 0
        ? `no member answered (${status.members.map((m) => `${m.id}: ${m.error}`).join('; ')})`
        : status.leaderId !== null
          ? `${status.leaderId} is reported as leader in term ${status.term} but does not confirm it`
          : `${answered}/${status.members.length} members answered, none knows a leader`
    throw new OperationError(`no leader${flags.wait > 0 ? ` within ${flags.wait} ms` : ''}: ${detail}`, {
      code: 'NO_LEADER',
      // waiting helps only while members run and elect
      hint: answered === 0 ? noAnswerHint(status) : flags.wait > 0 ? undefined : 'pass --wait MS to wait for an election',
    })
  }
  ctx.log(found.id)
  return {leaderId: found.id, term: status.term}
}
