/**
 * Builders for the core's rule tests: settings, a scripted random source, hand-built messages,
 * and small drivers that bring an Elector into the state a rule needs through its public API.
 */
import assert from 'node:assert/strict'

import {Elector, type StepOutput} from '../../src/core/elector.js'
import type {VoteLogEvent} from '../../src/core/events.js'
import {buildSettings, type Settings, type SettingsInput} from '../../src/core/settings.js'
import {
  type HeartBeatRequest,
  type HeartBeatResponse,
  isRequest,
  type LeadershipTransferRequest,
  type LeadershipTransferResponse,
  type Message,
  type NodeId,
  RESPONSE_CODES,
  type ResponseCodeName,
  responseTo,
  type VoteRequest,
  type VoteResponse,
  type VoteResult,
} from '../../src/core/types.js'

/** `n0-127.0.0.1:20911;n1-…` with `n` members. */
export function peersOf(n: number): string {
  return Array.from({length: n}, (_, i) => `n${i}-127.0.0.1:${20911 + i}`).join(';')
}

export const PEERS3 = peersOf(3)

/**
 * A scripted random source: returns the queued values in order, then `fallback`. Queue values right
 * before the step that draws them (`rng.push(0.5)`), so a test states which draw it means.
 */
export class ScriptedRandom {
  private readonly queue: number[] = []
  calls = 0
  /** `fallback`: the value (or generator) used once the queue is empty */
  constructor(private readonly fallback: number | (() => number) = 0) {}

  readonly next = (): number => {
    this.calls++
    const v = this.queue.shift()
    if (v !== undefined) return v
    return typeof this.fallback === 'number' ? this.fallback : this.fallback()
  }

  push(...values: number[]): this {
    this.queue.push(...values)
    return this
  }

