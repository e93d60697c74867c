/**
 * Ids, roles, DLedger's enums and codes, and the election messages.
 * Names and numeric codes follow openmessaging/dledger (reference §3.10) so that a reader of
 * DLedger recognises every field in dledger's logs and JSON.
 */

/** A member id: the text before the first `-` in a peers entry; never contains `-`. */
export type NodeId = string

/**
 * A member id: 1-64 letters, digits, "_" or "." (the peers format's id alphabet, bounded). The one
 * pattern for ids in settings, frames, upgrade headers and the preferred-leader record; ids also
 * become directory names, so "." and ".." are refused separately (isPlainName).
 */
export const MEMBER_ID_PATTERN = /^[A-Za-z0-9_.]{1,64}$/

/** DLedger's `MemberState.Role` without the unused UNKNOWN. CANDIDATE is the initial role. */
export type Role = 'CANDIDATE' | 'FOLLOWER' | 'LEADER'

/** `VoteResponse.RESULT`, in DLedger's declaration order. */
export const VOTE_RESULTS = [
  'UNKNOWN',
  'ACCEPT',
  'REJECT_UNKNOWN_LEADER',
  'REJECT_UNEXPECTED_LEADER',
  'REJECT_EXPIRED_VOTE_TERM',
  'REJECT_ALREADY_VOTED',
  'REJECT_ALREADY_HAS_LEADER',
  'REJECT_TERM_NOT_READY',
  'REJECT_TERM_SMALL_THAN_LEDGER',
  'REJECT_EXPIRED_LEDGER_TERM',
  'REJECT_SMALL_LEDGER_END_INDEX',
  'REJECT_TAKING_LEADERSHIP',
] as const
export type VoteResult = (typeof VOTE_RESULTS)[number]

/** `VoteResponse.ParseResult`: what a candidate concluded from one ballot (reference §3.6). */
export type ParseResult = 'WAIT_TO_REVOTE' | 'REVOTE_IMMEDIATELY' | 'PASSED' | 'WAIT_TO_VOTE_NEXT'

/** `DLedgerResponseCode`: name → numeric code, exactly as DLedger numbers them. */
export const RESPONSE_CODES = {
  UNKNOWN: -1,
  SUCCESS: 200,
  TIMEOUT: 300,
  METADATA_ERROR: 301,
  NETWORK_ERROR: 302,
  UNSUPPORTED: 303,
  UNKNOWN_GROUP: 400,
  UNKNOWN_MEMBER: 401,
  UNEXPECTED_MEMBER: 402,
  EXPIRED_TERM: 403,
  NOT_LEADER: 404,
  NOT_FOLLOWER: 405,
  INCONSISTENT_STATE: 406,
  INCONSISTENT_TERM: 407,
  INCONSISTENT_INDEX: 408,
  INCONSISTENT_LEADER: 409,
  INDEX_OUT_OF_RANGE: 410,
  UNEXPECTED_ARGUMENT: 411,
  REPEATED_REQUEST: 412,
  REPEATED_PUSH: 413,
  DISK_ERROR: 414,
  DISK_FULL: 415,
  TERM_NOT_READY: 416,
  FALL_BEHIND_TOO_MUCH: 417,
  TAKE_LEADERSHIP_FAILED: 418,
  INDEX_LESS_THAN_LOCAL_BEGIN: 419,
  REQUEST_WITH_EMPTY_BODYS: 420,
  PUSH_REQUEST_IS_FULL: 421,
  NEWER_INSTALL_SNAPSHOT_REQUEST_EXIST: 422,
  INTERNAL_ERROR: 500,
  TERM_CHANGED: 501,
  WAIT_QUORUM_ACK_TIMEOUT: 502,
  LEADER_PENDING_FULL: 503,
  ILLEGAL_MEMBER_STATE: 504,
  LEADER_NOT_READY: 505,
  LEADER_TRANSFERRING: 506,
  LOAD_SNAPSHOT_ERROR: 507,
  INSTALL_SNAPSHOT_ERROR: 508,
} as const
export type ResponseCodeName = keyof typeof RESPONSE_CODES

const CODE_NAMES = new Map<number, ResponseCodeName>(
  (Object.entries(RESPONSE_CODES) as [ResponseCodeName, number][]).map(([name, code]) => [code, name]),
)

