/**
 * Leadership from the outside: the transfer workflow `dledger transfer-leader` and the UI run
 * (`transferLeadership`), and what it shares with `dledger elect`: reading the cluster's leader
 * and term from the status view, the typed failures (DLedger's response-code names, a hint each)
 * and the result lines. Those shared parts are pure, so the rules are unit-tested without
 * processes; the transfer itself runs against real members (test/e2e/operator.test.ts).
 */
import {type NodeId, RESPONSE_CODES, type ResponseCodeName} from '../core/types.js'
import {type ClusterMember, type ClusterStatus, TOKEN_HINT} from './cluster-client.js'
import {OperationError, UsageError} from './errors.js'
import type {ElectResult} from './forced-election.js'
import type {DledgerPaths} from './paths.js'
import type {ResolvedCluster} from './profile.js'

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

/** `TAKE_LEADERSHIP_FAILED (418)`, or the bare name when it has no DLedger number. */
export function codeLabel(name: string): string {
  return name in RESPONSE_CODES ? `${name} (${RESPONSE_CODES[name as ResponseCodeName]})` : name
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
function transferHint(code: string, ctx: TransferFailureContext): string {
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
      return TOKEN_HINT
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

/** The preferred leaders the members name that are not `leaderId`: leadership moves back to them (checkPreferredLeader). */
export function preferredElsewhere(status: ClusterStatus, leaderId: NodeId): string[] {
  return [...new Set(status.members.map((m) => m.preferred).filter((p): p is string => p !== null && !p.split(';').includes(leaderId)))]
}

/** What `transferLeadership` needs besides the cluster. */
export interface TransferRequest {
  /** the transferee; when undefined, `pickTarget` chooses among the live followers */
  to?: NodeId
  /** true: make `to` preferred everywhere; false: clear the preferred leaders first; undefined: leave them */
  preferred?: boolean
  /** the whole transfer's deadline */
  timeoutMs: number
  /** each member's status answer */
  probeTimeoutMs: number
  pickTarget?: (status: ClusterStatus, leaderId: NodeId | null) => Promise<NodeId>
  /** told the --[no-]preferred outcome when the transfer fails after setting it */
  onFailedWithPreferred?: (preferred: PreferredOutcome) => void
}

/** A finished transfer and the status it started from (whose preferred leaders the caller may warn about). */
export interface TransferOutcome {
  result: TransferResult
  before: ClusterStatus
}

/**
 * DLedger's leadership transfer with the leader and term found: one client request to the leader,
 * which hands over to `to` and answers when `to` leads a newer term (spec S6); then the status must
 * show it. The leader itself retries a take-leadership race it re-won (src/core/transfer.ts); a
 * request that met another election or a moved leadership is sent again to whoever leads then,
 * while the deadline allows. Throws the typed failure.
 */
export async function transferLeadership(cluster: ResolvedCluster, paths: DledgerPaths, req: TransferRequest): Promise<TransferOutcome> {
  const {confirmedLeader, fetchClusterStatus, pollCluster} = await import('./cluster-client.js')
  // the WebSocket client (ws) loads while the status round is on the wire, not after it
  import('./member-client.js').catch(() => undefined)
  const deadline = performance.now() + req.timeoutMs
  const remaining = () => Math.max(1, Math.round(deadline - performance.now()))

  let status = await fetchClusterStatus(cluster, {timeoutMs: req.probeTimeoutMs})
  const before = status
  if (req.to !== undefined) memberOrUsageError(status, req.to, '--to')
  let leader = confirmedLeader(status)
  if (req.to === undefined && req.pickTarget === undefined) throw new UsageError('missing --to: the member to hand leadership to', {code: 'MISSING_TARGET'})
  const to = req.to ?? (await req.pickTarget!(status, leader?.id ?? null))
  const failure = (code: string, detail?: string) =>
    transferFailure(code, {
      to,
      leaderId: leader?.id ?? null,
      others: liveFollowers(status, leader?.id ?? null).map((m) => m.id).filter((id) => id !== to),
      timeoutMs: req.timeoutMs,
      detail,
    })
  if (leader === null || status.term === null) {
    const answered = status.members.filter((m) => m.reachable).length
    throw failure('NO_LEADER', answered === 0 ? 'no member answered' : `${answered}/${status.members.length} members answered, none leads`)
  }
  const target = memberOrUsageError(status, to, '--to')
  if (!target.reachable) throw failure('NETWORK_ERROR', `${to} is down (${target.error ?? 'unreachable'})`)
  const from = leader.id
  const previousTerm = status.term
  const preferred = await PreferredChange.begin(cluster, paths, req.preferred, to, from, status)

  // spec S6: a transfer to the member that already leads is a no-op success
  if (to === leader.id) {
    const result = await preferred.finish({from: to, to, term: status.term, previousTerm: status.term, tookMs: 0, visibleMs: 0, noop: true, attempts: 0})
    return {result, before}
  }

  const sentAt = performance.now()
  let attempts = 0
  try {
    let newTerm: number
    for (;;) {
      attempts++
      const asked = leader.id
      const answer = await requestTransfer(cluster, {leaderId: leader.id, term: status.term, to, group: status.group, timeoutMs: remaining(), budgetMs: req.timeoutMs, failure})
      if (answer.code === 'SUCCESS') {
        newTerm = answer.term
        break
      }
      // another election meanwhile (EXPIRED_TERM), or leadership that moved before the request
      // arrived: nothing changed hands, so ask whoever leads now again while the deadline allows
      if (!RESENDABLE.has(answer.code) || attempts >= MAX_REQUESTS || remaining() < MIN_RESEND_MS) throw failure(answer.code)
      const polled = await pollCluster(cluster, (s) => confirmedLeader(s) !== null, {timeoutMs: remaining(), everyMs: 10, probeTimeoutMs: req.probeTimeoutMs})
      status = polled.status
      leader = confirmedLeader(status)
      if (leader === null || status.term === null) throw failure(answer.code, 'and no leader is confirmed since')
      // the leader already retried the lost race itself; only a leadership that moved is asked again
      if (answer.code === 'TAKE_LEADERSHIP_FAILED' && leader.id === asked) throw failure(answer.code)
      if (leader.id === to) {
        // somebody else's election or transfer made it leader meanwhile
        newTerm = status.term
        break
      }
    }
    const tookMs = performance.now() - sentAt

    // the leader says `to` leads a newer term; the status must show it too (spec S6)
    const polled = await pollCluster(cluster, (s) => confirmedLeader(s)?.id === to && (s.term ?? -1) >= newTerm, {
      timeoutMs: remaining(),
      everyMs: 5,
      probeTimeoutMs: req.probeTimeoutMs,
    })
    const visibleMs = performance.now() - sentAt
    if (!polled.done || polled.status.term === null) {
      const now = confirmedLeader(polled.status)
      throw failure('TIMEOUT', `the leader reported SUCCESS in term ${newTerm}, but the status shows ${now === null ? 'no leader' : `${now.id} leading term ${polled.status.term}`}`)
    }
    const result = await preferred.finish({from, to, term: polled.status.term, previousTerm, tookMs: round1(tookMs), visibleMs: round1(visibleMs), noop: false, attempts})
    return {result, before}
  } catch (error) {
    // a failed transfer still leaves the preferred leader set everywhere it can be
    const outcome = await preferred.finishAfterFailure()
    if (outcome !== undefined) req.onFailedWithPreferred?.(outcome)
    throw error
  }
}

/**
 * The answers after which nothing changed hands and the request is sent again, to whoever leads
 * then: another election moved the term on, leadership moved before the request arrived, or the
 * take-leadership failed and another member leads since (a race the asked leader lost itself; a
 * race it re-won, it retries on its own: src/core/transfer.ts).
 */
const RESENDABLE = new Set(['TAKE_LEADERSHIP_FAILED', 'EXPIRED_TERM', 'INCONSISTENT_TERM', 'NOT_LEADER'])
/** At most this many requests per transfer. */
const MAX_REQUESTS = 3
/** No new request with less time than this left before the deadline. */
const MIN_RESEND_MS = 300

/** One client LeadershipTransferRequest to the leader; connection problems become typed failures. */
async function requestTransfer(
  cluster: ResolvedCluster,
  r: {leaderId: NodeId; term: number; to: NodeId; group: string | null; timeoutMs: number; budgetMs: number; failure: (code: string, detail?: string) => OperationError},
): Promise<{code: string; term: number}> {
  const {connectMember, MemberClientError} = await import('./member-client.js')
  const {codeName} = await import('../core/types.js')
  const clientId = `cli.${process.pid}`
  const peer = cluster.peers.find((p) => p.id === r.leaderId)!
  let conn
  try {
    conn = await connectMember(peer, {token: cluster.token, group: cluster.group, clientId, connectTimeoutMs: Math.min(2000, r.timeoutMs)})
  } catch (error) {
    if (error instanceof MemberClientError) throw r.failure(error.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'NETWORK_ERROR', `cannot reach the leader: ${error.message}`)
    throw error
  }
  try {
    const resp = await conn.transfer(
      {
        group: r.group ?? cluster.group ?? 'default',
        remoteId: r.leaderId,
        localId: clientId,
        code: RESPONSE_CODES.SUCCESS,
        leaderId: r.leaderId,
        term: r.term,
        transferId: r.leaderId,
        transfereeId: r.to,
        takeLeadershipLedgerIndex: -1,
      },
      r.timeoutMs,
    )
    return {code: codeName(resp.code), term: resp.term}
  } catch (error) {
    if (error instanceof MemberClientError) {
      if (error.code === 'TIMEOUT') throw r.failure('TIMEOUT', `${r.leaderId} gave no outcome within ${r.budgetMs} ms`)
      throw r.failure('NETWORK_ERROR', `lost the connection to the leader ${r.leaderId}: ${error.message}`)
    }
    throw error
  } finally {
    conn.close()
  }
}

/**
 * `--preferred`: every member but the leader first (so the transferee takes leadership with
 * DLedger's short take-leadership ballot delay), the leader last, after the hand-over, so its
 * checkPreferredLeader cannot start a transfer of its own meanwhile. `--no-preferred`: every
 * member at once, before the transfer, so no preferred leader takes leadership back after it.
 */
class PreferredChange {
  private finished = false

  private constructor(
    private readonly cluster: ResolvedCluster,
    private readonly paths: DledgerPaths,
    private readonly ids: NodeId[] | undefined,
    private readonly leaderId: NodeId,
    private readonly status: ClusterStatus,
    private readonly outcome: PreferredOutcome | undefined,
  ) {}

  static async begin(cluster: ResolvedCluster, paths: DledgerPaths, flag: boolean | undefined, to: NodeId, leaderId: NodeId, status: ClusterStatus): Promise<PreferredChange> {
    const ids = flag === true ? [to] : flag === false ? [] : undefined
    if (ids === undefined) return new PreferredChange(cluster, paths, ids, leaderId, status, undefined)
    const {sendPreferred} = await import('./preferred.js')
    const firstWave = status.members.filter((m) => ids.length === 0 || m.id !== leaderId).map((m) => m.id)
    return new PreferredChange(cluster, paths, ids, leaderId, status, await sendPreferred(cluster, ids, firstWave, status))
  }

  /** The leader's wave and the profile; the result, with the outcome when there is one. */
  async finish(result: TransferResult): Promise<TransferResult> {
    await this.complete()
    return this.outcome === undefined ? result : {...result, preferred: this.outcome}
  }

  /** After a failure: the rest of the change, never throwing; the outcome when there is one. */
  async finishAfterFailure(): Promise<PreferredOutcome | undefined> {
    if (this.outcome === undefined || this.finished) return undefined
    await this.complete().catch(() => undefined)
    return this.outcome
  }

  private async complete(): Promise<void> {
    if (this.outcome === undefined || this.ids === undefined || this.finished) return
    this.finished = true
    const {keepInProfile, mergeOutcome, sendPreferred} = await import('./preferred.js')
    if (this.ids.length > 0) mergeOutcome(this.outcome, await sendPreferred(this.cluster, this.ids, [this.leaderId], this.status))
    await keepInProfile(this.paths, this.cluster, this.outcome)
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
