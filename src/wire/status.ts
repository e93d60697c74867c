/**
 * What `GET /status`, the `status` admin op and `dledger status --json` return (spec §4).
 * Types and one pure builder, so the CLI can import them without loading the schema module.
 */
import type {MemberSnapshot} from '../core/elector.js'
import type {NodeId, Role} from '../core/types.js'
import type {FaultState} from './faults.js'

/** One live member's entry, as that member reports it: its core's snapshot and what the process adds. */
export interface MemberStatus extends Omit<MemberSnapshot, 'preferredLeaderIds'> {
  /** `host:port` from the peers string */
  address: string
  reachable: true
  pid: number
  /** the member's preferredLeaderIds joined by ';', or null when it has none */
  preferred: string | null
  error: null
  /** ISO 8601 */
  startedAt: string
  uptimeMs: number
  /** dledger's version */
  version: string
  /** the network faults injected on its peer traffic (`dledger fault`); null or absent: none */
  faults?: FaultState | null
}

/** What the process adds to its core's snapshot in a status report. */
export interface ProcessInfo {
  address: string
  pid: number
  startedAt: string
  uptimeMs: number
  version: string
}

/** A live member's status report: its core's snapshot and what the process adds. */
export function memberStatus(snap: MemberSnapshot, info: ProcessInfo): MemberStatus {
  return {
    id: snap.id,
    address: info.address,
    reachable: true,
    pid: info.pid,
    role: snap.role,
    term: snap.term,
    leaderId: snap.leaderId,
    votedFor: snap.votedFor,
    ledgerEndIndex: snap.ledgerEndIndex,
    ledgerEndTerm: snap.ledgerEndTerm,
    committedIndex: snap.committedIndex,
    preferred: snap.preferredLeaderIds.length > 0 ? snap.preferredLeaderIds.join(';') : null,
    lastHeartbeatAgoMs: snap.lastHeartbeatAgoMs === null ? null : Math.round(snap.lastHeartbeatAgoMs),
    error: null,
    group: snap.group,
    knownMaxTermInGroup: snap.knownMaxTermInGroup,
    transferee: snap.transferee,
    startedAt: info.startedAt,
    uptimeMs: info.uptimeMs,
    version: info.version,
  }
}

/** One member as `dledger status --json` prints it (spec §4): exactly these fields, in this order. */
export interface ClusterMember {
  id: NodeId
  address: string
  reachable: boolean
  pid: number | null
  role: Role | null
  term: number | null
  leaderId: NodeId | null
  votedFor: NodeId | null
  ledgerEndIndex: number | null
  ledgerEndTerm: number | null
  committedIndex: number | null
  preferred: string | null
  lastHeartbeatAgoMs: number | null
  /** why the member could not be asked; null when it answered */
  error: string | null
  /** the network faults injected on its peer traffic (`dledger fault`); null: none or unknown */
  faults: FaultState | null
}

/** `dledger status --json` (spec §4). */
export interface ClusterStatus {
  /** the profile's group, else the one the members report; null when neither is known */
  group: string | null
  /** the leader with the highest term that a reachable member reports; null if none */
  leaderId: NodeId | null
  /** that leader's term; null if none */
  term: number | null
  members: ClusterMember[]
  /** two leaders in one term, diverging views, unreachable members, … */
  warnings: string[]
}
