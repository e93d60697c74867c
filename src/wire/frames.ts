/**
 * The wire schema: the one module that turns WebSocket text frames into typed values and back.
 * Members and the CLI both use it; every inbound frame goes through `parseFrame`, which never
 * throws (spec §2: anything malformed, oversized or unknown is dropped and counted, never fatal).
 *
 * A frame is one JSON object with a `kind`:
 * - the election messages of src/core/types.ts, field for field (`VoteRequest`, `VoteResponse`,
 *   `HeartBeatRequest`, `HeartBeatResponse`, `LeadershipTransferRequest`,
 *   `LeadershipTransferResponse`). A client (the CLI) asks for a leadership transfer by sending a
 *   plain LeadershipTransferRequest with `localId` set to a client id such as `cli.4242`.
 * - `AdminRequest` `{kind, reqId, op, …}` (CLI → member) answered by one `AdminResponse`
 *   `{kind, reqId, ok, code?, error?, result?}` on the same socket.
 * - `LogEvent` `{kind, event}`: a vote-log record pushed to a `subscribeLog` subscriber.
 * - the ledger's pushes of src/core/push.ts (`PushEntryRequest`, `PushEntryResponse`), field for
 *   field; a push is at most MAX_FRAME_BYTES like every frame, so its batch is bounded by bytes.
 *
 * The checks are hand-written (./checks.ts), not a schema library: a member stays light (issue 13).
 */
import {MAX_TERM} from '../core/limits.js'
import {PUSH_TYPES, type PushEntryRequest, type PushEntryResponse, type PushMessage} from '../core/push.js'
import {type DistributiveOmit, VOTE_LOG_EVENT_TYPES, type VoteLogEvent} from '../core/events.js'
import {
  type HeartBeatRequest,
  type HeartBeatResponse,
  type LeadershipTransferRequest,
  type LeadershipTransferResponse,
  MEMBER_ID_PATTERN,
  type Message,
  type ResponseCodeName,
  VOTE_RESULTS,
  type VoteRequest,
  type VoteResponse,
} from '../core/types.js'
import {
  anything,
  arrayOf,
  bool,
  type Check,
  type Checked,
  int,
  literal,
  matching,
  nul,
  nullable,
  num,
  object,
  oneOf,
  optional,
  pair,
  runCheck,
  str,
  variantBy,
} from './checks.js'
import type {FaultState} from './faults.js'
import type {MemberStatus} from './status.js'

/** The path of the WebSocket endpoint on a member's HTTP server. */
export const WS_PATH = '/ws'
/** The largest frame a member or client accepts (spec §2: oversized = more than 1 MiB). */
export const MAX_FRAME_BYTES = 1 << 20
/** Upgrade header naming the connecting member (or client id such as `cli.4242`). */
export const NODE_HEADER = 'x-dledger-node'
/** Upgrade header naming the connecting member's group. */
export const GROUP_HEADER = 'x-dledger-group'

// ---------------------------------------------------------------- election messages

const text = str(256)
const nonEmpty = str(256, 1)
/**
 * A term on the wire: -1 (a response's "no term") up to MAX_TERM, the one limit the loader and the
 * core use too; a larger one is refused as `term_out_of_range` (issue 7, item 1).
 */
const termField = int(-1, MAX_TERM)
/** A term that is never "none": a log entry's, or one a forced election asks for. */
const realTerm = int(0, MAX_TERM)

const base = {
  group: text,
  remoteId: text,
  localId: text,
  code: int(),
  leaderId: nullable(text),
  term: termField,
  reqId: nonEmpty,
}

const voteRequestSchema = object({kind: literal('VoteRequest'), ...base, ledgerEndIndex: int(), ledgerEndTerm: termField})
const voteResponseSchema = object({kind: literal('VoteResponse'), ...base, voteResult: oneOf(VOTE_RESULTS)})
const heartBeatRequestSchema = object({kind: literal('HeartBeatRequest'), ...base})
const heartBeatResponseSchema = object({kind: literal('HeartBeatResponse'), ...base})
const leadershipTransferRequestSchema = object({
  kind: literal('LeadershipTransferRequest'),
  ...base,
  transferId: text,
  transfereeId: text,
  takeLeadershipLedgerIndex: int(),
})
const leadershipTransferResponseSchema = object({kind: literal('LeadershipTransferResponse'), ...base})

