/**
 * Builders for the replicator's rule tests: a replicator in a given role and log, hand-built push
 * requests, and a tiny lossless network that carries pushes between replicators until they are
 * quiet (the elector is not involved: the tests set each member's role view directly).
 */
import type {AppendAck, LogEntry, PushEntryRequest, PushEntryResponse, PushMessage, PushType} from '../../src/core/push.js'
import {COMMIT_PUSH_DELAY_MS, Replicator, type ReplicatorOutput, type RoleView} from '../../src/core/replicator.js'
import {buildSettings, type Settings, type SettingsInput} from '../../src/core/settings.js'
import {type NodeId, RESPONSE_CODES, type ResponseCodeName} from '../../src/core/types.js'

import {peersOf} from './helpers.js'

export function replicationSettings(selfId: NodeId, members = 3, over: Partial<SettingsInput> = {}): Settings {
  return buildSettings({selfId, peers: peersOf(members), ...over})
}

/** A log whose entry i has term `terms[i]` and body `e<i>`. */
export function logOf(terms: readonly number[]): LogEntry[] {
  return terms.map((term, index) => ({index, term, body: `e${index}`}))
}

export function leaderView(term: number, selfId: NodeId = 'n0', transferee: NodeId | null = null): RoleView {
  return {role: 'LEADER', currTerm: term, leaderId: selfId, transferee}
}

export function followerView(term: number, leaderId: NodeId = 'n0'): RoleView {
  return {role: 'FOLLOWER', currTerm: term, leaderId, transferee: null}
}

export function makeReplicator(
  selfId: NodeId,
  terms: readonly number[] = [],
  opts: {members?: number; view?: RoleView; settings?: Partial<SettingsInput>} = {},
): {r: Replicator; out: ReplicatorOutput} {
  const r = new Replicator(replicationSettings(selfId, opts.members ?? 3, opts.settings), logOf(terms), 0)
  const out = r.observe(opts.view ?? {role: 'CANDIDATE', currTerm: 0, leaderId: null, transferee: null}, 0)
  return {r, out}
}

/** numbers the requests pushRequest builds, so a test's inputs are the same on every run */
let pushRequests = 0

export function pushRequest(p: {
  type: PushType
  to?: NodeId
  from?: NodeId
  term: number
  preLogIndex: number
  preLogTerm: number
  commitIndex?: number
  entries?: LogEntry[]
  nextLogTerm?: number
}): PushEntryRequest {
  const from = p.from ?? 'n0'
  return {
    kind: 'PushEntryRequest',
    group: 'default',
    remoteId: p.to ?? 'n1',
    localId: from,
    leaderId: from,
    code: RESPONSE_CODES.SUCCESS,
    term: p.term,
    reqId: `t.${++pushRequests}`,
    type: p.type,
    preLogIndex: p.preLogIndex,
    preLogTerm: p.preLogTerm,
    commitIndex: p.commitIndex ?? -1,
    entries: p.entries ?? [],
    ...(p.nextLogTerm === undefined ? {} : {nextLogTerm: p.nextLogTerm}),
  }
}

export function requests(out: ReplicatorOutput, type?: PushType): PushEntryRequest[] {
  return out.messages.filter((m): m is PushEntryRequest => m.kind === 'PushEntryRequest' && (type === undefined || m.type === type))
}

export function onlyResponse(out: ReplicatorOutput): PushEntryResponse {
  const rs = out.messages.filter((m): m is PushEntryResponse => m.kind === 'PushEntryResponse')
  if (rs.length !== 1) throw new Error(`expected one response, got ${rs.length}`)
  return rs[0] as PushEntryResponse
}

export function codeOf(name: ResponseCodeName): number {
  return RESPONSE_CODES[name]
}

/**
 * Carries pushes between replicators, in send order, until none is left (bounded); then (unless
 * `settle` is false) lets COMMIT_PUSH_DELAY_MS pass (a tick on every member) and carries what that sends, so the followers
 * hear the last commit index. A member not in `members` (or in `down`) loses what is sent to it.
 * Returns every message delivered and the client answers given along the way.
 */
export function deliver(
  members: Map<NodeId, Replicator>,
  first: ReplicatorOutput[],
  nowMs = 0,
  down: ReadonlySet<NodeId> = new Set(),
  settle = true,
): {delivered: PushMessage[]; acks: AppendAck[]} {
  const queue: PushMessage[] = first.flatMap((o) => o.messages)
  const acks: AppendAck[] = first.flatMap((o) => o.acks)
  const delivered: PushMessage[] = []
  const run = (now: number) => {
    for (let i = 0; i < 10_000 && queue.length > 0; i++) {
      const m = queue.shift() as PushMessage
      const to = m.kind === 'PushEntryRequest' ? m.remoteId : m.localId
      const target = members.get(to)
      if (target === undefined || down.has(to)) continue
      delivered.push(m)
      const out = target.receive(m, now)
      queue.push(...out.messages)
      acks.push(...out.acks)
    }
    if (queue.length > 0) throw new Error('pushes did not settle')
  }
  run(nowMs)
  if (!settle) return {delivered, acks}
  const later = nowMs + COMMIT_PUSH_DELAY_MS
  for (const [id, r] of members) {
    if (down.has(id)) continue
    const out = r.tick(later)
    queue.push(...out.messages)
    acks.push(...out.acks)
  }
  run(later)
  return {delivered, acks}
}

/** `deliver`'s messages. */
export function deliverAll(members: Map<NodeId, Replicator>, first: ReplicatorOutput[], nowMs = 0, down: ReadonlySet<NodeId> = new Set()): PushMessage[] {
  return deliver(members, first, nowMs, down).delivered
}
