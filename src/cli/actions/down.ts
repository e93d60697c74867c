/** What `dledger down` does (commands/down.ts declares it for oclif; the light path runs it too). */
import {baseFlagTable, type CommandContext, type GlobalFlagValues} from '../command-context.js'
import {UsageError} from '../errors.js'
import {booleanFlag, type FlagValues, integerFlag, stringFlag} from '../flag-table.js'
import type {StopOutcome} from '../local-members.js'

/** What `down --json` prints. */
export interface DownResult {
  stopped: StopOutcome[]
}

/** `down` acts on this home's run records: --peers and --token would do nothing, so they are not offered. */
export const downBaseFlags = {home: baseFlagTable.home}

export const downFlags = {
  id: stringFlag({description: 'stop only this member'}),
  timeout: integerFlag({description: 'milliseconds to wait for a clean stop before SIGKILL', default: 10000, min: 0}),
  handoff: booleanFlag({description: 'a stopping leader first hands leadership to its most caught-up live follower', default: true, allowNo: true}),
}

export async function down(ctx: CommandContext, flags: FlagValues<typeof downFlags> & Pick<GlobalFlagValues, 'home' | 'token'>): Promise<DownResult> {
  const {resolvePaths} = await import('../paths.js')
  const {loadProfile} = await import('../profile.js')
  const {parsePeers} = await import('../../core/settings.js')
  const local = await import('../local-members.js')
  const {warn} = await import('../output.js')
  const paths = resolvePaths(flags.home, ctx.dirs)
  const id = flags.id
  const json = ctx.json

  const profile = await loadProfile(paths).catch(() => null)
  const peers = profile ? parsePeers(profile.peers) : []
  const found = await local.findMembers(paths, peers, {token: flags.token ?? profile?.token})
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
    for (const r of found.exited) if (concerns(r.id) && !records.some((x) => x.id === r.id)) ctx.log(`${r.id} (pid ${r.pid}) had already exited`)
    for (const f of found.foreign)
      if (concerns(f.id)) warn(`${f.id} answers on ${f.address}${f.pid === null ? '' : ` (pid ${f.pid})`}, but not as a member process of this machine; not stopped`)
  }
  if (records.length === 0) {
    if (!json && !found.exited.some((r) => concerns(r.id))) ctx.log(id === undefined ? 'nothing is running' : `${id} is not running`)
    return {stopped: []}
  }

  const {spinner} = await import('../output.js')
  const spin = json ? undefined : spinner(`stopping ${records.map((r) => r.id).join(', ')}`).start()
  // a hand-off only helps when the rest of the cluster keeps running
  const handoff = flags.handoff && id !== undefined
  const stopped = await local.stopMembers(paths, records, flags.timeout, {handoff})
  spin?.stop()
  if (!json) {
    for (const s of stopped) {
      const how = s.how === 'SIGTERM' ? '' : s.how === 'SIGUSR2' ? (flags.handoff ? '' : ' (without a hand-off)') : s.how === 'SIGKILL' ? ` (killed: no clean stop within ${flags.timeout} ms)` : ' (had already exited)'
      const byHand = records.find((r) => r.id === s.id)?.logFile === null ? ', started by hand' : ''
      ctx.log(`stopped ${s.id} (pid ${s.pid}${byHand})${how}`)
    }
  }
  return {stopped}
}