/** An index on the wire: -1 ("none") up to the largest safe integer. */
const indexField = int(-1)
const logEntrySchema = object({index: int(0), term: realTerm, body: str(Infinity)})
const pushEntryRequestSchema = object({
  kind: literal('PushEntryRequest'),
  ...base,
  type: oneOf(PUSH_TYPES),
  preLogIndex: indexField,
  preLogTerm: termField,
  commitIndex: indexField,
  entries: arrayOf(logEntrySchema, {max: 10_000}),
  nextLogTerm: optional(realTerm),
})
const pushEntryResponseSchema = object({
  kind: literal('PushEntryResponse'),
  ...base,
  type: oneOf(PUSH_TYPES),
  index: indexField,
  ledgerEndIndex: indexField,
  xTerm: termField,
  xIndex: indexField,
})

// The checks must return the core's types exactly (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameShapes: [
  Same<Checked<typeof voteRequestSchema>, VoteRequest>,
  Same<Checked<typeof voteResponseSchema>, VoteResponse>,
  Same<Checked<typeof heartBeatRequestSchema>, HeartBeatRequest>,
  Same<Checked<typeof heartBeatResponseSchema>, HeartBeatResponse>,
  Same<Checked<typeof leadershipTransferRequestSchema>, LeadershipTransferRequest>,
  Same<Checked<typeof leadershipTransferResponseSchema>, LeadershipTransferResponse>,
  Same<Checked<typeof pushEntryRequestSchema>, PushEntryRequest>,
  Same<Checked<typeof pushEntryResponseSchema>, PushEntryResponse>,
] = [true, true, true, true, true, true, true, true]
void sameShapes

// ---------------------------------------------------------------- admin and log frames

const adminBase = {
  kind: literal('AdminRequest'),
  reqId: nonEmpty,
  /** when given, a member of another group refuses with UNKNOWN_GROUP */
  group: optional(text),
}

/** The most entries one `append` request carries. */
export const MAX_APPEND_BODIES = 10_000

/** The most vote-log records a `subscribeLog` answer carries (keeps it well under 1 MiB). */
export const MAX_LOG_TAIL = 1000

const memberIds = arrayOf(matching(MEMBER_ID_PATTERN), {max: 64})
const delayBound = int(0, 60_000)
const faultStateSchema = object({
  dropTo: memberIds,
  dropFrom: memberIds,
  loss: num(0, 1),
  delayMs: nullable(pair(delayBound, (a, b) => a <= b, 'the delay range must be MIN-MAX with MIN <= MAX')),
})
const faultShape: Same<Checked<typeof faultStateSchema>, FaultState> = true
void faultShape

const adminRequestSchema = variantBy('op', {
  /** → result: MemberStatus */
  status: object({...adminBase, op: literal('status')}),
  /** DLedger's testRevote: campaign for `term` (default currTerm + 1) at once → result {term, role} */
  revote: object({...adminBase, op: literal('revote'), term: optional(realTerm)}),
  /** a leader steps down (NOT_LEADER otherwise) → result {term, role} */
  stepDown: object({...adminBase, op: literal('stepDown')}),
  /** replace the preferred leaders (empty = none) → result {preferred} */
  setPreferredLeaders: object({...adminBase, op: literal('setPreferredLeaders'), ids: memberIds}),
  /**
   * → result {events: VoteLogRecord[]} (the last `tail` records, default 0); with `follow`
   * (default true) every later record arrives as a LogEvent frame until the socket closes.
   */
  subscribeLog: object({
    ...adminBase,
    op: literal('subscribeLog'),
    tail: optional(int(0, MAX_LOG_TAIL)),
    follow: optional(bool),
    types: optional(arrayOf(oneOf(VOTE_LOG_EVENT_TYPES))),
  }),
  /** a client append at the leader (NOT_LEADER elsewhere), answered once committed → result {entries: [{index, term}], leaderId} */
  append: object({...adminBase, op: literal('append'), bodies: arrayOf(str(Infinity), {min: 1, max: MAX_APPEND_BODIES})}),
  /**
   * → result {entries: LogEntry[], committedIndex, ledgerEndIndex, more}: the committed entries
   * from `from` to `to` (the whole log with `uncommitted`), cut short (`more`) to fit one frame
   */
  read: object({...adminBase, op: literal('read'), from: optional(indexField), to: optional(indexField), uncommitted: optional(bool)}),
  /** the fault layer (src/node/fault-layer.ts): with `set`, replace the faults (all empty heals) → result {faults} */
  faults: object({...adminBase, op: literal('faults'), set: optional(faultStateSchema)}),
})
export type AdminRequest = Checked<typeof adminRequestSchema>

