/** What `dledger status` does (commands/status.ts declares it for oclif; the light path runs it too). */
import type {ClusterStatus} from '../cluster-client.js'
import {answerTimeoutFlag, commandCluster, type CommandContext, type GlobalFlagValues} from '../command-context.js'
import {OperationError} from '../errors.js'
import {booleanFlag, type FlagValues, integerFlag} from '../flag-table.js'

export const statusFlags = {
  watch: booleanFlag({description: 'redraw every --interval until Ctrl-C (with --json: one JSON line per round)', default: false}),
  interval: integerFlag({description: 'milliseconds between redraws with --watch', default: 1000, min: 100}),
  timeout: answerTimeoutFlag(),
}

export async function status(ctx: CommandContext, flags: FlagValues<typeof statusFlags> & GlobalFlagValues): Promise<ClusterStatus | undefined> {
  const {fetchClusterStatus, noAnswerHint, renderStatus} = await import('../cluster-client.js')
  const cluster = await commandCluster(ctx, flags)
  const ask = () => fetchClusterStatus(cluster, {timeoutMs: flags.timeout})

  if (flags.watch) {
    await watch(ctx, flags.interval, ask, renderStatus)
    return undefined
  }

  // the table's module loads while the members answer
  if (!ctx.json) (await import('../output.js')).preloadTable()
  const result = await ask()
  const anyReachable = result.members.some((m) => m.reachable)
  if (ctx.json) {
    if (anyReachable) return result
    ctx.logJson(result)
    ctx.exit(1)
  }
  ctx.log(await renderStatus(result))
  if (!anyReachable) {
    throw new OperationError('no member answered', {code: 'UNREACHABLE', hint: noAnswerHint(result)})
  }
  return result
}

/** Redraws until SIGINT/SIGTERM. On a terminal the screen is cleared each round. */
async function watch(ctx: CommandContext, interval: number, ask: () => Promise<ClusterStatus>, render: (s: ClusterStatus) => Promise<string>): Promise<void> {
  let stopped = false
  let wake: (() => void) | undefined
  const stop = () => {
    stopped = true
    wake?.()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const tty = Boolean(process.stdout.isTTY)
  try {
    while (!stopped) {
      const started = Date.now()
      const status = await ask()
      if (stopped) break
      if (ctx.json) {
        // log() is silent under --json (oclif); a round is one JSON line, like `kubectl get -w -o json`
        console.log('%s', JSON.stringify(status))
      } else {
        const header = `every ${interval} ms: ${ctx.bin} status  ${new Date().toISOString()}  (Ctrl-C to stop)`
        const body = await render(status)
        if (tty) process.stdout.write(`\u001B[2J\u001B[H${header}\n\n${body}\n`)
        else ctx.log(`${header}\n${body}\n`)
      }
      const pause = Math.max(0, interval - (Date.now() - started))
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, pause)
      })
    }
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}
