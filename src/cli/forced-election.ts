/**
 * `dledger elect`: a forced election (DLedger's testRevote) or the leader stepping down, waited
 * for until the status shows the new leader. The cluster is reached through an ElectionPort, so
 * the simulator can stand in for real members in tests.
 *
 * A forced election can lose DLedger's race: a member that saw the candidate's higher term
 * campaigns after its own short random wait, and wins when the candidate is slower (its fsync
 * under load). Nothing is wrong then; the election goes again, for the term after the winner's,
 * within the one deadline.
 */
import type {NodeId} from '../core/types.js'
import type {ClusterStatus} from './cluster-client.js'
import {OperationError} from './errors.js'
import type {ResolvedCluster} from './profile.js'

/** What `elect --json` prints. */
export interface ElectResult {
  leaderId: NodeId
  term: number
  previousLeaderId: NodeId | null
  previousTerm: number | null
  /** from the first request to the member until the status showed the new leader */
  tookMs: number
  /** forced elections started (a lost race is retried while --timeout allows); 1 for a step-down */
  attempts: number
}

/** The admin requests `elect` sends. */
export type ElectionRequest = {op: 'revote'; term: number} | {op: 'stepDown'}

/** How `forceElection` reaches the cluster: real members (`clusterPort`) or the simulator. */
export interface ElectionPort {
  status(): Promise<ClusterStatus>
  /** One admin request; a member that cannot be reached throws a typed OperationError. */
  ask(id: NodeId, body: ElectionRequest): Promise<{ok: boolean; code?: string; error?: string}>
  /** Re-reads the status until `done` holds or `timeoutMs` passes. */
  waitFor(done: (s: ClusterStatus) => boolean, timeoutMs: number): Promise<{status: ClusterStatus; done: boolean}>
  /** Milliseconds on the port's clock. */
  now(): number
}

export interface ElectionOptions {
  /** the member that campaigns; null: the leader steps down */
  node: NodeId | null
  timeoutMs: number
  /** told what is awaited; returns the function that ends the wait's display */
  onWait?: (what: string) => () => void
}

/** At most this many forced elections per command. */
export const MAX_ELECTION_ATTEMPTS = 3
/** No new forced election with less time than this left before the deadline. */
const MIN_RETRY_MS = 300

