/**
 * Election settings: DLedger's defaults (reference §1.1), the `fast` preset (spec §1), the peers
 * format, and validation with one clear message per problem (spec S3).
 */
import {MAX_DURATION_MS} from './limits.js'
import {MEMBER_ID_PATTERN, type NodeId} from './types.js'

/** One entry of the peers string `id-host:port`. */
export interface Peer {
  id: NodeId
  host: string
  port: number
  /** `host:port` */
  address: string
}

/**
 * The timing knobs a user can set (flags and profile keys), documented like hashicorp/raft's
 * Config: what each field does, its default, DLedger's name for it (DLedgerConfig), and its unit.
 * `validateSettings` is the one place that checks them.
 */
export interface Timing {
  /**
   * The leader sends a heartbeat round this often, and a round waits this long minus 10 ms for
   * its answers. Default 2000 (fast: 100). DLedger: `heartBeatTimeIntervalMs`. Unit: ms; > 10.
   */
  heartbeatIntervalMs: number
  /**
   * How many heartbeat intervals may pass without success: a leader steps down after
   * `maxHeartbeatLeak × heartbeatIntervalMs` without a quorum of acks, and a follower becomes
   * candidate after `max(2, maxHeartbeatLeak) × heartbeatIntervalMs` without a heartbeat (DLedger
   * checks `2 × interval` first). A ballot that met a leader waits this much longer before the next
   * one. Default 3. DLedger: `maxHeartBeatLeak`. Unit: heartbeat intervals; ≥ 1.
   */
  maxHeartbeatLeak: number
  /**
   * The shortest wait of a candidate before its next ballot (drawn uniformly from
   * [min, max)). Default 300 (fast: 50). DLedger: `minVoteIntervalMs`. Unit: ms; < maxVoteIntervalMs.
   */
  minVoteIntervalMs: number
  /**
   * The exclusive upper bound of that wait; also the random part of a ballot's own wait and the
   * extra wait after voters reported longer logs. Default 1000 (fast: 150). DLedger:
   * `maxVoteIntervalMs`. Unit: ms.
   */
  maxVoteIntervalMs: number
  /**
   * The shortest wait before the next ballot of a preferred member that is taking leadership.
   * Default 30 (fast: 10). DLedger: `minTakeLeadershipVoteIntervalMs`. Unit: ms; < the max.
   */
  minTakeLeadershipVoteIntervalMs: number
  /** Its exclusive upper bound. Default 100 (fast: 30). DLedger: `maxTakeLeadershipVoteIntervalMs`. Unit: ms. */
  maxTakeLeadershipVoteIntervalMs: number
  /**
   * The base wait of one ballot for its answers (plus a random [0, maxVoteIntervalMs)). Default
   * 2000 (fast: 300). DLedger: hard-coded 2000 in `maintainAsCandidate`. Unit: ms.
   */
  voteTimeoutMs: number
  /**
   * How long one peer request waits for its answer before it counts as NETWORK_ERROR. Default
   * 3000 (fast: 500). DLedger: the RPC layer's 3000 ms request timeout. Unit: ms.
   */
  rpcTimeoutMs: number
}

