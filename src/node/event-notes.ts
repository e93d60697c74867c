/**
 * What a member says about its own vote-log events: a log line for the ones an operator watches
 * (role changes, transfers, lost heartbeats; the rest at debug), and the role-change hook.
 */
import type {VoteLogEvent} from '../core/events.js'
import type {Logger} from './logger.js'
import type {RoleHookRunner} from './role-hook.js'

/** Logs one event and runs the role-change hook for a ROLE_CHANGE. */
export function narrate(e: VoteLogEvent, log: Logger, roleHook: RoleHookRunner | null, group: string): void {
  switch (e.type) {
    case 'ROLE_CHANGE':
      log.info(`${e.from} -> ${e.to} in term ${e.term}: ${e.reason}`, {leader: e.leaderId ?? undefined})
      roleHook?.notify({id: e.node, group, role: e.to, previousRole: e.from, term: e.term, leaderId: e.leaderId, reason: e.reason})
      break
    case 'LEADERSHIP_TRANSFER':
      log.info(`leadership transfer to ${e.transferee}: ${e.phase}`, {code: e.code, detail: e.detail})
      break
    case 'HEARTBEAT_TIMEOUT':
    case 'HEARTBEAT_QUORUM_LOST':
      log.info(e.type === 'HEARTBEAT_TIMEOUT' ? `no heartbeat from ${e.leaderId ?? 'the leader'} for ${e.lastHeartbeatAgoMs} ms` : `lost the heartbeat quorum: ${e.reason}`)
      break
    default:
      if (log.enabled('debug')) log.debug(e.type, {term: e.term})
  }
}
