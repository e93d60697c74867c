/**
 * Reading a cluster from the outside: ask every member's `GET /status` at once (each bounded by
 * a short timeout), then fold the answers into one ClusterStatus with warnings (spec §4).
 * `aggregateStatus` is pure, so its rules are tested without processes; `status`, `leader`, `up`
 * and later `elect`, `transfer-leader` and `logs` share this module.
 */
import {request} from 'node:http'

import type {Peer} from '../core/settings.js'
import type {NodeId} from '../core/types.js'
import type {ClusterMember, ClusterStatus, MemberStatus} from '../wire/status.js'
import {describeFaults} from '../wire/faults.js'
import type {Style} from './output.js'

/**
 * What a member's `GET /status` returns (src/wire/status.ts). Only the fields the CLI relies on
 * are checked (checkReport); a member of another version may lack the rest.
 */
export type MemberStatusReport = MemberStatus

export type {ClusterMember, ClusterStatus} from '../wire/status.js'

/** The answer of one member: its status, or why it could not be read. */
export type Probe =
  | {peer: Peer; ok: true; status: MemberStatusReport}
  | {peer: Peer; ok: false; error: string; httpStatus?: number}

export interface ProbeOptions {
  token?: string
  /** per-member deadline for the whole request */
  timeoutMs?: number
}

const DEFAULT_PROBE_TIMEOUT_MS = 500

/** The STATUS text of a member that answered 401. */
export const UNAUTHORIZED = 'unauthorized: wrong or missing --token (HTTP 401)'

/** The hint after a member refused the token. */
export const TOKEN_HINT = 'pass the cluster token with --token or DLEDGER_TOKEN'

/** A one-line, user-readable reason for a failed request. */
export function describeRequestError(error: unknown, timeoutMs: number): string {
  const code = (error as {code?: unknown} | null)?.code
  switch (code) {
    case 'ECONNREFUSED':
      return 'unreachable: connection refused'
    case 'ETIMEDOUT':
    case 'DLEDGER_TIMEOUT':
      return `unreachable: no answer within ${timeoutMs} ms`
    case 'ECONNRESET':
      return 'unreachable: connection reset'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable: host unreachable'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unreachable: unknown host'
    default:
      return `unreachable: ${(error as Error)?.message ?? String(error)}`
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const nullableString = (v: unknown) => v === null || v === undefined || typeof v === 'string'
const nullableNumber = (v: unknown) => v === null || v === undefined || typeof v === 'number'

/** Checks the fields the CLI relies on; returns the problem, or null when the report is usable. */
function checkReport(body: unknown): string | null {
  if (!isObject(body)) return 'not a JSON object'
  if (typeof body.role !== 'string') return '"role" is missing'
  if (typeof body.term !== 'number') return '"term" is missing'
  for (const key of ['leaderId', 'votedFor', 'preferred', 'error', 'id', 'address'])
    if (!nullableString(body[key])) return `"${key}" is not a string`
  for (const key of ['pid', 'ledgerEndIndex', 'ledgerEndTerm', 'committedIndex', 'lastHeartbeatAgoMs'])
    if (!nullableNumber(body[key])) return `"${key}" is not a number`
  return null
}

/** GETs one member's `/status`. Never throws: a failure becomes `{ok: false, error}`. */
export function probeMember(peer: Peer, opts: ProbeOptions = {}): Promise<Probe> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  return new Promise((resolve) => {
    let settled = false
    const done = (p: Probe) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(p)
    }
    const headers: Record<string, string> = {accept: 'application/json'}
    if (opts.token) headers.authorization = `Bearer ${opts.token}`
    const req = request({host: peer.host, port: peer.port, path: '/status', method: 'GET', headers, agent: false}, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > 1 << 20) req.destroy(new Error('response larger than 1 MiB'))
        else chunks.push(c)
      })
      res.on('error', (e) => done({peer, ok: false, error: describeRequestError(e, timeoutMs)}))
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status === 401) return done({peer, ok: false, error: UNAUTHORIZED, httpStatus: 401})
        if (status !== 200) return done({peer, ok: false, error: `unexpected answer: HTTP ${status}`, httpStatus: status})
        let body: unknown
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        } catch {
          return done({peer, ok: false, error: 'invalid /status answer: not JSON', httpStatus: status})
        }
        const problem = checkReport(body)
        if (problem !== null) return done({peer, ok: false, error: `invalid /status answer: ${problem}`, httpStatus: status})
        done({peer, ok: true, status: body as MemberStatusReport})
      })
    })
    req.on('error', (e) => done({peer, ok: false, error: describeRequestError(e, timeoutMs)}))
    const timer = setTimeout(() => {
      const e = Object.assign(new Error('timeout'), {code: 'DLEDGER_TIMEOUT'})
      done({peer, ok: false, error: describeRequestError(e, timeoutMs)})
      req.destroy(e)
    }, timeoutMs)
    req.end()
  })
}