  get pending(): number {
    return this.queue.length
  }
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The value that makes `floor(r * bound)` equal `k` exactly. */
export function draw(k: number, bound: number): number {
  return (k + 0.5) / bound
}

export interface NodeOptions extends Partial<Omit<SettingsInput, 'selfId' | 'peers'>> {
  selfId?: NodeId
  peers?: string
  /** the durable record the node starts from */
  term?: number
  voteFor?: NodeId | null
  nowMs?: number
  /** what the scripted random source returns once its queue is empty (default 0) */
  fallbackRandom?: number | (() => number)
}

export interface TestNode {
  e: Elector
  rng: ScriptedRandom
  settings: Settings
}

/** An Elector built like a driver builds it: settings, a durable record, a random source, a start time. */
export function makeNode(opts: NodeOptions = {}): TestNode {
  const {selfId = 'n0', peers = PEERS3, term = 0, voteFor = null, nowMs = 0, fallbackRandom = 0, ...rest} = opts
  const settings = buildSettings({selfId, peers, ...rest})
  const rng = new ScriptedRandom(fallbackRandom)
  const e = new Elector(settings, {currTerm: term, currVoteFor: voteFor}, rng.next, nowMs)
  return {e, rng, settings}
}

// ------------------------------------------------------------------ messages

let reqSeq = 0
function nextReqId(from: NodeId): string {
  reqSeq += 1
  return `${from}.test.${reqSeq}`
}

/** A ballot from `from` (the candidate, unless `candidate` says otherwise) to `to`. */
export function voteRequest(p: {
  from: NodeId
  to: NodeId
  term: number
  ledgerEndIndex?: number
  ledgerEndTerm?: number
  group?: string
  candidate?: NodeId | null
}): VoteRequest {
  return {
    kind: 'VoteRequest',
    group: p.group ?? 'default',
    localId: p.from,
    remoteId: p.to,
    leaderId: p.candidate === undefined ? p.from : p.candidate,
    term: p.term,
    code: RESPONSE_CODES.SUCCESS,
    ledgerEndIndex: p.ledgerEndIndex ?? -1,
    ledgerEndTerm: p.ledgerEndTerm ?? -1,
    reqId: nextReqId(p.from),
  }
}

/** A heartbeat from `from` (the leader, unless `leaderId` says otherwise) to `to`. */
export function heartbeat(p: {from: NodeId; to: NodeId; term: number; leaderId?: NodeId; group?: string}): HeartBeatRequest {
  return {
    kind: 'HeartBeatRequest',
    group: p.group ?? 'default',
    localId: p.from,
    remoteId: p.to,
    leaderId: p.leaderId ?? p.from,
    term: p.term,
    code: RESPONSE_CODES.SUCCESS,
    reqId: nextReqId(p.from),
  }
}

/**
 * A LeadershipTransferRequest. Client → leader: `from` is the client, `transferId` the leader
 * (= `to`). Leader → transferee ("take leadership"): `from` = `transferId` = the leader.
 */
export function transferRequest(p: {
  from: NodeId
  to: NodeId
  transferId: NodeId
  transfereeId: NodeId
  term: number
  takeLeadershipLedgerIndex?: number
  group?: string
  reqId?: string
}): LeadershipTransferRequest {
  return {
    kind: 'LeadershipTransferRequest',
    group: p.group ?? 'default',
    localId: p.from,
    remoteId: p.to,
    leaderId: p.from === p.transferId ? p.transferId : null,
    term: p.term,
    code: RESPONSE_CODES.SUCCESS,
    transferId: p.transferId,
    transfereeId: p.transfereeId,
    takeLeadershipLedgerIndex: p.takeLeadershipLedgerIndex ?? 0,
    reqId: p.reqId ?? nextReqId(p.from),
  }
}

export function voteResponse(req: VoteRequest, voteResult: VoteResult, term = req.term): VoteResponse {
  return responseTo(req, {voteResult, term})
}

export function heartbeatResponse(req: HeartBeatRequest, code: ResponseCodeName, term = -1): HeartBeatResponse {
  return responseTo(req, {code: RESPONSE_CODES[code], term})
}

export function transferResponse(req: LeadershipTransferRequest, code: ResponseCodeName, term: number): LeadershipTransferResponse {
  return responseTo(req, {code: RESPONSE_CODES[code], term})
}

// ------------------------------------------------------------------ outputs

type Kind = Message['kind']
export type MessageOf<K extends Kind> = Extract<Message, {kind: K}>
type EventType = VoteLogEvent['type']
export type EventOf<T extends EventType> = Extract<VoteLogEvent, {type: T}>

export function sent<K extends Kind>(out: StepOutput, kind: K): MessageOf<K>[] {
  return out.messages.filter((m): m is MessageOf<K> => m.kind === kind)
}

/** The one message of `kind` in the output (asserts there is exactly one). */
export function one<K extends Kind>(out: StepOutput, kind: K): MessageOf<K> {
  const found = sent(out, kind)
  assert.equal(found.length, 1, `expected exactly one ${kind}, got ${found.length}: ${JSON.stringify(out.messages)}`)
  return found[0]
}

export function events<T extends EventType>(out: StepOutput, type: T): EventOf<T>[] {
  return out.events.filter((ev): ev is EventOf<T> => ev.type === type)
}

export function oneEvent<T extends EventType>(out: StepOutput, type: T): EventOf<T> {
  const found = events(out, type)
  assert.equal(found.length, 1, `expected exactly one ${type} event, got ${found.length}: ${JSON.stringify(out.events)}`)
  return found[0]
}

/** Several step outputs as one (messages and events in order; the last persist). */
export function merge(...outs: StepOutput[]): StepOutput {
  return {
    persist: outs.reduce<StepOutput['persist']>((p, o) => o.persist ?? p, null),
    messages: outs.flatMap((o) => o.messages),
    events: outs.flatMap((o) => o.events),
  }
}

/** Ticks every `stepMs` from `fromMs` to `toMs` inclusive; returns everything produced. */
export function tickThrough(e: Elector, fromMs: number, toMs: number, stepMs = 1): StepOutput {
  const outs: StepOutput[] = []
  for (let t = fromMs; t <= toMs; t += stepMs) outs.push(e.tick(t))
  return merge(...outs)
}

// ------------------------------------------------------------------ drivers

/**
 * Runs the node's first ballot at `nowMs` (in its persisted term) and answers it with ACCEPT from
 * one other peer: the node leads in its persisted term. Returns the ballot requests it sent.
 */
export function electLeader(node: TestNode, nowMs: number): {ballot: VoteRequest[]; out: StepOutput} {
  const {e} = node
  const first = e.tick(nowMs)
  const ballot = sent(first, 'VoteRequest')
  assert.ok(ballot.length > 0, 'expected a ballot')
  const outs = [first]
  const quorum = Math.floor(e.view.peerSize / 2) + 1
  for (const req of ballot.slice(0, quorum - 1)) outs.push(e.receive(voteResponse(req, 'ACCEPT', req.term), nowMs))
  assert.equal(e.view.role, 'LEADER', 'expected the node to lead')
  return {ballot, out: merge(...outs)}
}

/**
 * Makes the node lead and completes its first heartbeat round (every peer answers SUCCESS), so its
 * live table is full. Returns the time the round was decided.
 */
export function electLeaderWithLivePeers(node: TestNode, nowMs: number): number {
  electLeader(node, nowMs)
  const round = node.e.tick(nowMs + 10)
  const hbs = sent(round, 'HeartBeatRequest')
  assert.ok(hbs.length > 0, 'expected a heartbeat round 10 ms after the election')
  for (const hb of hbs) node.e.receive(heartbeatResponse(hb, 'SUCCESS'), nowMs + 11)
  node.e.tick(nowMs + 21)
  return nowMs + 21
}

/** Delivers a heartbeat from `leader` at `term`; a fresh candidate becomes its follower. */
export function followLeader(node: TestNode, leader: NodeId, term: number, nowMs: number): StepOutput {
  const out = node.e.receive(heartbeat({from: leader, to: node.e.view.selfId, term}), nowMs)
  assert.equal(node.e.view.role, 'FOLLOWER', `expected ${node.e.view.selfId} to follow ${leader}`)
  return out
}

/**
 * A follower of `leader` whose maintainer has just run (it is asleep for tickMs): the node casts its
 * first ballot at `nowMs`, the other peers answer REJECT_ALREADY_VOTED (outcome 7), then the
 * leader's heartbeat makes it follower. Inputs at nowMs..nowMs+9 find the maintainer asleep.
 */
export function followerWithSleepingMaintainer(node: TestNode, leader: NodeId, term: number, nowMs: number): void {
  const ballot = sent(node.e.tick(nowMs), 'VoteRequest')
  for (const req of ballot) node.e.receive(voteResponse(req, 'REJECT_ALREADY_VOTED', term), nowMs)
  followLeader(node, leader, term, nowMs)
}

export function code(name: ResponseCodeName): number {
  return RESPONSE_CODES[name]
}

// ------------------------------------------------------------------ a tiny cluster

/** One step of one node, as the cluster recorded it. */
export interface Recorded {
  atMs: number
  node: NodeId
  out: StepOutput
}

/**
 * Real cores wired together in memory: every message is delivered at once (requests to remoteId,
 * responses back to localId), every node ticks every millisecond, each node draws from its own
 * seeded generator. Only for rule tests that need real peers; the simulator does the rest.
 */
export class MiniCluster {
  readonly nodes = new Map<NodeId, TestNode>()
  readonly log: Recorded[] = []
  now = 0
  private ticked = -1
  /** members whose inbound and outbound messages are dropped */
  readonly down = new Set<NodeId>()
  private readonly inbox: {to: NodeId; message: Message}[] = []