/**
 * Why an admin request failed: DLedger's response-code names (`NOT_LEADER`, `UNKNOWN_GROUP`,
 * `UNEXPECTED_ARGUMENT`, `UNSUPPORTED`, `INTERNAL_ERROR`, …).
 */
export type AdminErrorCode = ResponseCodeName

const adminResponseSchema = object({
  kind: literal('AdminResponse'),
  reqId: nonEmpty,
  ok: bool,
  code: optional(str(64)),
  error: optional(str(4096)),
  result: optional(anything),
})
export interface AdminResponse {
  kind: 'AdminResponse'
  reqId: string
  ok: boolean
  code?: AdminErrorCode | string
  error?: string
  result?: unknown
}

/** One line of `vote.log` (spec §3): `ts` (ISO 8601) plus the event's fields (without `atMs`). */
export type VoteLogRecord = {ts: string} & DistributiveOmit<VoteLogEvent, 'atMs'>

// the event's other fields pass unchecked: a subscriber shows them, the member never acts on them
const voteLogRecordSchema = object({ts: str(64), node: text, term: int(), type: oneOf(VOTE_LOG_EVENT_TYPES)}, {keepOthers: true})
const logEventSchema = object({kind: literal('LogEvent'), event: voteLogRecordSchema})
export interface LogEventFrame {
  kind: 'LogEvent'
  event: VoteLogRecord
}

// ---------------------------------------------------------------- frames

export type Frame = Message | PushMessage | AdminRequest | AdminResponse | LogEventFrame
export type FrameKind = Frame['kind']

const SCHEMAS: Record<FrameKind, Check<unknown>> = {
  VoteRequest: voteRequestSchema,
  VoteResponse: voteResponseSchema,
  HeartBeatRequest: heartBeatRequestSchema,
  HeartBeatResponse: heartBeatResponseSchema,
  LeadershipTransferRequest: leadershipTransferRequestSchema,
  LeadershipTransferResponse: leadershipTransferResponseSchema,
  PushEntryRequest: pushEntryRequestSchema,
  PushEntryResponse: pushEntryResponseSchema,
  AdminRequest: adminRequestSchema,
  AdminResponse: adminResponseSchema,
  LogEvent: logEventSchema,
}


/** Why a frame was dropped; the same words label `dledger_dropped_messages_total`. */
export type ParseFailureReason = 'malformed' | 'oversized' | 'unknown_kind' | 'term_out_of_range'

/** The fields that carry a term: above MAX_TERM they make a frame `term_out_of_range`, not malformed. */
const TERM_FIELDS = new Set<PropertyKey>(['term', 'ledgerEndTerm', 'preLogTerm', 'xTerm', 'nextLogTerm'])

export type ParseResult =
  | {ok: true; frame: Frame}
  | {
      ok: false
      reason: ParseFailureReason
      /** one line for logs */
      detail: string
      /** the frame's `kind`, when it had a string one */
      kind?: string
      /** the frame's `reqId`, when it had a string one (lets a member answer a bad AdminRequest) */
      reqId?: string
    }

