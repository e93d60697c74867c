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
 * zod is loaded with this module; the CLI should import it lazily (`await import(...)`).
 */
import {z} from 'zod'

import {MAX_TERM} from '../core/limits.js'
import {PUSH_TYPES, type PushEntryRequest, type PushEntryResponse, type PushMessage} from '../core/push.js'
import {VOTE_LOG_EVENT_TYPES, type VoteLogEvent, type VoteLogEventType} from '../core/events.js'
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

const text = z.string().max(256)
const nonEmpty = z.string().min(1).max(256)
/**
 * A term on the wire: -1 (a response's "no term") up to MAX_TERM, the one limit the loader and the
 * core use too; a larger one is refused as `term_out_of_range` (issue 7, item 1).
 */
const termField = z.int().min(-1).max(MAX_TERM)

const base = {
  group: text,
  remoteId: text,
  localId: text,
  code: z.int(),
  leaderId: text.nullable(),
  term: termField,
  reqId: nonEmpty,
}

const voteRequestSchema = z.object({kind: z.literal('VoteRequest'), ...base, ledgerEndIndex: z.int(), ledgerEndTerm: termField})
const voteResponseSchema = z.object({kind: z.literal('VoteResponse'), ...base, voteResult: z.enum(VOTE_RESULTS)})
const heartBeatRequestSchema = z.object({kind: z.literal('HeartBeatRequest'), ...base})
const heartBeatResponseSchema = z.object({kind: z.literal('HeartBeatResponse'), ...base})
const leadershipTransferRequestSchema = z.object({
  kind: z.literal('LeadershipTransferRequest'),
  ...base,
  transferId: text,
  transfereeId: text,
  takeLeadershipLedgerIndex: z.int(),
})
const leadershipTransferResponseSchema = z.object({kind: z.literal('LeadershipTransferResponse'), ...base})

/** An index on the wire: -1 ("none") up to the largest safe integer. */
const indexField = z.int().min(-1)
const logEntrySchema = z.object({index: z.int().min(0), term: termField.min(0), body: z.string()})
const pushEntryRequestSchema = z.object({
  kind: z.literal('PushEntryRequest'),
  ...base,
  type: z.enum(PUSH_TYPES),
  preLogIndex: indexField,
  preLogTerm: termField,
  commitIndex: indexField,
  entries: z.array(logEntrySchema).max(10_000),
})
const pushEntryResponseSchema = z.object({
  kind: z.literal('PushEntryResponse'),
  ...base,
  type: z.enum(PUSH_TYPES),
  index: indexField,
  ledgerEndIndex: indexField,
  xTerm: termField,
  xIndex: indexField,
})

// The schemas must describe the core's types exactly (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameShapes: [
  Same<z.infer<typeof voteRequestSchema>, VoteRequest>,
  Same<z.infer<typeof voteResponseSchema>, VoteResponse>,
  Same<z.infer<typeof heartBeatRequestSchema>, HeartBeatRequest>,
  Same<z.infer<typeof heartBeatResponseSchema>, HeartBeatResponse>,
  Same<z.infer<typeof leadershipTransferRequestSchema>, LeadershipTransferRequest>,
  Same<z.infer<typeof leadershipTransferResponseSchema>, LeadershipTransferResponse>,
  Same<z.infer<typeof pushEntryRequestSchema>, PushEntryRequest>,
  Same<z.infer<typeof pushEntryResponseSchema>, PushEntryResponse>,
] = [true, true, true, true, true, true, true, true]
void sameShapes

// ---------------------------------------------------------------- admin and log frames

const adminBase = {
  kind: z.literal('AdminRequest'),
  reqId: nonEmpty,
  /** when given, a member of another group refuses with UNKNOWN_GROUP */
  group: text.optional(),
}

/** The most entries one `append` request carries. */
export const MAX_APPEND_BODIES = 10_000

/** The most vote-log records a `subscribeLog` answer carries (keeps it well under 1 MiB). */
export const MAX_LOG_TAIL = 1000

const faultIds = z.array(z.string().regex(MEMBER_ID_PATTERN)).max(64)
const delayBound = z.int().min(0).max(60_000)
const faultStateSchema = z.object({
  dropTo: faultIds,
  dropFrom: faultIds,
  loss: z.number().min(0).max(1),
  delayMs: z.tuple([delayBound, delayBound]).refine(([a, b]) => a <= b, 'the delay range must be MIN-MAX with MIN <= MAX').nullable(),
})
const faultShape: Same<z.infer<typeof faultStateSchema>, FaultState> = true
void faultShape