/** Everything one member's election core needs (the timing above, plus who it is and its group). */
export interface Settings extends Timing {
  /** The election group; members of other groups are answered UNKNOWN_GROUP. Default `default`. DLedger: `group`. */
  group: string
  /** This member's id, one of `peers`. DLedger: `selfId`. */
  selfId: NodeId
  /** Every member of the group, self included. DLedger: `peers` (`n0-host:port;n1-host:port`). */
  peers: Peer[]
  /**
   * The members that should lead, in priority order; empty = none. A leader that is not preferred
   * hands leadership to a live preferred member. Default empty. DLedger: `preferredLeaderIds`
   * (`;`-separated; its null is empty here).
   */
  preferredLeaderIds: NodeId[]
  /**
   * The largest lag of a transferee: a transfer to a member further behind fails with
   * FALL_BEHIND_TOO_MUCH, and such a preferred member is skipped. Default 1000. DLedger:
   * `maxLeadershipTransferWaitIndex`. Unit: log entries.
   */
  maxLeadershipTransferWaitIndex: number
  /**
   * How long a transferee may take to catch up with the leader's log before it answers
   * TAKE_LEADERSHIP_FAILED. Default 1000. DLedger: `leadershipTransferWaitTimeout`. Unit: ms.
   */
  leadershipTransferWaitTimeoutMs: number
  /**
   * spec S6: the one deadline of a leadership transfer; past it the old leader answers TIMEOUT.
   * Default 3000. DLedger: none (only the 3 s RPC timeout bounds a transfer). Unit: ms.
   */
  leadershipTransferTimeoutMs: number
  /** The maintainer's sleep after every pass. Default 10. DLedger: StateMaintainer's fixed 10 ms. Unit: ms. */
  tickMs: number
  /**
   * How often a leader checks for a live preferred member. Default 1000. DLedger: the fixed-rate
   * `checkPreferredLeader` schedule (1000 ms after a 1000 ms delay). Unit: ms.
   */
  checkPreferredLeaderIntervalMs: number
  /**
   * The most client appends a leader keeps waiting for their commit; one more is refused with
   * LEADER_PENDING_FULL. Default 10000. DLedger: `maxPendingRequestsNum`. Unit: entries.
   */
  maxPendingRequestsNum: number
  /**
   * How long a client append waits for a quorum before it fails with WAIT_QUORUM_ACK_TIMEOUT.
   * Default 2500. DLedger: `maxWaitAckTimeMs` (0.2.x). Unit: ms.
   */
  maxWaitAckTimeMs: number
  /**
   * How long a leader waits for a follower's answer to a push before it forgets the pushes in
   * flight and starts over with COMPARE (D9, D12). Default 1000. DLedger: `maxPushTimeOutMs`. Unit: ms.
   */
  maxPushTimeOutMs: number
  /** The most entries in one APPEND push. Default 100. DLedger: `maxBatchPushSize` (by count here). Unit: entries. */
  maxPushBatchEntries: number
  /** The largest entry body. Default 1048576 (1 MiB). DLedger: none (bounded by its segment size). Unit: bytes. */
  maxEntryBodyBytes: number
  /**
   * A new leader appends an empty entry at once, so that entries of earlier terms commit without
   * waiting for a client append. Default false. DLedger: `enableFastAdvanceCommitIndex`.
   */
  enableFastAdvanceCommitIndex: boolean
}

const DEFAULT_TIMING: Readonly<Timing> = Object.freeze({
  heartbeatIntervalMs: 2000,
  maxHeartbeatLeak: 3,
  minVoteIntervalMs: 300,
  maxVoteIntervalMs: 1000,
  minTakeLeadershipVoteIntervalMs: 30,
  maxTakeLeadershipVoteIntervalMs: 100,
  voteTimeoutMs: 2000,
  rpcTimeoutMs: 3000,
})

/** Timing presets by name. `fast` is for local experiments and tests (spec §1). */
export const TIMING_PRESETS: Readonly<Record<string, Readonly<Timing>>> = Object.freeze({
  default: DEFAULT_TIMING,
  fast: Object.freeze({
    heartbeatIntervalMs: 100,
    maxHeartbeatLeak: 3,
    minVoteIntervalMs: 50,
    maxVoteIntervalMs: 150,
    minTakeLeadershipVoteIntervalMs: 10,
    maxTakeLeadershipVoteIntervalMs: 30,
    voteTimeoutMs: 300,
    rpcTimeoutMs: 500,
  }),
})

export const TIMING_KEYS = Object.keys(DEFAULT_TIMING) as (keyof Timing)[]

export const DEFAULT_SETTINGS = Object.freeze({
  group: 'default',
  preferredLeaderIds: [] as NodeId[],
  maxLeadershipTransferWaitIndex: 1000,
  leadershipTransferWaitTimeoutMs: 1000,
  leadershipTransferTimeoutMs: 3000,
  tickMs: 10,
  checkPreferredLeaderIntervalMs: 1000,
  maxPendingRequestsNum: 10000,
  maxWaitAckTimeMs: 2500,
  maxPushTimeOutMs: 1000,
  maxPushBatchEntries: 100,
  maxEntryBodyBytes: 1024 * 1024,
  enableFastAdvanceCommitIndex: false,
})

/** Thrown by the parsers below; `problems` holds one message per problem. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '))
    this.name = 'SettingsError'
  }
}

/**
 * Whether a group name or member id is a plain name: 1-64 letters, digits, "_", "." (ids) or "-"
 * (groups only), and not "." or "..". Both become directory names (<home>/data/<group>/<id>),
 * so anything else could put data outside the home (issue 7).
 */
export function isPlainName(name: string, kind: 'group' | 'id'): boolean {
  const re = kind === 'group' ? /^[A-Za-z0-9_.-]{1,64}$/ : MEMBER_ID_PATTERN
  return re.test(name) && name !== '.' && name !== '..'
}