/** Asks every member at once; resolves when each answered or timed out (so within ~timeoutMs). */
export function probeCluster(peers: readonly Peer[], opts: ProbeOptions = {}): Promise<Probe[]> {
  return Promise.all(peers.map((p) => probeMember(p, opts)))
}

function memberFrom(probe: Probe): ClusterMember {
  if (!probe.ok) {
    return {
      id: probe.peer.id,
      address: probe.peer.address,
      reachable: false,
      pid: null,
      role: null,
      term: null,
      leaderId: null,
      votedFor: null,
      ledgerEndIndex: null,
      ledgerEndTerm: null,
      committedIndex: null,
      preferred: null,
      lastHeartbeatAgoMs: null,
      error: probe.error,
      faults: null,
    }
  }
  const s = probe.status
  return {
    id: probe.peer.id,
    address: probe.peer.address,
    reachable: true,
    pid: s.pid ?? null,
    role: s.role,
    term: s.term,
    leaderId: s.leaderId ?? null,
    votedFor: s.votedFor ?? null,
    ledgerEndIndex: s.ledgerEndIndex ?? null,
    ledgerEndTerm: s.ledgerEndTerm ?? null,
    committedIndex: s.committedIndex ?? null,
    preferred: s.preferred === '' ? null : (s.preferred ?? null),
    lastHeartbeatAgoMs: s.lastHeartbeatAgoMs ?? null,
    error: s.error ?? null,
    faults: s.faults ?? null,
  }
}

/** "n0, n1 say n2; n3 says none" */
function describeViews(views: Map<string, NodeId[]>): string {
  return [...views.entries()].map(([view, ids]) => `${ids.join(', ')} ${ids.length === 1 ? 'says' : 'say'} ${view}`).join('; ')
}

/**
 * Folds the members' answers into the cluster view (spec §4):
 * - leaderId/term: the leader with the highest term that a reachable member reports (a member
 *   that is itself LEADER in that term is preferred when two are reported), null if none;
 * - warnings: two leaders in one term; members that disagree on the leader or on the preferred
 *   leader; members in another group or answering for another id; unreachable members; a
 *   reported leader that does not answer.
 */
/** The lag `status` warns about: DLedger's default maxLeadershipTransferWaitIndex (members do not report theirs). */
export const LAG_WARNING_ENTRIES = 1000

