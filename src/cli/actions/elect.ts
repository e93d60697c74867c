/** What `dledger elect` does (commands/elect.ts declares it for oclif; the light path runs it too). */
import {commandCluster, type CommandContext, type GlobalFlagValues, probeTimeoutFlag, warnPreferredElsewhere} from '../command-context.js'
import {type FlagValues, integerFlag, stringFlag} from '../flag-table.js'
import type {ElectResult} from '../forced-election.js'

export const electFlags = {
  node: stringFlag({description: 'the member that campaigns for the next term (default: the leader steps down)'}),
  timeout: integerFlag({description: 'milliseconds to wait for the new leader', default: 10000, min: 1}),
  'probe-timeout': probeTimeoutFlag(),
}

export async function elect(ctx: CommandContext, flags: FlagValues<typeof electFlags> & GlobalFlagValues): Promise<ElectResult> {
  const {clusterPort, forceElection} = await import('../forced-election.js')
  const {electLine} = await import('../leadership.js')
  const {spinner} = await import('../output.js')
  const port = clusterPort(await commandCluster(ctx, flags), flags['probe-timeout'])
  const {result, before} = await forceElection(port, {
    node: flags.node ?? null,
    timeoutMs: flags.timeout,
    onWait: (what) => {
      if (ctx.json) return () => undefined
      const spin = spinner(`waiting for ${what}`).start()
      return () => spin.stop()
    },
  })
  if (!ctx.json) {
    ctx.log(electLine(result, flags.node !== undefined ? 'forced election' : 'step down'))
    // a preferred leader elsewhere takes leadership back (checkPreferredLeader)
    await warnPreferredElsewhere(ctx, before, result.leaderId)
  }
  return result
}
