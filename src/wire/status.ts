/**
 * What `GET /status`, the `status` admin op and `dledger status --json` return (spec §4).
 * Types only (no zod), so the CLI can import them without loading the schema module.
 */
import type {NodeId, Role} from '../core/types.js'

/** One live member's entry, as that member reports it. */
export interface MemberStatus {
  id: NodeId
  /** `host:port` from the peers string */
  address: string
  reachable: true
  pid: number
  role: Role
  term: number
  leaderId: NodeId | null
  votedFor: NodeId | null
  ledgerEndIndex: number
  ledgerEndTerm: number
  committedIndex: number
  /** the member's preferredLeaderIds joined by ';', or null when it has none */
  preferred: string | null
  /** follower: since its leader's last heartbeat; leader: since its last successful round; else null */
  lastHeartbeatAgoMs: number | null
  error: null
  group: string
  knownMaxTermInGroup: number
  /** a leader's pending transferee, or null */
  transferee: NodeId | null
  /** ISO 8601 */
  startedAt: string
  uptimeMs: number
  /** dledger's version */
  version: string
}

/** A member that could not be asked: `reachable: false`, `error` says why, every other field null. */
export interface UnreachableMemberStatus {
  id: NodeId
  address: string
  reachable: false
  pid: null
  role: null
  term: null
  leaderId: null
  votedFor: null
  ledgerEndIndex: null
  ledgerEndTerm: null
  committedIndex: null
  preferred: null
  lastHeartbeatAgoMs: null
  /** e.g. "connection refused", "timed out after 1000 ms", "401 unauthorized" */
  error: string
  group: null
  knownMaxTermInGroup: null
  transferee: null
  startedAt: null
  uptimeMs: null
  version: null
}

export type MemberStatusEntry = MemberStatus | UnreachableMemberStatus

/** `dledger status --json` (spec §4). */
export interface ClusterStatus {
  group: string
  /** the leader with the highest term that a reachable member reports; null if none */
  leaderId: NodeId | null
  /** that leader's term; null if none */
  term: number | null
  members: MemberStatusEntry[]
  /** two leaders in one term, diverging views, … */
  warnings: string[]
}

/** The entry of a member that could not be asked. */
export function unreachableMember(id: NodeId, address: string, error: string): UnreachableMemberStatus {
  return {
    id,
    address,
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
    error,
    group: null,
    knownMaxTermInGroup: null,
    transferee: null,
    startedAt: null,
    uptimeMs: null,
    version: null,
  }
}
