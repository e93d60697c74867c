/** What `dledger transfer-leader` does (commands/transfer-leader.ts declares it for oclif; the light path runs it too). */
import type {ClusterStatus} from '../cluster-client.js'
import {commandCluster, commandPaths, type CommandContext, type GlobalFlagValues, probeTimeoutFlag, warnPreferredElsewhere} from '../command-context.js'
import {OperationError, UsageError} from '../errors.js'
import {booleanFlag, type FlagValues, integerFlag, stringFlag} from '../flag-table.js'
import type {PreferredOutcome, TransferResult} from '../leadership.js'

export const transferLeaderFlags = {
  to: stringFlag({description: 'the member to hand leadership to (asked on a terminal when omitted)'}),
  preferred: booleanFlag({
    description: 'also make it the preferred leader on every member (durable, kept in the profile); --no-preferred clears the preferred leader everywhere instead',
    allowNo: true,
  }),
  timeout: integerFlag({description: 'milliseconds for the whole transfer (the leader itself gives up after 3000)', default: 5000, min: 1}),
  'probe-timeout': probeTimeoutFlag(),
}

export async function transferLeader(ctx: CommandContext, flags: FlagValues<typeof transferLeaderFlags> & GlobalFlagValues): Promise<TransferResult> {
  const {preferredLine, transferLeadership, transferLine} = await import('../leadership.js')
  const {warn} = await import('../output.js')
  const paths = await commandPaths(ctx, flags)
  const cluster = await commandCluster(ctx, flags, paths)
  /** The --[no-]preferred outcome: on stdout after a success, on stderr before a failure. */
  const reportPreferred = (preferred: PreferredOutcome | undefined, log: (line: string) => void): void => {
    if (preferred === undefined || ctx.json) return
    log(preferredLine(preferred))
    for (const f of preferred.failed) warn(`${f.id} did not take the preferred leader: ${f.error}`)
  }
  const {result, before} = await transferLeadership(cluster, paths, {
    to: flags.to,
    preferred: flags.preferred,
    timeoutMs: flags.timeout,
    probeTimeoutMs: flags['probe-timeout'],
    pickTarget: (status, leaderId) => pickTarget(ctx, status, leaderId),
    onFailedWithPreferred: (preferred) => reportPreferred(preferred, (line) => console.error('%s', line)),
  })
  if (ctx.json) return result
  ctx.log(transferLine(result))
  reportPreferred(result.preferred, (line) => ctx.log(line))
  // without --preferred, a preferred leader elsewhere takes leadership back (checkPreferredLeader)
  if (flags.preferred === undefined)
    await warnPreferredElsewhere(ctx, before, result.to, `make ${result.to} preferred with --preferred, or clear the preferred leader with --no-preferred`)
  return result
}

/** Asks on a terminal which live follower should lead; a usage error without one. */
async function pickTarget(ctx: CommandContext, status: ClusterStatus, leaderId: string | null): Promise<string> {
  const {canPrompt} = await import('../output.js')
  const {idList, liveFollowers} = await import('../leadership.js')
  const followers = liveFollowers(status, leaderId)
  if (!canPrompt({json: ctx.json})) {
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
    if ((error as Error).name === 'ExitPromptError') ctx.exit(130)
    throw error
  }
}