const adminRequestSchema = z.discriminatedUnion('op', [
  /** → result: MemberStatus */
  z.object({...adminBase, op: z.literal('status')}),
  /** DLedger's testRevote: campaign for `term` (default currTerm + 1) at once → result {term, role} */
  z.object({...adminBase, op: z.literal('revote'), term: termField.min(0).optional()}),
  /** a leader steps down (NOT_LEADER otherwise) → result {term, role} */
  z.object({...adminBase, op: z.literal('stepDown')}),
  /** replace the preferred leaders (empty = none) → result {preferred} */
  z.object({...adminBase, op: z.literal('setPreferredLeaders'), ids: z.array(z.string().regex(MEMBER_ID_PATTERN)).max(64)}),
  /**
   * → result {events: VoteLogRecord[]} (the last `tail` records, default 0); with `follow`
   * (default true) every later record arrives as a LogEvent frame until the socket closes.
   */
  z.object({
    ...adminBase,
    op: z.literal('subscribeLog'),
    tail: z.int().min(0).max(MAX_LOG_TAIL).optional(),
    follow: z.boolean().optional(),
    types: z.array(z.enum(VOTE_LOG_EVENT_TYPES as [VoteLogEventType, ...VoteLogEventType[]])).optional(),
  }),
  /** a client append at the leader (NOT_LEADER elsewhere), answered once committed → result {entries: [{index, term}], leaderId} */
  z.object({...adminBase, op: z.literal('append'), bodies: z.array(z.string()).min(1).max(MAX_APPEND_BODIES)}),
  /**
   * → result {entries: LogEntry[], committedIndex, ledgerEndIndex, more}: the committed entries
   * from `from` to `to` (the whole log with `uncommitted`), cut short (`more`) to fit one frame
   */
  z.object({...adminBase, op: z.literal('read'), from: indexField.optional(), to: indexField.optional(), uncommitted: z.boolean().optional()}),
  /** the fault layer (src/node/fault-layer.ts): with `set`, replace the faults (all empty heals) → result {faults} */
  z.object({...adminBase, op: z.literal('faults'), set: faultStateSchema.optional()}),
])
export type AdminRequest = z.infer<typeof adminRequestSchema>

/**
 * Why an admin request failed: DLedger's response-code names (`NOT_LEADER`, `UNKNOWN_GROUP`,
 * `UNEXPECTED_ARGUMENT`, `UNSUPPORTED`, `INTERNAL_ERROR`, …).
 */
export type AdminErrorCode = ResponseCodeName

const adminResponseSchema = z.object({
  kind: z.literal('AdminResponse'),
  reqId: nonEmpty,
  ok: z.boolean(),
  code: z.string().max(64).optional(),
  error: z.string().max(4096).optional(),
  result: z.unknown().optional(),
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

const voteLogRecordSchema = z.looseObject({
  ts: z.string().max(64),
  node: text,
  term: z.int(),
  type: z.enum(VOTE_LOG_EVENT_TYPES as [VoteLogEventType, ...VoteLogEventType[]]),
})
const logEventSchema = z.object({kind: z.literal('LogEvent'), event: voteLogRecordSchema})
export interface LogEventFrame {
  kind: 'LogEvent'
  event: VoteLogRecord
}

// ---------------------------------------------------------------- frames

export type Frame = Message | PushMessage | AdminRequest | AdminResponse | LogEventFrame
export type FrameKind = Frame['kind']

const SCHEMAS: Record<FrameKind, z.ZodType> = {
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
const TERM_FIELDS = new Set<PropertyKey>(['term', 'ledgerEndTerm', 'preLogTerm', 'xTerm'])

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
    const parsed = SCHEMAS[kind as FrameKind].safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : kind
      const field = issue?.path[issue.path.length - 1]
      if (issue?.code === 'too_big' && field !== undefined && TERM_FIELDS.has(field))
        return {ok: false, reason: 'term_out_of_range', detail: `bad ${kind}: ${where} is above the largest term ${MAX_TERM}`, kind, reqId}
      return {ok: false, reason: 'malformed', detail: `bad ${kind}: ${where}: ${issue?.message ?? 'invalid'}`, kind, reqId}
    }
    return {ok: true, frame: parsed.data as Frame}
  } catch (error) {
    return {ok: false, reason: 'malformed', detail: `unparseable frame: ${error instanceof Error ? error.message : String(error)}`}
  }
}

// ---------------------------------------------------------------- member status

const roleSchema = z.enum(['CANDIDATE', 'FOLLOWER', 'LEADER'])
const memberStatusSchema = z.object({
  id: text,
  address: text,
  reachable: z.literal(true),
  pid: z.int(),
  role: roleSchema,
  term: termField,
  leaderId: text.nullable(),
  votedFor: text.nullable(),
  ledgerEndIndex: z.int(),
  ledgerEndTerm: z.int(),
  committedIndex: z.int(),
  preferred: text.nullable(),
  lastHeartbeatAgoMs: z.number().nullable(),
  error: z.null(),
  group: text,
  knownMaxTermInGroup: termField,
  transferee: text.nullable(),
  startedAt: z.string().max(64),
  uptimeMs: z.number(),
  version: z.string().max(64),
  faults: faultStateSchema.nullable().optional(),
})
const statusShape: Same<z.infer<typeof memberStatusSchema>, MemberStatus> = true
void statusShape

/**
 * Validates a member's status (the body of `GET /status`, or the result of the `status` admin op).
 * Never throws: a value that is not a MemberStatus gives `{ok: false, detail}`.
 */
export function parseMemberStatus(value: unknown): {ok: true; status: MemberStatus} | {ok: false; detail: string} {
  const parsed = memberStatusSchema.safeParse(value)
  if (parsed.success) return {ok: true, status: parsed.data}
  const issue = parsed.error.issues[0]
  return {ok: false, detail: `bad status: ${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid'}`}
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
