/**
 * What `dledger append` and `dledger read` share: asking one member an admin question with the
 * cluster's token and group, and turning a member that cannot be reached into one clear error.
 */
import type {Peer} from '../core/settings.js'
import type {AdminResponse} from '../wire/frames.js'
import {OperationError} from './errors.js'
import type {AdminBody} from './member-client.js'

export interface LedgerCluster {
  peers: Peer[]
  token?: string
  group?: string | null
}

/** Sends one admin request to member `id`; throws OperationError when it cannot be reached. */
export async function askMember(cluster: LedgerCluster, id: string, body: AdminBody, timeoutMs: number): Promise<AdminResponse> {
  const {adminRequest, MemberClientError} = await import('./member-client.js')
  const peer = cluster.peers.find((p) => p.id === id)
  if (peer === undefined) throw new OperationError(`${id} is not a member`, {code: 'UNKNOWN_MEMBER'})
  try {
    return await adminRequest(peer, body, {token: cluster.token, group: cluster.group, requestTimeoutMs: timeoutMs})
  } catch (error) {
    if (error instanceof MemberClientError) {
      throw new OperationError(`cannot reach ${id}: ${error.message}`, {
        code: error.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : error.code === 'TIMEOUT' ? 'TIMEOUT' : 'NETWORK_ERROR',
        hint: error.code === 'UNAUTHORIZED' ? 'pass the cluster token with --token or DLEDGER_TOKEN' : `is ${id} running? \`dledger status\` shows each member`,
      })
    }
    throw error
  }
}
