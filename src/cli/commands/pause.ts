import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {PauseResult} from '../process-pause.js'

/** `dledger pause ID [--for 5s]`: SIGSTOP a local member. */
export default class Pause extends BaseCommand<typeof Pause> {
  static override summary = "Stop a local member's process (SIGSTOP), for a while or until `dledger resume`"
  static override description = `The member freezes as in a long GC pause or a frozen VM: it handles nothing, answers nobody (status shows it unreachable) and its timers fire late when it continues. Its peers elect another leader; a paused leader learns of the new term only after it continues. With --for, the command waits that long, then continues the process (Ctrl-C continues it at once and exits 130); without it, \`dledger resume ID\` continues it.`

  static override examples = [
    {description: 'Freeze the leader for 5 s', command: '<%= config.bin %> <%= command.id %> $(<%= config.bin %> leader) --for 5s'},
    {description: 'Freeze n1 until `dledger resume n1`', command: '<%= config.bin %> <%= command.id %> n1'},
  ]

  static override enableJsonFlag = true
  static override args = {id: Args.string({description: 'the member to pause (it must run on this machine)', required: true})}
  static override flags = {for: Flags.string({description: 'continue it after this long (500ms, 5s, 1m)'})}

  async run(): Promise<PauseResult> {
    const {resolvePaths} = await import('../paths.js')
    const {resolveCluster} = await import('../profile.js')
    const {localMemberPid, signalMember} = await import('../process-pause.js')
    const {UsageError} = await import('../errors.js')
    let forMs: number | null = null
    if (this.flags.for !== undefined) {
      const {parseTime} = await import('../../sim/script.js')
      try {
        forMs = parseTime(this.flags.for)
      } catch (error) {
        throw new UsageError(`--for: ${(error as Error).message}`, {code: 'INVALID_FLAG'})
      }
    }
    const paths = resolvePaths(this.flags.home, this.config)
    const cluster = await resolveCluster(this.flags, paths)
    const id = this.args.id
    const pid = await localMemberPid(paths, cluster, id)
    signalMember(id, pid, 'SIGSTOP')
    if (forMs === null) {
      if (!this.jsonEnabled()) this.log(`paused ${id} (pid ${pid}); \`dledger resume ${id}\` continues it`)
      return {id, pid, state: 'paused', pausedMs: null}
    }
    const {spinner} = await import('../output.js')
    const spin = this.jsonEnabled() ? undefined : spinner(`${id} (pid ${pid}) paused for ${this.flags.for}`).start()
    const started = performance.now()
    // Ctrl-C must not leave the member frozen: continue it, then exit 130
    const interrupted = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), forMs)
      const onSigint = () => done(true)
      const done = (byUser: boolean) => {
        clearTimeout(timer)
        process.off('SIGINT', onSigint)
        process.off('SIGTERM', onSigint)
        resolve(byUser)
      }
      process.on('SIGINT', onSigint)
      process.on('SIGTERM', onSigint)
    })
    spin?.stop()
    signalMember(id, pid, 'SIGCONT')
    const pausedMs = Math.round(performance.now() - started)
    if (interrupted) {
      console.error(`interrupted: resumed ${id} (pid ${pid}) after ${pausedMs} ms`)
      this.exit(130)
    }
    if (!this.jsonEnabled()) this.log(`resumed ${id} (pid ${pid}) after ${pausedMs} ms`)
    return {id, pid, state: 'resumed', pausedMs}
  }
}