/** The one-line problem with a group name or member id, or null when it is a plain name. */
export function plainNameProblem(name: string, kind: 'group' | 'id'): string | null {
  if (isPlainName(name, kind)) return null
  const allowed = kind === 'group' ? 'letters, digits, "_", "." and "-"' : 'letters, digits, "_" and "."'
  return `${kind === 'group' ? 'group' : 'member id'} ${JSON.stringify(name)} must be 1-64 of ${allowed}, and not "." or ".."`
}

/**
 * Parses DLedger's peers format `n0-127.0.0.1:20911;n1-127.0.0.1:20912`: the id is the text before
 * the first `-`, the address everything after it, the port the part after the last `:`.
 */
export function parsePeers(text: string): Peer[] {
  const problems: string[] = []
  const peers: Peer[] = []
  const entries = text.split(';').map((e) => e.trim()).filter((e) => e !== '')
  if (entries.length === 0) problems.push('peers is empty: expected "n0-127.0.0.1:20911;n1-127.0.0.1:20912"')
  for (const entry of entries) {
    const dash = entry.indexOf('-')
    if (dash <= 0) {
      problems.push(`peer "${entry}" must look like id-host:port, e.g. n0-127.0.0.1:20911`)
      continue
    }
    const id = entry.slice(0, dash)
    const address = entry.slice(dash + 1)
    const colon = address.lastIndexOf(':')
    const host = (colon >= 0 ? address.slice(0, colon) : address).replace(/^\[(.*)\]$/, '$1')
    const portText = colon >= 0 ? address.slice(colon + 1) : ''
    const port = Number(portText)
    if (!isPlainName(id, 'id'))
      problems.push(id.length > 64 || id === '.' || id === '..' ? `peer id "${id}" must be 1-64 characters and not "." or ".."` : `peer id "${id}" may only use letters, digits, "_" and "."`)
    // one message per problem: a missing port is not also a missing host, and vice versa
    if (host === '') problems.push(`peer "${entry}" has no host (expected id-host:port)`)
    if (colon < 0) problems.push(`peer "${entry}" has no port (expected id-host:port)`)
    else if (!/^\d+$/.test(portText) || port < 1 || port > 65535) problems.push(`peer "${entry}" has an invalid port "${portText}" (1-65535)`)
    peers.push({id, host, port, address})
  }
  if (problems.length > 0) throw new SettingsError(problems)
  return peers
}

export function formatPeers(peers: readonly Peer[]): string {
  return peers.map((p) => `${p.id}-${p.address}`).join(';')
}

/** Parses `n1;n2` (or `n1,n2`) into ids; empty text → no preferred leader. */
export function parsePreferredLeaderIds(text: string | undefined | null): NodeId[] {
  if (text === undefined || text === null) return []
  return text.split(/[;,]/).map((s) => s.trim()).filter((s) => s !== '')
}

export interface SettingsInput extends Partial<Omit<Settings, 'selfId' | 'peers'>> {
  selfId: NodeId
  peers: Peer[] | string
  /** a preset name; explicit timing fields override it */
  timing?: string
}

/** Builds settings from defaults, an optional preset and overrides, then validates them. */
export function buildSettings(input: SettingsInput): Settings {
  const problems: string[] = []
  let preset: Readonly<Timing> = DEFAULT_TIMING
  if (input.timing !== undefined) {
    const found = TIMING_PRESETS[input.timing]
    if (found === undefined) problems.push(`unknown timing preset "${input.timing}" (known: ${Object.keys(TIMING_PRESETS).join(', ')})`)
    else preset = found
  }
  let peers: Peer[] = []
  try {
    peers = typeof input.peers === 'string' ? parsePeers(input.peers) : input.peers
  } catch (error) {
    if (error instanceof SettingsError) problems.push(...error.problems)
    else throw error
  }
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  delete defined.timing
  const settings: Settings = {...DEFAULT_SETTINGS, ...preset, ...defined, peers} as Settings
  problems.push(...validateSettings(settings))
  if (problems.length > 0) throw new SettingsError(problems)
  return settings
}

