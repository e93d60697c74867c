import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {UsageError} from '../errors.js'
import type {StopOutcome} from '../local-members.js'

/** What `down --json` prints. */
export interface DownResult {
  stopped: StopOutcome[]
}

/** `dledger down`: stops the members `dledger up` started. */
export default class Down extends BaseCommand<typeof Down> {
  static override summary = 'Stop the local members that `dledger up` started (all, or one)'
  static override description = `Stops each member recorded in <home>/run (only while the PID is still that member) cleanly. With --id it sends SIGTERM, so a leader first hands leadership to its most caught-up live follower (bounded by the transfer deadline, 3 s) and a planned restart costs no election timeout; with --no-handoff, or when stopping every member (nobody is left to take over), it sends SIGUSR2 instead, a clean stop without the hand-off. Waits up to --timeout, then SIGKILLs what is left and removes the records. "nothing is running" is not an error.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Stop one member; a leader hands leadership over first', command: '<%= config.bin %> <%= command.id %> --id n1'},
    {description: 'Stop the leader without a hand-off (to watch a failover)', command: '<%= config.bin %> <%= command.id %> --id n1 --no-handoff'},
  ]

  static override enableJsonFlag = true

  /** `down` acts on this home's run records: --peers and --token would do nothing, so they are not offered. */
  // the cast keeps BaseCommand's flag typing; down reads only --home
  static override baseFlags = {home: BaseCommand.baseFlags.home} as typeof BaseCommand.baseFlags

  static override flags = {
    id: Flags.string({description: 'stop only this member'}),
    timeout: Flags.integer({description: 'milliseconds to wait for a clean stop before SIGKILL', default: 10000, min: 0}),
    handoff: Flags.boolean({description: 'a stopping leader first hands leadership to its most caught-up live follower', default: true, allowNo: true}),
  }

  async run(): Promise<DownResult> {
    const {resolvePaths} = await import('../paths.js')
    const {loadProfile} = await import('../profile.js')
    const {parsePeers} = await import('../../core/settings.js')
    const local = await import('../local-members.js')
    const paths = resolvePaths(this.flags.home, this.config)
    const id = this.flags.id

    const recorded = local.readRunRecords(paths)
    let records = local.liveMembers(paths)
    const exited = recorded.filter((r) => !records.some((l) => l.id === r.id) && (id === undefined || r.id === id))
    if (!this.jsonEnabled()) for (const r of exited) this.log(`${r.id} (pid ${r.pid}) had already exited`)
    if (id !== undefined) {
      const profile = await loadProfile(paths).catch(() => null)
      const known = new Set([...records.map((r) => r.id), ...(profile ? parsePeers(profile.peers).map((p) => p.id) : [])])
      if (!known.has(id)) {
        throw new UsageError(`unknown member id "${id}"${known.size > 0 ? ` (known: ${[...known].join(', ')})` : ''}`, {code: 'UNKNOWN_MEMBER'})
      }
      records = records.filter((r) => r.id === id)
      if (records.length === 0) {
        if (!this.jsonEnabled()) this.log(`${id} is not running`)
        return {stopped: []}
      }
    }
    if (records.length === 0) {
      if (!this.jsonEnabled()) this.log('nothing is running')
      return {stopped: []}
    }

    const {spinner} = await import('../output.js')
    const spin = this.jsonEnabled() ? undefined : spinner(`stopping ${records.map((r) => r.id).join(', ')}`).start()
    // a hand-off only helps when the rest of the cluster keeps running
    const handoff = this.flags.handoff && id !== undefined
    const stopped = await local.stopMembers(paths, records, this.flags.timeout, {handoff})
    spin?.stop()
    if (!this.jsonEnabled()) {
      for (const s of stopped) {
        const how = s.how === 'SIGTERM' ? '' : s.how === 'SIGUSR2' ? (this.flags.handoff ? '' : ' (without a hand-off)') : s.how === 'SIGKILL' ? ` (killed: no clean stop within ${this.flags.timeout} ms)` : ' (had already exited)'
        this.log(`stopped ${s.id} (pid ${s.pid})${how}`)
      }
    }
    return {stopped}
  }
}