/** The name of a numeric response code; an unknown integer maps to `UNKNOWN`, as in DLedger. */
export function codeName(code: number): ResponseCodeName {
  return CODE_NAMES.get(code) ?? 'UNKNOWN'
}

/** `RequestOrResponse`: the base every DLedger request and response carries. */
export interface Base {
  group: string
  /** the receiver of a request (the sender of its response keeps the request's value) */
  remoteId: NodeId
  /** the sender of a request */
  localId: NodeId
  code: number
  leaderId: NodeId | null
  term: number
  /** correlates a response with its request; unique per sender */
  reqId: string
}

/** A ballot. `leaderId` is the candidate, `term` the ballot term (reference §3.6). */
export interface VoteRequest extends Base {
  kind: 'VoteRequest'
  ledgerEndIndex: number
  ledgerEndTerm: number
}

/** `term` is the voter's currTerm (its ledgerEndTerm for REJECT_TERM_SMALL_THAN_LEDGER, its old term for REJECT_TERM_NOT_READY). */
export interface VoteResponse extends Base {
  kind: 'VoteResponse'
  voteResult: VoteResult
}

export interface HeartBeatRequest extends Base {
  kind: 'HeartBeatRequest'
}

export interface HeartBeatResponse extends Base {
  kind: 'HeartBeatResponse'
}

/**
 * Used both client → leader (`transferId` = the leader) and leader → transferee
 * ("take leadership", `takeLeadershipLedgerIndex` = the leader's ledger end).
 */
export interface LeadershipTransferRequest extends Base {
  kind: 'LeadershipTransferRequest'
  transferId: NodeId
  transfereeId: NodeId
  takeLeadershipLedgerIndex: number
}

export interface LeadershipTransferResponse extends Base {
  kind: 'LeadershipTransferResponse'
}

export type Request = VoteRequest | HeartBeatRequest | LeadershipTransferRequest
export type Response = VoteResponse | HeartBeatResponse | LeadershipTransferResponse
export type Message = Request | Response

export function isRequest(m: Message): m is Request {
  return m.kind === 'VoteRequest' || m.kind === 'HeartBeatRequest' || m.kind === 'LeadershipTransferRequest'
}

/** A response built "from the request": it copies the six base fields (reference §3.10). */
export function responseTo(req: VoteRequest, fields: Partial<Base> & {voteResult: VoteResult}): VoteResponse
export function responseTo(req: HeartBeatRequest, fields: Partial<Base>): HeartBeatResponse
export function responseTo(req: LeadershipTransferRequest, fields: Partial<Base>): LeadershipTransferResponse
export function responseTo(req: Request, fields: Partial<Base> & {voteResult?: VoteResult}): Response {
  const base: Base = {
    group: req.group,
    remoteId: req.remoteId,
    localId: req.localId,
    code: req.code,
    leaderId: req.leaderId,
    term: req.term,
    reqId: req.reqId,
  }
  switch (req.kind) {
    case 'VoteRequest':
      return {...base, code: RESPONSE_CODES.SUCCESS, voteResult: 'UNKNOWN', ...fields, kind: 'VoteResponse'}
    case 'HeartBeatRequest':
      return {...base, code: RESPONSE_CODES.SUCCESS, ...fields, kind: 'HeartBeatResponse'}
    case 'LeadershipTransferRequest':
      return {...base, code: RESPONSE_CODES.SUCCESS, ...fields, kind: 'LeadershipTransferResponse'}
    default:
      return assertNever(req)
  }
}

/**
 * The response a driver hands to the core when a request could not be delivered or timed out:
 * DLedger's RPC layer turns every failure into NETWORK_ERROR (votes: voteResult UNKNOWN).
 */
export function networkErrorResponse(req: Request): Response {
  switch (req.kind) {
    case 'VoteRequest':
      return responseTo(req, {code: RESPONSE_CODES.NETWORK_ERROR, voteResult: 'UNKNOWN'})
    case 'HeartBeatRequest':
      return responseTo(req, {code: RESPONSE_CODES.NETWORK_ERROR})
    case 'LeadershipTransferRequest':
      return responseTo(req, {code: RESPONSE_CODES.NETWORK_ERROR})
    default:
      return assertNever(req)
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`)
}

/** The durable record (spec S1): written atomically before any message that depends on it. */
export interface DurableState {
  currTerm: number
  currVoteFor: NodeId | null
}