  constructor(n: number, opts: Omit<NodeOptions, 'selfId' | 'peers'> & {seed?: number} = {}) {
    const {seed = 1, ...rest} = opts
    const peers = peersOf(n)
    for (let i = 0; i < n; i++) {
      const id = `n${i}`
      this.nodes.set(id, makeNode({...rest, selfId: id, peers, fallbackRandom: seeded(seed * 1000 + i)}))
    }
  }

  node(id: NodeId): TestNode {
    const node = this.nodes.get(id)
    assert.ok(node, `no member ${id}`)
    return node
  }

  /** Records a step's output and queues its messages. */
  record(id: NodeId, out: StepOutput): StepOutput {
    this.log.push({atMs: this.now, node: id, out})
    for (const message of out.messages) {
      const to = isRequest(message) ? message.remoteId : message.localId
      if (this.nodes.has(to) && !this.down.has(to) && !this.down.has(id)) this.inbox.push({to, message})
    }
    return out
  }

  /** Runs a command on one node now (e.g. `(e, t) => e.revote(7, t)`), then delivers what follows. */
  command(id: NodeId, run: (e: Elector, nowMs: number) => StepOutput): StepOutput {
    const out = this.record(id, run(this.node(id).e, this.now))
    this.deliver()
    return out
  }

  /** Ticks every live node every millisecond after the last ticked one up to `untilMs`, delivering messages in between. */
  runUntil(untilMs: number): void {
    for (let t = this.ticked + 1; t <= untilMs; t++) {
      this.now = t
      for (const [id, node] of this.nodes) if (!this.down.has(id)) this.record(id, node.e.tick(t))
      this.deliver()
    }
    this.ticked = Math.max(this.ticked, untilMs)
  }

  /**
   * Like runUntil, but wakes each live node only at its nextDeadlineMs, as a driver that sleeps
   * until the core's next deadline does.
   */
  runUntilByDeadlines(untilMs: number): void {
    for (;;) {
      const live = [...this.nodes].filter(([id]) => !this.down.has(id))
      const t = Math.max(this.ticked + 1, Math.min(...live.map(([, n]) => n.e.nextDeadlineMs())))
      if (t > untilMs) break
      this.now = t
      for (const [id, node] of live) if (node.e.nextDeadlineMs() <= t) this.record(id, node.e.tick(t))
      this.deliver()
      this.ticked = t
    }
    this.now = untilMs
    this.ticked = Math.max(this.ticked, untilMs)
  }

  /** The recorded steps that produced anything, as comparable JSON lines. */
  transcript(): string[] {
    return this.log
      .filter((r) => r.out.persist !== null || r.out.messages.length > 0 || r.out.events.length > 0)
      .map((r) => JSON.stringify([r.atMs, r.node, r.out]))
  }

  private deliver(): void {
    for (let i = 0; this.inbox.length > 0; i++) {
      assert.ok(i < 100000, 'message storm')
      const {to, message} = this.inbox.shift() as {to: NodeId; message: Message}
      if (!this.down.has(to)) this.record(to, this.node(to).e.receive(message, this.now))
    }
  }

  leaders(): NodeId[] {
    return [...this.nodes].filter(([id, n]) => !this.down.has(id) && n.e.view.role === 'LEADER').map(([id]) => id)
  }

  /** The log entries since index `from`, flattened to events. */
  eventsSince(from: number): VoteLogEvent[] {
    return this.log.slice(from).flatMap((r) => r.out.events)
  }
}