/** The one validator of settings: every problem, one clear message each (spec S3). Empty = valid. */
export function validateSettings(s: Settings): string[] {
  const problems: string[] = []
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) problems.push(`${name} must be a positive integer (got ${v})`)
  }
  // every duration must fit a timer: Node turns a delay above 2^31 - 1 ms into 1 ms
  const duration = (name: string, v: number) => {
    positive(name, v)
    if (Number.isInteger(v) && v > MAX_DURATION_MS) problems.push(`${name} must be at most ${MAX_DURATION_MS} ms (one day) (got ${v})`)
  }
  for (const key of TIMING_KEYS) (key === 'maxHeartbeatLeak' ? positive : duration)(key, s[key])
  duration('tickMs', s.tickMs)
  duration('leadershipTransferWaitTimeoutMs', s.leadershipTransferWaitTimeoutMs)
  duration('leadershipTransferTimeoutMs', s.leadershipTransferTimeoutMs)
  positive('maxLeadershipTransferWaitIndex', s.maxLeadershipTransferWaitIndex)
  duration('checkPreferredLeaderIntervalMs', s.checkPreferredLeaderIntervalMs)
  positive('maxPendingRequestsNum', s.maxPendingRequestsNum)
  duration('maxWaitAckTimeMs', s.maxWaitAckTimeMs)
  duration('maxPushTimeOutMs', s.maxPushTimeOutMs)
  positive('maxPushBatchEntries', s.maxPushBatchEntries)
  positive('maxEntryBodyBytes', s.maxEntryBodyBytes)
  if (typeof s.enableFastAdvanceCommitIndex !== 'boolean') problems.push(`enableFastAdvanceCommitIndex must be true or false (got ${String(s.enableFastAdvanceCommitIndex)})`)
  // the comparisons only judge values that are valid on their own (one message per problem)
  const valid = (...vs: number[]) => vs.every((v) => Number.isInteger(v) && v > 0)
  if (valid(s.minVoteIntervalMs, s.maxVoteIntervalMs) && s.minVoteIntervalMs >= s.maxVoteIntervalMs)
    problems.push(`minVoteIntervalMs (${s.minVoteIntervalMs}) must be less than maxVoteIntervalMs (${s.maxVoteIntervalMs})`)
  if (valid(s.minTakeLeadershipVoteIntervalMs, s.maxTakeLeadershipVoteIntervalMs) && s.minTakeLeadershipVoteIntervalMs >= s.maxTakeLeadershipVoteIntervalMs)
    problems.push(
      `minTakeLeadershipVoteIntervalMs (${s.minTakeLeadershipVoteIntervalMs}) must be less than maxTakeLeadershipVoteIntervalMs (${s.maxTakeLeadershipVoteIntervalMs})`,
    )
  if (valid(s.heartbeatIntervalMs) && s.heartbeatIntervalMs <= 10) problems.push(`heartbeatIntervalMs must be greater than 10 (got ${s.heartbeatIntervalMs})`)
  if (valid(s.heartbeatIntervalMs, s.maxHeartbeatLeak) && s.heartbeatIntervalMs <= MAX_DURATION_MS && s.maxHeartbeatLeak * s.heartbeatIntervalMs > MAX_DURATION_MS)
    problems.push(`the follower timeout maxHeartbeatLeak × heartbeatIntervalMs must be at most ${MAX_DURATION_MS} ms (got ${s.maxHeartbeatLeak * s.heartbeatIntervalMs})`)
  if (typeof s.group !== 'string' || s.group === '') problems.push('group must be a non-empty name')
  else {
    const groupProblem = plainNameProblem(s.group, 'group')
    if (groupProblem !== null) problems.push(groupProblem)
  }
  const ids = new Set<string>()
  const addresses = new Set<string>()
  for (const p of s.peers) {
    if (ids.has(p.id)) problems.push(`peer id "${p.id}" appears twice in peers`)
    if (addresses.has(p.address)) problems.push(`address ${p.address} appears twice in peers`)
    ids.add(p.id)
    addresses.add(p.address)
  }
  if (s.peers.length > 0 && !ids.has(s.selfId))
    problems.push(`self id "${s.selfId}" is not in peers (${[...ids].join(', ')})`)
  for (const id of s.preferredLeaderIds)
    if (!ids.has(id)) problems.push(`preferred leader "${id}" is not in peers (${[...ids].join(', ')})`)
  return problems
}

/**
 * How long a follower waits for its leader's heartbeat: DLedger's maintainAsFollower first checks
 * `> 2 × interval`, then `> maxHeartBeatLeak × interval` (reference §3.5), so a leak below 2 acts as 2.
 */
export function followerTimeoutMs(s: Pick<Timing, 'maxHeartbeatLeak' | 'heartbeatIntervalMs'>): number {
  return Math.max(2, s.maxHeartbeatLeak) * s.heartbeatIntervalMs
}

/** DLedger's isQuorum: n >= floor(peerSize / 2) + 1 (reference §2.3). */
export function quorumOf(peerSize: number): number {
  return Math.floor(peerSize / 2) + 1
}
