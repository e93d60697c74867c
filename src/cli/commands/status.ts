import {Flags} from '@oclif/core'

import {answerTimeoutFlag, MemberCommand} from '../member-command.js'
import type {ClusterStatus} from '../cluster-client.js'
import {OperationError} from '../errors.js'

/** `dledger status`: every member's view at once, as a table or JSON (spec §4). */
export default class Status extends MemberCommand<typeof Status> {
  static override summary = 'Show every member of the cluster: role, term, leader, vote, ledger end'
  static override description = `Asks every member's /status at once (each bounded by --timeout) and prints one row per member: ID, ADDRESS, ROLE, TERM, LEADER, VOTED-FOR, LEDGER-END, LAST-HEARTBEAT, PREFERRED, FAULTS (the network faults injected with \`dledger fault\`, "-" for none), STATUS. A member that does not answer is a row with the reason in STATUS. Warnings follow the table, the most important first: no leader, or a leader without a majority (\`dledger health\` turns that into an exit code), two leaders in one term, members that disagree on the leader or the preferred leader, unreachable members.

The cluster comes from the profile in the home, or from --peers for any cluster without one. Exit 0 when at least one member answered, 1 when none did.`

  static override examples = [
    {description: 'The local cluster (the profile written by `dledger up` or `dledger init`)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Redraw every second until Ctrl-C (watch a failover)', command: '<%= config.bin %> <%= command.id %> --watch'},
    {
      description: 'Any cluster, without a profile',
      command: '<%= config.bin %> <%= command.id %> --peers "n0-10.0.0.1:20911;n1-10.0.0.2:20911;n2-10.0.0.3:20911" --token "$TOKEN"',
    },
  ]

  static override enableJsonFlag = true

  static override flags = {
    watch: Flags.boolean({description: 'redraw every --interval until Ctrl-C (with --json: one JSON line per round)', default: false}),
    interval: Flags.integer({description: 'milliseconds between redraws with --watch', default: 1000, min: 100}),
    timeout: answerTimeoutFlag(),
  }

  async run(): Promise<ClusterStatus | undefined> {
    const {fetchClusterStatus, noAnswerHint, renderStatus} = await import('../cluster-client.js')
    const cluster = await this.cluster()
    const ask = () => fetchClusterStatus(cluster, {timeoutMs: this.flags.timeout})

    if (this.flags.watch) {
      await this.watch(ask, renderStatus)
      return undefined
    }

    const status = await ask()
    const anyReachable = status.members.some((m) => m.reachable)
    if (this.jsonEnabled()) {
      if (anyReachable) return status
      this.logJson(status)
      this.exit(1)
    }
    this.log(await renderStatus(status))
    if (!anyReachable) {
      throw new OperationError('no member answered', {code: 'UNREACHABLE', hint: noAnswerHint(status)})
    }
    return status
  }

  /** Redraws until SIGINT/SIGTERM. On a terminal the screen is cleared each round. */
  private async watch(ask: () => Promise<ClusterStatus>, render: (s: ClusterStatus) => Promise<string>): Promise<void> {
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
        if (this.jsonEnabled()) {
          // this.log is silent under --json (oclif); a round is one JSON line, like `kubectl get -w -o json`
          console.log('%s', JSON.stringify(status))
        } else {
          const header = `every ${this.flags.interval} ms: ${this.config.bin} status  ${new Date().toISOString()}  (Ctrl-C to stop)`
          const body = await render(status)
          if (tty) process.stdout.write(`\u001B[2J\u001B[H${header}\n\n${body}\n`)
          else this.log(`${header}\n${body}\n`)
        }
        const pause = Math.max(0, this.flags.interval - (Date.now() - started))
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
}
