/**
 * What `dledger elect` and `dledger transfer-leader` share: reading the cluster's leader and term
 * from the status view, the typed failures (DLedger's response-code names, a hint each) and the
 * result lines. Pure (no I/O), so the rules are unit-tested without processes.
 */
import type {NodeId} from '../core/types.js'
import type {ClusterMember, ClusterStatus} from './cluster-client.js'
import {OperationError, UsageError} from './errors.js'

/** What `elect --json` prints. */
export interface ElectResult {
  leaderId: NodeId
  term: number
  previousLeaderId: NodeId | null
  previousTerm: number | null
  /** from the request to the member until the status showed the new leader */
  tookMs: number
}

/** What `transfer-leader --json` prints. */
export interface TransferResult {
  from: NodeId
  to: NodeId
  /** the term `to` leads in */
  term: number
  previousTerm: number
  /** from sending the request until the leader answered SUCCESS (0 for a no-op) */
  tookMs: number
  /** from sending the request until `status` showed `to` leading in `term` (0 for a no-op) */
  visibleMs: number
  /** true when `to` already led: nothing was transferred */
  noop: boolean
  /** transfer requests sent (a lost take-leadership race is retried while --timeout allows); 0 for a no-op */
  attempts: number
  /** with --preferred or --no-preferred: where the preferred leaders were set */
  preferred?: PreferredOutcome
}

/** Where new preferred leaders took effect (`preferred set|clear`, `transfer-leader --[no-]preferred`). */
export interface PreferredOutcome {
  /** the preferred leaders in priority order; empty = none */
  ids: NodeId[]
  /** members that persisted and applied it */
  applied: NodeId[]
  /** members that could not be reached or refused, with why */
  failed: {id: NodeId; error: string}[]
  /** whether the profile's preferredLeaderIds was updated */
  profile: boolean
}

/** The largest term any reachable member reports, or null when none answered. */
export function maxTerm(status: ClusterStatus): number | null {
  let max: number | null = null
  for (const m of status.members) if (m.reachable && m.term !== null && (max === null || m.term > max)) max = m.term
  return max
}

/** The member with this id, or a UsageError (exit 2) that lists the known ids. */
export function memberOrUsageError(status: ClusterStatus, id: NodeId, flag: string): ClusterMember {
  const m = status.members.find((x) => x.id === id)
  if (m !== undefined) return m
  const known = status.members.map((x) => x.id)
  throw new UsageError(`${flag}: unknown member "${id}" (known: ${known.join(', ')})`, {code: 'UNKNOWN_MEMBER', hint: `pick one of ${known.join(', ')}`})
}

/** The reachable members that are not the leader: the transfer targets worth offering. */
export function liveFollowers(status: ClusterStatus, leaderId: NodeId | null): ClusterMember[] {
  return status.members.filter((m) => m.reachable && m.id !== leaderId)
}

/** `n0, n1` or `none`. */
export function idList(ids: readonly string[]): string {
  return ids.length > 0 ? ids.join(', ') : 'none'
}

/** DLedger's numeric codes for the names a transfer can fail with (reference §3.10). */
const CODES: Record<string, number> = {
  NETWORK_ERROR: 302,
  TIMEOUT: 300,
  UNKNOWN_MEMBER: 401,
  EXPIRED_TERM: 403,
  NOT_LEADER: 404,
  INCONSISTENT_TERM: 407,
  INCONSISTENT_LEADER: 409,
  UNEXPECTED_ARGUMENT: 411,
  DISK_ERROR: 414,
  FALL_BEHIND_TOO_MUCH: 417,
  TAKE_LEADERSHIP_FAILED: 418,
  INTERNAL_ERROR: 500,
  LEADER_TRANSFERRING: 506,
}

/** `TAKE_LEADERSHIP_FAILED (418)`, or the bare name when it has no DLedger number. */
export function codeLabel(name: string): string {
  const n = CODES[name]
  return n === undefined ? name : `${name} (${n})`
}

export interface TransferFailureContext {
  to: NodeId
  leaderId: NodeId | null
  /** live followers other than `to`, for "pick another" hints */
  others: NodeId[]
  timeoutMs: number
  /** extra words after the code, e.g. "n2 is down (unreachable: connection refused)" */
  detail?: string
}

/** The hint for a failed transfer, by DLedger code name. */
export function transferHint(code: string, ctx: TransferFailureContext): string {
  const others = ctx.others.length > 0 ? ` or transfer to a live follower (${ctx.others.join(', ')})` : ''
  switch (code) {
    case 'NETWORK_ERROR':
      return `start ${ctx.to} again (\`dledger start --id ${ctx.to}\`)${others}`
    case 'FALL_BEHIND_TOO_MUCH':
      return `${ctx.to} lags the leader by maxLeadershipTransferWaitIndex entries or more; retry once it has caught up${others}`
    case 'TAKE_LEADERSHIP_FAILED':
      return `${ctx.to} did not win the election for the next term (it lost a race or could not catch up in time); retry, and check \`dledger status\``
    case 'LEADER_TRANSFERRING':
      return `${ctx.leaderId ?? 'the leader'} is already handing leadership over (another transfer, or the preferred-leader check); check \`dledger status\` in a moment`
    case 'TIMEOUT':
      return `no outcome within ${ctx.timeoutMs} ms; check \`dledger status\` (a slow member, or a partition), or retry with a larger --timeout`
    case 'EXPIRED_TERM':
      return 'another election moved the term on during the transfer; check `dledger status` and retry'
    case 'NOT_LEADER':
    case 'INCONSISTENT_TERM':
    case 'INCONSISTENT_LEADER':
      return 'leadership changed while the transfer was being requested; check `dledger status` and retry'
    case 'NO_LEADER':
      return 'wait for an election (`dledger leader --wait 5000`), then retry'
    case 'UNAUTHORIZED':
      return 'pass the cluster token with --token or DLEDGER_TOKEN'
    default:
      return 'check `dledger status`'
  }
}

/** One line: `transfer to n2 failed: TAKE_LEADERSHIP_FAILED (418)[: detail]`, exit 1, code = the DLedger name. */
export function transferFailure(code: string, ctx: TransferFailureContext): OperationError {
  const detail = ctx.detail ? `: ${ctx.detail}` : ''
  return new OperationError(`transfer to ${ctx.to} failed: ${codeLabel(code)}${detail}`, {code, hint: transferHint(code, ctx)})
}

/** `n0 → n2 in term 5 (43 ms)`, or the no-op line. */
export function transferLine(r: TransferResult): string {
  if (r.noop) return `${r.to} already leads term ${r.term} (nothing to transfer)`
  return `${r.from} → ${r.to} in term ${r.term} (${Math.round(r.tookMs)} ms)`
}

/** `preferred leader n2 on n0, n1, n2 (kept in the profile)`, `preferred leaders n2;n1 …`, `no preferred leader …`. */
export function preferredLine(p: PreferredOutcome): string {
  const where = p.applied.length > 0 ? ` on ${idList(p.applied)}` : ' on no member'
  const kept = p.profile ? ' (kept in the profile)' : ''
  const what = p.ids.length === 0 ? 'no preferred leader' : `preferred leader${p.ids.length > 1 ? 's' : ''} ${p.ids.join(';')}`
  return `${what}${where}${kept}`
}

/** `n1 leads term 7 (forced election, 84 ms)`. */
export function electLine(r: ElectResult, how: 'forced election' | 'step down'): string {
  return `${r.leaderId} leads term ${r.term} (${how}, ${Math.round(r.tookMs)} ms)`
}
