import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {PauseResult} from '../process-pause.js'

/** `dledger resume ID`: SIGCONT a member paused by `dledger pause`. */
export default class Resume extends BaseCommand<typeof Resume> {
  static override summary = "Continue a local member's process paused by `dledger pause` (SIGCONT)"
  static override description = 'The member continues where it stopped: its late timers fire, it reads what its peers sent meanwhile and learns of any newer term (a paused leader steps down then). Continuing a member that is not paused does nothing.'

  static override examples = ['<%= config.bin %> <%= command.id %> n1']

  static override enableJsonFlag = true
  static override args = {id: Args.string({description: 'the member to continue (it must run on this machine)', required: true})}

  async run(): Promise<PauseResult> {
    const {resolvePaths} = await import('../paths.js')
    const {resolveCluster} = await import('../profile.js')
    const {localMemberPid, signalMember} = await import('../process-pause.js')
    const paths = resolvePaths(this.flags.home, this.config)
    const cluster = await resolveCluster(this.flags, paths)
    const pid = await localMemberPid(paths, cluster, this.args.id)
    signalMember(this.args.id, pid, 'SIGCONT')
    if (!this.jsonEnabled()) this.log(`resumed ${this.args.id} (pid ${pid})`)
    return {id: this.args.id, pid, state: 'resumed', pausedMs: null}
  }
}