/** Runs the forced election or step-down; the result, or a typed failure. */
export async function forceElection(port: ElectionPort, opts: ElectionOptions): Promise<{result: ElectResult; before: ClusterStatus}> {
  const {confirmedLeader, noAnswerHint} = await import('./cluster-client.js')
  const {maxTerm, memberOrUsageError} = await import('./leadership.js')
  const before = await port.status()
  const target = opts.node === null ? null : memberOrUsageError(before, opts.node, '--node')
  let highest = maxTerm(before)
  if (highest === null) {
    throw new OperationError(`no member answered (${before.members.map((m) => `${m.id}: ${m.error}`).join('; ')})`, {
      code: 'UNREACHABLE',
      hint: noAnswerHint(before),
    })
  }
  const previous = confirmedLeader(before)
  const previousLeaderId = previous?.id ?? null
  const previousTerm = previous === null ? null : before.term
  const started = port.now()
  const remaining = () => Math.max(1, opts.timeoutMs - (port.now() - started))
  const wait = async (done: (s: ClusterStatus) => boolean, what: string) => {
    const stop = opts.onWait?.(what)
    try {
      return await port.waitFor(done, remaining())
    } finally {
      stop?.()
    }
  }
  const timedOut = (status: ClusterStatus, what: string) => {
    const now = confirmedLeader(status)
    const state = now === null ? 'no leader now' : `now ${now.id} leads term ${status.term}`
    return new OperationError(`timed out after ${opts.timeoutMs} ms waiting for ${what} (${state})`, {
      code: 'TIMEOUT',
      hint: 'check `dledger status`; a forced election can lose to another candidate, so try again',
    })
  }
  const finish = (status: ClusterStatus, attempts: number) => {
    const leader = confirmedLeader(status)!
    const tookMs = Math.round((port.now() - started) * 10) / 10
    return {result: {leaderId: leader.id, term: status.term!, previousLeaderId, previousTerm, tookMs, attempts}, before}
  }

  if (target === null) {
    if (previous === null || previousTerm === null) {
      throw new OperationError('no leader to step down', {
        code: 'NO_LEADER',
        hint: 'wait for an election (`dledger leader --wait 5000`), or make a member campaign with --node ID',
      })
    }
    const answer = await port.ask(previous.id, {op: 'stepDown'})
    if (!answer.ok) {
      throw new OperationError(`${previous.id} did not step down: ${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`, {
        code: answer.code ?? 'ERROR',
        hint: answer.code === 'NOT_LEADER' ? 'leadership changed meanwhile; check `dledger status`' : undefined,
      })
    }
    const what = `a new leader after ${previous.id} stepped down`
    const polled = await wait((s) => {
      const l = confirmedLeader(s)
      return l !== null && s.term !== null && (s.term > previousTerm || l.id !== previous.id)
    }, what)
    if (!polled.done) throw timedOut(polled.status, what)
    return finish(polled.status, 1)
  }

  if (!target.reachable) {
    throw new OperationError(`forced election on ${target.id} failed: NETWORK_ERROR (302): ${target.id} is down (${target.error ?? 'unreachable'})`, {
      code: 'NETWORK_ERROR',
      hint: `start ${target.id} again, or force the election on a live member`,
    })
  }
  for (let attempts = 1; ; attempts++) {
    // DLedger's testRevote(maxTerm + 1): the candidate jumps past every term in the group
    const term = highest + 1
    const answer = await port.ask(target.id, {op: 'revote', term})
    if (!answer.ok) throw new OperationError(`forced election on ${target.id} failed: ${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`, {code: answer.code ?? 'ERROR'})
    const what = `${target.id} to lead term ${term}`
    const won = (s: ClusterStatus) => confirmedLeader(s)?.id === target.id && (s.term ?? -1) >= term
    // lost: another member leads a term at least as new as the one the target campaigned for
    const lost = (s: ClusterStatus) => {
      const l = confirmedLeader(s)
      return l !== null && l.id !== target.id && (s.term ?? -1) >= term
    }
    const polled = await wait((s) => won(s) || lost(s), what)
    if (won(polled.status)) return finish(polled.status, attempts)
    if (!polled.done) throw timedOut(polled.status, what)
    const winner = confirmedLeader(polled.status)!
    if (attempts >= MAX_ELECTION_ATTEMPTS || remaining() < MIN_RETRY_MS) {
      throw new OperationError(`forced election on ${target.id} lost ${attempts} time${attempts === 1 ? '' : 's'}: ${winner.id} leads term ${polled.status.term}`, {
        code: 'ELECTION_LOST',
        hint: `another candidate was faster each time; retry, or hand leadership over with \`dledger transfer-leader --to ${target.id}\``,
      })
    }
    highest = Math.max(term, maxTerm(polled.status) ?? term)
  }
}

/** The port to real members: status probes, admin requests with typed connection failures. */
export function clusterPort(cluster: ResolvedCluster, probeTimeoutMs: number): ElectionPort {
  // the WebSocket client (ws) loads while the first status round is on the wire, not after it
  import('./member-client.js').catch(() => undefined)
  return {
    now: () => performance.now(),
    async status() {
      const {fetchClusterStatus} = await import('./cluster-client.js')
      return fetchClusterStatus(cluster, {timeoutMs: probeTimeoutMs})
    },
    async waitFor(done, timeoutMs) {
      const {pollCluster} = await import('./cluster-client.js')
      return pollCluster(cluster, done, {timeoutMs, everyMs: 10, probeTimeoutMs})
    },
    async ask(id, body) {
      const {adminRequest, MemberClientError} = await import('./member-client.js')
      const {TOKEN_HINT} = await import('./cluster-client.js')
      try {
        return await adminRequest(cluster.peers.find((p) => p.id === id)!, body, {token: cluster.token, group: cluster.group})
      } catch (error) {
        if (!(error instanceof MemberClientError)) throw error
        const denied = error.code === 'UNAUTHORIZED'
        throw new OperationError(`cannot reach ${id}: ${error.message}`, {
          code: denied ? 'UNAUTHORIZED' : 'NETWORK_ERROR',
          hint: denied ? TOKEN_HINT : `is ${id} running? \`dledger status\` shows each member`,
        })
      }
    },
  }
}