export function aggregateStatus(probes: readonly Probe[], opts: {group?: string | null} = {}): ClusterStatus {
  const members = probes.map(memberFrom)
  const warnings: string[] = []
  const reachable = probes.filter((p): p is Extract<Probe, {ok: true}> => p.ok)

  // group: the expected one (profile), else what most members say
  let group = opts.group ?? null
  if (group === null) {
    const counts = new Map<string, number>()
    for (const p of reachable) if (typeof p.status.group === 'string') counts.set(p.status.group, (counts.get(p.status.group) ?? 0) + 1)
    group = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null
  }
  for (const p of reachable) {
    if (typeof p.status.group === 'string' && group !== null && p.status.group !== group)
      warnings.push(`${p.peer.id} (${p.peer.address}) is in group "${p.status.group}", not "${group}"`)
    if (typeof p.status.id === 'string' && p.status.id !== p.peer.id)
      warnings.push(`the member at ${p.peer.address} says it is ${p.status.id}, not ${p.peer.id}`)
  }

  // two leaders in one term
  const leadersByTerm = new Map<number, NodeId[]>()
  for (const m of members) {
    if (m.reachable && m.role === 'LEADER' && m.term !== null) leadersByTerm.set(m.term, [...(leadersByTerm.get(m.term) ?? []), m.id])
  }
  for (const [term, ids] of [...leadersByTerm.entries()].sort((a, b) => a[0] - b[0]))
    if (ids.length > 1) warnings.push(`${ids.length} leaders in term ${term}: ${ids.join(', ')}`)

  // the cluster's leader: the highest term in which a reachable member reports a leader; within
  // that term a leader that itself answers LEADER wins over a stale report
  let leaderId: NodeId | null = null
  let term: number | null = null
  let confirmed = false
  for (const m of members) {
    if (!m.reachable || m.leaderId === null || m.term === null) continue
    const selfSays = members.some((x) => x.id === m.leaderId && x.reachable && x.role === 'LEADER' && x.term === m.term)
    if (term === null || m.term > term || (m.term === term && selfSays && !confirmed)) {
      leaderId = m.leaderId
      term = m.term
      confirmed = selfSays
    }
  }

  // members that disagree on the leader
  const leaderViews = new Map<string, NodeId[]>()
  for (const m of members) if (m.reachable) leaderViews.set(m.leaderId ?? 'no leader', [...(leaderViews.get(m.leaderId ?? 'no leader') ?? []), m.id])
  if (leaderViews.size > 1) warnings.push(`members disagree on the leader: ${describeViews(leaderViews)}`)

  // members that disagree on the preferred leader
  const preferredViews = new Map<string, NodeId[]>()
  for (const m of members) if (m.reachable) preferredViews.set(m.preferred ?? 'none', [...(preferredViews.get(m.preferred ?? 'none') ?? []), m.id])
  if (preferredViews.size > 1) warnings.push(`members disagree on the preferred leader: ${describeViews(preferredViews)}`)

  // a leader that others report but that does not answer
  const leaderMember = members.find((m) => m.id === leaderId)
  if (leaderId !== null && leaderMember !== undefined && !leaderMember.reachable)
    warnings.push(`the leader ${leaderId} (term ${term}) is reported by other members but does not answer`)

  // members too far behind the leader's ledger to take leadership (FALL_BEHIND_TOO_MUCH)
  if (leaderMember?.reachable === true && leaderMember.ledgerEndIndex !== null) {
    for (const m of members) {
      if (!m.reachable || m.id === leaderId || m.ledgerEndIndex === null) continue
      const lag = leaderMember.ledgerEndIndex - m.ledgerEndIndex
      if (lag > LAG_WARNING_ENTRIES)
        warnings.push(`${m.id} lags the leader by ${lag} entries (more than maxLeadershipTransferWaitIndex ${LAG_WARNING_ENTRIES}): a transfer to it fails with FALL_BEHIND_TOO_MUCH until it catches up`)
    }
  }

  for (const m of members) if (!m.reachable) warnings.push(`${m.id} (${m.address}): ${m.error}`)

  const status: ClusterStatus = {group, leaderId, term, members, warnings}
  // first, as it matters most; a cluster nobody answers for has one warning per member already
  if (reachable.length > 0) {
    const health = clusterHealth(status)
    if (!health.healthy) warnings.unshift(health.reason)
  }
  return status
}

/** Whether a leader holds a majority (`dledger health`, and the warning `status` prints otherwise). */
export interface ClusterHealth {
  healthy: boolean
  /** the confirmed leader, or null */
  leaderId: NodeId | null
  term: number | null
  /** the members that answer and follow the confirmed leader in its term, the leader included */
  following: NodeId[]
  /** how many members a majority of the whole cluster is */
  quorum: number
  /** one line: `n2 leads term 3 with 3/3 members (a majority is 2)`, `no leader: …` or `no majority: …` */
  reason: string
}

/** The majority of `n` members (DLedger's quorum: more than half). */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1
}

/** Healthy when a confirmed leader is followed, in its term, by a majority of all members (itself included). */
export function clusterHealth(status: ClusterStatus): ClusterHealth {
  const n = status.members.length
  const quorum = quorumOf(n)
  const answering = status.members.filter((m) => m.reachable)
  const leader = confirmedLeader(status)
  if (leader === null) {
    const roles = answering.map((m) => `${m.id} ${m.role ?? '?'}${m.term === null ? '' : ` in term ${m.term}`}`).join(', ')
    const reason = answering.length === 0 ? 'no leader: no member answers' : `no leader: ${answering.length}/${n} members answer (${roles}), none leads`
    return {healthy: false, leaderId: null, term: null, following: [], quorum, reason}
  }
  const following = answering.filter((m) => m.term === leader.term && (m.id === leader.id || m.leaderId === leader.id)).map((m) => m.id)
  const majority = `${following.length}/${n} members (a majority is ${quorum})`
  const healthy = following.length >= quorum
  return {
    healthy,
    leaderId: leader.id,
    term: leader.term,
    following,
    quorum,
    reason: healthy ? `${leader.id} leads term ${leader.term} with ${majority}` : `no majority: ${leader.id} leads term ${leader.term}, but only with ${majority}`,
  }
}

/**
 * The leader as the leader itself confirms it: the cluster's leader answers and says it is
 * LEADER in the cluster's term. Null while the only reports are stale (e.g. just after a crash).
 */
export function confirmedLeader(status: ClusterStatus): ClusterMember | null {
  if (status.leaderId === null) return null
  const m = status.members.find((x) => x.id === status.leaderId)
  return m !== undefined && m.reachable && m.role === 'LEADER' && m.term === status.term ? m : null
}

