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
  static override summary = 'Stop the members of this home running on this machine (all, or one)'
  static override description = `Finds every member of the home running on this machine, whether \`dledger up\` or \`dledger start\` started it: the PIDs recorded in <home>/run (only while the PID is still that member), then the profile's local ports whose /status names a member process here. Stops each cleanly and says which. With --id it sends SIGTERM, so a leader first hands leadership to its most caught-up live follower (bounded by the transfer deadline, 3 s) and a planned restart costs no election timeout; with --no-handoff, or when stopping every member (nobody is left to take over), it sends SIGUSR2 instead, a clean stop without the hand-off. Waits up to --timeout, then SIGKILLs what is left and removes the records. "nothing is running" is not an error.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Stop one member; a leader hands leadership over first', command: '<%= config.bin %> <%= command.id %> --id n1'},
    {description: 'Stop the leader without a hand-off (to watch a failover)', command: '<%= config.bin %> <%= command.id %> --id n1 --no-handoff'},
    {description: 'Then start it again (the others keep running)', command: '<%= config.bin %> up --id n1'},
    {description: 'As JSON: {"stopped":[{"id","pid","how"}]}', command: '<%= config.bin %> <%= command.id %> --json'},
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
    const {warn} = await import('../output.js')
    const paths = resolvePaths(this.flags.home, this.config)
    const id = this.flags.id
    const json = this.jsonEnabled()

    const profile = await loadProfile(paths).catch(() => null)
    const peers = profile ? parsePeers(profile.peers) : []
    const found = await local.findMembers(paths, peers, {token: this.flags.token ?? profile?.token})
    const concerns = (memberId: string) => id === undefined || memberId === id
    if (id !== undefined) {
      const known = new Set([...found.running.map((r) => r.id), ...found.exited.map((r) => r.id), ...peers.map((p) => p.id)])
      if (!known.has(id)) {
        throw new UsageError(`unknown member id "${id}"${known.size > 0 ? ` (known: ${[...known].join(', ')})` : ''}`, {code: 'UNKNOWN_MEMBER'})
      }
    }
    const records = found.running.filter((r) => concerns(r.id))
    if (!json) {
      // one line per member: an exited one is not also "not running"
      for (const r of found.exited) if (concerns(r.id) && !records.some((x) => x.id === r.id)) this.log(`${r.id} (pid ${r.pid}) had already exited`)
      for (const f of found.foreign)
        if (concerns(f.id)) warn(`${f.id} answers on ${f.address}${f.pid === null ? '' : ` (pid ${f.pid})`}, but not as a member process of this machine; not stopped`)
    }
    if (records.length === 0) {
      if (!json && !found.exited.some((r) => concerns(r.id))) this.log(id === undefined ? 'nothing is running' : `${id} is not running`)
      return {stopped: []}
    }

    const {spinner} = await import('../output.js')
    const spin = json ? undefined : spinner(`stopping ${records.map((r) => r.id).join(', ')}`).start()
    // a hand-off only helps when the rest of the cluster keeps running
    const handoff = this.flags.handoff && id !== undefined
    const stopped = await local.stopMembers(paths, records, this.flags.timeout, {handoff})
    spin?.stop()
    if (!json) {
      for (const s of stopped) {
        const how = s.how === 'SIGTERM' ? '' : s.how === 'SIGUSR2' ? (this.flags.handoff ? '' : ' (without a hand-off)') : s.how === 'SIGKILL' ? ` (killed: no clean stop within ${this.flags.timeout} ms)` : ' (had already exited)'
        const byHand = records.find((r) => r.id === s.id)?.logFile === null ? ', started by hand' : ''
        this.log(`stopped ${s.id} (pid ${s.pid}${byHand})${how}`)
      }
    }
    return {stopped}
  }
}