/** Parses one text frame. Never throws: every failure is a `{ok: false, reason}`. */
export function parseFrame(data: string | Buffer | ArrayBuffer | Buffer[]): ParseResult {
  try {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : byteLengthOf(data)
    if (bytes > MAX_FRAME_BYTES) return {ok: false, reason: 'oversized', detail: `frame of ${bytes} bytes exceeds ${MAX_FRAME_BYTES}`}
    const textValue = typeof data === 'string' ? data : toBuffer(data).toString('utf8')
    let value: unknown
    try {
      value = JSON.parse(textValue)
    } catch (error) {
      return {ok: false, reason: 'malformed', detail: `not JSON: ${(error as Error).message}`}
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {ok: false, reason: 'malformed', detail: 'not a JSON object'}
    const record = value as Record<string, unknown>
    const kind = record.kind
    const reqId = typeof record.reqId === 'string' && record.reqId.length <= 256 ? record.reqId : undefined
    if (typeof kind !== 'string') return {ok: false, reason: 'malformed', detail: 'no string "kind"', reqId}
    const shownKind = kind.slice(0, 64)
    if (!Object.hasOwn(SCHEMAS, kind)) return {ok: false, reason: 'unknown_kind', detail: `unknown kind ${JSON.stringify(shownKind)}`, kind: shownKind, reqId}
    const parsed = runCheck(SCHEMAS[kind as FrameKind], value)
    if (!parsed.ok) {
      const {path, tooBig, message} = parsed.issue
      const where = path.length > 0 ? path.join('.') : kind
      const field = path[path.length - 1]
      if (tooBig && field !== undefined && TERM_FIELDS.has(field))
        return {ok: false, reason: 'term_out_of_range', detail: `bad ${kind}: ${where} is above the largest term ${MAX_TERM}`, kind, reqId}
      return {ok: false, reason: 'malformed', detail: `bad ${kind}: ${where}: ${message}`, kind, reqId}
    }
    return {ok: true, frame: parsed.value as Frame}
  } catch (error) {
    return {ok: false, reason: 'malformed', detail: `unparseable frame: ${error instanceof Error ? error.message : String(error)}`}
  }
}

// ---------------------------------------------------------------- member status

const roleSchema = oneOf(['CANDIDATE', 'FOLLOWER', 'LEADER'])
const memberStatusSchema = object({
  id: text,
  address: text,
  reachable: literal(true),
  pid: int(),
  role: roleSchema,
  term: termField,
  leaderId: nullable(text),
  votedFor: nullable(text),
  ledgerEndIndex: int(),
  ledgerEndTerm: int(),
  committedIndex: int(),
  preferred: nullable(text),
  lastHeartbeatAgoMs: nullable(num()),
  error: nul,
  group: text,
  knownMaxTermInGroup: termField,
  transferee: nullable(text),
  startedAt: str(64),
  uptimeMs: num(),
  version: str(64),
  faults: optional(nullable(faultStateSchema)),
})
const statusShape: Same<Checked<typeof memberStatusSchema>, MemberStatus> = true
void statusShape

/**
 * Validates a member's status (the body of `GET /status`, or the result of the `status` admin op).
 * Never throws: a value that is not a MemberStatus gives `{ok: false, detail}`.
 */
export function parseMemberStatus(value: unknown): {ok: true; status: MemberStatus} | {ok: false; detail: string} {
  const parsed = runCheck(memberStatusSchema, value)
  if (parsed.ok) return {ok: true, status: parsed.value}
  const {path, message} = parsed.issue
  return {ok: false, detail: `bad status: ${path.join('.') || 'value'}: ${message}`}
}

/** The text of a frame. */
export function encodeFrame(frame: Frame): string {
  return JSON.stringify(frame)
}

/** Whether a frame is one of the core's election messages. */
export function isMessageFrame(frame: Frame): frame is Message {
  return frame.kind !== 'AdminRequest' && frame.kind !== 'AdminResponse' && frame.kind !== 'LogEvent' && !isPushFrame(frame)
}

/** Whether a frame is one of the ledger's pushes. */
export function isPushFrame(frame: Frame): frame is PushMessage {
  return frame.kind === 'PushEntryRequest' || frame.kind === 'PushEntryResponse'
}

/** The `Authorization` header value for a cluster token. */
export function bearer(token: string): string {
  return `Bearer ${token}`
}

function byteLengthOf(data: Buffer | ArrayBuffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0)
  return data.byteLength
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return Buffer.from(data)
  return data
}

