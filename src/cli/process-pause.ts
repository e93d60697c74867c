/**
 * `dledger pause` / `dledger resume` (issue 10, item 2): stop and continue a local member's
 * process with SIGSTOP / SIGCONT — the stop-the-world pause (a long GC, a frozen VM) that
 * breaks naive leases. The member is found the way `down` finds it (src/cli/local-members.ts).
 */
import type {NodeId} from '../core/types.js'
import {OperationError, UsageError} from './errors.js'
import type {DledgerPaths} from './paths.js'
import type {ResolvedCluster} from './profile.js'

/** What `pause --json` and `resume --json` print. */
export interface PauseResult {
  id: NodeId
  pid: number
  /** paused: stopped now; resumed: continued now (after --for, or by `resume`) */
  state: 'paused' | 'resumed'
  /** how long it was held with --for, else null */
  pausedMs: number | null
}

/** The PID of member `id` running on this machine; a usage error for an unknown id, exit 1 when it does not run here. */
export async function localMemberPid(paths: DledgerPaths, cluster: ResolvedCluster, id: string): Promise<number> {
  if (!cluster.peers.some((p) => p.id === id)) throw new UsageError(`unknown member "${id}" (members: ${cluster.peers.map((p) => p.id).join(', ')})`, {code: 'UNKNOWN_MEMBER'})
  const {findMembers} = await import('./local-members.js')
  const found = await findMembers(paths, cluster.peers, {token: cluster.token})
  const member = found.running.find((m) => m.id === id)
  if (member === undefined)
    throw new OperationError(`${id} is not running on this machine`, {code: 'NOT_RUNNING', hint: 'pause and resume signal a local process; `dledger status` shows where each member runs'})
  return member.pid
}

/** Sends SIGSTOP or SIGCONT to a member's process; an OperationError when the process is gone. */
export function signalMember(id: string, pid: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    throw new OperationError(`cannot ${signal === 'SIGSTOP' ? 'pause' : 'resume'} ${id} (pid ${pid}): ${(error as Error).message}`, {code: 'SIGNAL_FAILED'})
  }
}