/**
 * The hint when no member answered, by why: the token, a --timeout too short for them, or members
 * that are not running.
 */
export function noAnswerHint(status: ClusterStatus): string {
  const errors = status.members.map((m) => m.error ?? '')
  if (errors.some((e) => e === UNAUTHORIZED)) return TOKEN_HINT
  if (errors.length > 0 && errors.every((e) => e.startsWith('unreachable: no answer within')))
    return 'they may be busy or far away: raise --timeout (milliseconds per member)'
  return 'are the members running? `dledger up` starts a local cluster, `dledger start --id ID` one member'
}

/** Probes every member and aggregates (bounded by `timeoutMs`). */
export async function fetchClusterStatus(
  cluster: {peers: readonly Peer[]; group: string | null; token?: string},
  opts: {timeoutMs?: number} = {},
): Promise<ClusterStatus> {
  const probes = await probeCluster(cluster.peers, {token: cluster.token, timeoutMs: opts.timeoutMs})
  return aggregateStatus(probes, {group: cluster.group})
}

/** Polls until `done(status)` or `timeoutMs` passes; returns the last status either way. */
export async function pollCluster(
  cluster: {peers: readonly Peer[]; group: string | null; token?: string},
  done: (s: ClusterStatus) => boolean,
  opts: {timeoutMs: number; everyMs?: number; probeTimeoutMs?: number; onPoll?: (s: ClusterStatus) => void | boolean},
): Promise<{status: ClusterStatus; done: boolean}> {
  const deadline = Date.now() + opts.timeoutMs
  for (;;) {
    const started = Date.now()
    const status = await fetchClusterStatus(cluster, {timeoutMs: opts.probeTimeoutMs})
    if (done(status)) return {status, done: true}
    if (opts.onPoll?.(status) === false) return {status, done: false}
    const left = deadline - Date.now()
    if (left <= 0) return {status, done: false}
    const pause = Math.max(0, Math.min(left, (opts.everyMs ?? 100) - (Date.now() - started)))
    await new Promise((r) => setTimeout(r, pause))
  }
}

/** The status table's columns, exactly as spec §4 names them. */
export const STATUS_COLUMNS = ['ID', 'ADDRESS', 'ROLE', 'TERM', 'LEADER', 'VOTED-FOR', 'LEDGER-END', 'LAST-HEARTBEAT', 'PREFERRED', 'FAULTS', 'STATUS']

const dash = (v: string | number | null) => (v === null ? '-' : String(v))

/** A member's FAULTS cell (the table's and `dledger ui`'s): "-" when it reports none. */
export function faultsCell(m: Pick<ClusterMember, 'faults'>): string {
  return m.faults === null ? '-' : describeFaults(m.faults)
}

/** One table row per member. */
function statusRows(status: ClusterStatus): string[][] {
  return status.members.map((m) => [
    m.id,
    m.address,
    dash(m.role),
    dash(m.term),
    dash(m.leaderId),
    dash(m.votedFor),
    m.ledgerEndIndex === null ? '-' : `${m.ledgerEndIndex}/${m.ledgerEndTerm ?? '-'}`,
    m.lastHeartbeatAgoMs === null ? '-' : `${m.lastHeartbeatAgoMs}ms ago`,
    dash(m.preferred),
    faultsCell(m),
    m.reachable ? (m.error ?? 'ok') : (m.error ?? 'unreachable'),
  ])
}

/** ANSI styles of the ROLE column on a terminal; FOLLOWER stays plain, so the exceptions stand out. */
const ROLE_STYLES: Record<string, Style[]> = {LEADER: ['bold', 'green'], CANDIDATE: ['yellow']}

/**
 * The human view: the table, then one `warning: …` line per warning. With `color` (default: stdout
 * is a terminal and NO_COLOR is unset) the roles are coloured and an unreachable member's STATUS is red.
 */
export async function renderStatus(status: ClusterStatus, opts: {color?: boolean} = {}): Promise<string> {
  const {paint, renderTable, useColor} = await import('./output.js')
  const rows = statusRows(status)
  if (opts.color ?? useColor()) {
    for (const [i, m] of status.members.entries()) {
      const style = m.role === null ? undefined : ROLE_STYLES[m.role]
      if (style !== undefined) rows[i][2] = paint(style, rows[i][2])
      if (!m.reachable) rows[i][10] = paint(['red'], rows[i][10])
    }
  }
  const lines = [await renderTable(STATUS_COLUMNS, rows)]
  for (const w of status.warnings) lines.push(`warning: ${w}`)
  return lines.join('\n')
}
