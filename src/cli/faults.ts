/**
 * Network faults on a running cluster (issue 10, item 2): the one workflow behind `dledger fault …`
 * and the network lines of `dledger test`. It reads every member's faults (the `faults` admin op),
 * works out each member's new fault state from an operation in the simulator's words, and sets it.
 *
 * A partition or cut is set on BOTH sides (the sender drops, the receiver drops), so it holds
 * even when one side misses the request.
 */
import type {NodeId} from '../core/types.js'
import type {Action, Target} from '../sim/script.js'
import {describeFaults, type FaultState} from '../wire/faults.js'
import type {ClusterStatus} from '../wire/status.js'
import type {MemberClientOptions} from './member-client.js'
import type {ResolvedCluster} from './profile.js'

export {describeFaults, type FaultState} from '../wire/faults.js'

/** A fault operation, in the simulator's words. `nodes` null: every member. */
export type FaultOp =
  | {kind: 'partition'; groups: NodeId[][]}
  | {kind: 'cut'; from: NodeId[]; to: NodeId[]}
  | {kind: 'isolate'; ids: NodeId[]}
  | {kind: 'loss'; probability: number; nodes: NodeId[] | null}
  | {kind: 'delay'; delayMs: [number, number] | null; nodes: NodeId[] | null}
  /** `links`: only the partitions and cuts (the simulator's `heal`); else every fault */
  | {kind: 'heal'; links?: boolean}

/** One member's faults as `fault list` shows them; `error` when it did not answer. */
export interface MemberFaults {
  id: NodeId
  address: string
  faults: FaultState | null
  error: string | null
}

const none = (): FaultState => ({dropTo: [], dropFrom: [], loss: 0, delayMs: null})

/** Each member's fault state after `op`, from the current ones (a member missing from `current` has none). */
export function planFaults(op: FaultOp, ids: readonly NodeId[], current: ReadonlyMap<NodeId, FaultState | null>): Map<NodeId, FaultState> {
  const next = new Map<NodeId, FaultState>()
  for (const id of ids) {
    const c = current.get(id) ?? none()
    next.set(id, {dropTo: [...c.dropTo], dropFrom: [...c.dropFrom], loss: c.loss, delayMs: c.delayMs})
  }
  const block = (from: NodeId, to: NodeId) => {
    if (from === to) return
    next.get(from)?.dropTo.push(to)
    next.get(to)?.dropFrom.push(from)
  }
  const pick = (nodes: NodeId[] | null) => (nodes ?? ids).map((id) => next.get(id)).filter((s) => s !== undefined)
  switch (op.kind) {
    case 'partition':
      for (const [i, g] of op.groups.entries()) for (const [j, h] of op.groups.entries()) if (i !== j) for (const a of g) for (const b of h) block(a, b)
      break
    case 'cut':
      for (const a of op.from) for (const b of op.to) block(a, b)
      break
    case 'isolate':
      for (const a of op.ids)
        for (const b of ids) {
          block(a, b)
          block(b, a)
        }
      break
    case 'loss':
      for (const s of pick(op.nodes)) s.loss = op.probability
      break
    case 'delay':
      for (const s of pick(op.nodes)) s.delayMs = op.delayMs
      break
    case 'heal':
      for (const [id, s] of next) next.set(id, op.links === true ? {...s, dropTo: [], dropFrom: []} : none())
      break
    default: {
      const never: never = op
      throw new Error(`unknown fault operation ${JSON.stringify(never)}`)
    }
  }
  for (const s of next.values()) {
    s.dropTo = [...new Set(s.dropTo)].sort()
    s.dropFrom = [...new Set(s.dropFrom)].sort()
  }
  return next
}

/** What a fault operation says, for the line the command prints. */
export function describeOp(op: FaultOp): string {
  const on = (nodes: NodeId[] | null) => (nodes === null ? 'every member' : nodes.join(', '))
  switch (op.kind) {
    case 'partition':
      return `partition ${op.groups.map((g) => g.join(' ')).join(' | ')}`
    case 'cut':
      return `cut ${op.from.join(' ')} -> ${op.to.join(' ')}`
    case 'isolate':
      return `isolate ${op.ids.join(' ')}`
    case 'loss':
      return `loss ${op.probability} on ${on(op.nodes)}`
    case 'delay':
      return op.delayMs === null ? `no delay on ${on(op.nodes)}` : `delay ${op.delayMs[0]}-${op.delayMs[1]}ms on ${on(op.nodes)}`
    case 'heal':
      return op.links === true ? 'heal the partitions and cuts' : 'heal every fault'
  }
}

/** Parses a delay like `20-80ms`, `50ms`, `0.1-0.3s` or `0` (none) into an inclusive range in ms. */
export function parseDelay(text: string): [number, number] | null {
  const t = text.trim()
  if (t === '0' || t === 'none') return null
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(ms|s)$/.exec(t)
  if (m === null) throw new Error(`invalid delay "${text}" (expected MIN-MAX with a unit, e.g. 20-80ms, or one value like 50ms)`)
  const unit = m[3] === 's' ? 1000 : 1
  const lo = Math.round(Number(m[1]) * unit)
  const hi = Math.round(Number(m[2] ?? m[1]) * unit)
  if (lo > hi) throw new Error(`invalid delay "${text}": the smaller value comes first (e.g. 20-80ms)`)
  if (hi > 60_000) throw new Error(`invalid delay "${text}": at most 60s`)
  return hi === 0 ? null : [lo, hi]
}

/** The members `leader`, `follower(s)` or ids name in the cluster status (the script's words on real members). */
export function resolveTargetIds(target: Target, status: ClusterStatus): NodeId[] {
  const live = status.members.filter((m) => m.reachable)
  switch (target.kind) {
    case 'ids':
      return [...target.ids]
    case 'leader':
      return status.leaderId === null ? [] : [status.leaderId]
    case 'followers':
      return live.filter((m) => m.id !== status.leaderId).map((m) => m.id)
    case 'follower':
      return live.filter((m) => m.id !== status.leaderId).slice(0, 1).map((m) => m.id)
    case 'killed':
      return status.members.filter((m) => !m.reachable).map((m) => m.id)
  }
}

interface Clients {
  cluster: Pick<ResolvedCluster, 'peers' | 'token' | 'group'>
  /** per admin request; a paused member never answers (default 1000 ms) */
  timeoutMs?: number
}

function clientOptions(c: Clients): MemberClientOptions {
  const timeoutMs = c.timeoutMs ?? 1000
  return {token: c.cluster.token, group: c.cluster.group ?? undefined, connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs}
}

/** Every member's faults (the `faults` admin op), asked at once. */
export async function readFaults(c: Clients): Promise<MemberFaults[]> {
  const {adminRequest} = await import('./member-client.js')
  const opts = clientOptions(c)
  return Promise.all(
    c.cluster.peers.map(async (p): Promise<MemberFaults> => {
      try {
        const r = await adminRequest(p, {op: 'faults'}, opts)
        if (!r.ok) return {id: p.id, address: p.address, faults: null, error: `${r.code ?? 'ERROR'}: ${r.error ?? 'refused'}`}
        return {id: p.id, address: p.address, faults: (r.result as {faults: FaultState | null}).faults, error: null}
      } catch (error) {
        return {id: p.id, address: p.address, faults: null, error: error instanceof Error ? error.message : String(error)}
      }
    }),
  )
}

/** Applies `op`: reads the members' faults, plans the new ones and sets them on every member that answered. */
export async function applyFaults(c: Clients, op: FaultOp): Promise<MemberFaults[]> {
  const {adminRequest} = await import('./member-client.js')
  const opts = clientOptions(c)
  const before = await readFaults(c)
  const plan = planFaults(
    op,
    c.cluster.peers.map((p) => p.id),
    new Map(before.filter((m) => m.error === null).map((m) => [m.id, m.faults])),
  )
  return Promise.all(
    before.map(async (m): Promise<MemberFaults> => {
      if (m.error !== null) return m
      try {
        const r = await adminRequest(c.cluster.peers.find((p) => p.id === m.id)!, {op: 'faults', set: plan.get(m.id)!}, opts)
        if (!r.ok) return {...m, error: `${r.code ?? 'ERROR'}: ${r.error ?? 'refused'}`}
        return {...m, faults: (r.result as {faults: FaultState | null}).faults}
      } catch (error) {
        return {...m, error: error instanceof Error ? error.message : String(error)}
      }
    }),
  )
}

/** One line per member: `n0  127.0.0.1:20911  cut off n1,n2` (or the reason it did not answer). */
export function renderFaults(members: readonly MemberFaults[]): string {
  const w = Math.max(...members.map((m) => m.id.length))
  const a = Math.max(...members.map((m) => m.address.length))
  return members.map((m) => `${m.id.padEnd(w)}  ${m.address.padEnd(a)}  ${m.error === null ? describeFaults(m.faults) : `unreachable: ${m.error}`}`).join('\n')
}

/**
 * The fault operation of a network line of the simulator's script language (partition, cut,
 * isolate, heal, loss), its targets resolved against the cluster's status now; null for other lines.
 */
export function faultOpOf(action: Action, status: ClusterStatus): FaultOp | null {
  const ids = (t: Target) => resolveTargetIds(t, status)
  switch (action.type) {
    case 'partition': {
      // as in the simulator: a member named in two groups after resolution stays in the first
      const seen = new Set<NodeId>()
      return {kind: 'partition', groups: action.groups.map((g) => ids(g).filter((id) => (seen.has(id) ? false : (seen.add(id), true))))}
    }
    case 'cut':
      return {kind: 'cut', from: ids(action.from), to: ids(action.to)}
    case 'isolate':
      return {kind: 'isolate', ids: ids(action.targets)}
    case 'heal':
      return {kind: 'heal', links: true}
    case 'loss':
      return {kind: 'loss', probability: action.probability, nodes: null}
    default:
      return null
  }
}

/**
 * Parses `partition n0 | n1 n2`, `cut n1 -> n0`, `isolate leader` or `loss 0.2` with the
 * simulator's own parser (one language); throws a UsageError naming the problem.
 */
export async function parseFaultWords(verb: 'partition' | 'cut' | 'isolate' | 'loss', words: string, memberIds: readonly NodeId[]): Promise<Action> {
  const {parseScript, ScriptError} = await import('../sim/script.js')
  const {UsageError} = await import('./errors.js')
  try {
    return parseScript(`at 0ms ${verb} ${words}`, memberIds).lines[0].action
  } catch (error) {
    if (error instanceof ScriptError) throw new UsageError(error.reason, {code: 'INVALID_ARGUMENT'})
    throw error
  }
}

/** `--node n1,n2` as member ids (null: every member); an unknown id is a usage error. */
export async function nodesFlag(flag: string | undefined, memberIds: readonly NodeId[]): Promise<NodeId[] | null> {
  if (flag === undefined) return null
  const ids = flag.split(/[,;\s]+/).filter((w) => w !== '')
  const unknown = ids.filter((id) => !memberIds.includes(id))
  if (unknown.length > 0 || ids.length === 0) {
    const {UsageError} = await import('./errors.js')
    throw new UsageError(`--node: unknown member ${unknown.join(', ') || '(none given)'} (members: ${memberIds.join(', ')})`, {code: 'UNKNOWN_MEMBER'})
  }
  return ids
}
