/**
 * The simulated network: an event queue of in-flight messages ordered by (delivery time, send
 * sequence), a per-message delay drawn from a range, a loss probability, and the link state —
 * symmetric partitions, one-way cuts and one-way extra delays. It decides nothing about crashed members; the
 * simulation routes (a request to a crashed member is refused, see simulation.ts).
 */
import type {PushMessage} from '../core/push.js'
import type {Message, NodeId} from '../core/types.js'

/** What travels between simulated members: the election's messages and the ledger's pushes. */
export type SimMessage = Message | PushMessage

import type {Rng} from './random.js'

/** One message on its way. `refusal`: a NETWORK_ERROR made by the sender's own side. */
export interface InFlight {
  atMs: number
  seq: number
  from: NodeId
  to: NodeId
  message: SimMessage
  refusal: boolean
}

/** Why a message never arrived. */
export type DropReason = 'loss' | 'cut' | 'down'

export interface NetworkOptions {
  /** inclusive delay range per message, ms */
  delayMs: readonly [number, number]
  /** probability that a message is silently lost, [0, 1] */
  lossProbability: number
}

/** A binary min-heap of in-flight messages by (atMs, seq): the same order on every run. */
class Queue {
  private items: InFlight[] = []

  get size(): number {
    return this.items.length
  }

  peek(): InFlight | undefined {
    return this.items[0]
  }

  push(item: InFlight): void {
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(a[i], a[parent])) break
      ;[a[i], a[parent]] = [a[parent], a[i]]
      i = parent
    }
  }

  pop(): InFlight | undefined {
    const a = this.items
    if (a.length === 0) return undefined
    const top = a[0]
    const last = a.pop() as InFlight
    if (a.length > 0) {
      a[0] = last
      this.siftDown(0)
    }
    return top
  }

  /** Removes every item for which `drop` holds; returns them in queue order. */
  removeWhere(drop: (item: InFlight) => boolean): InFlight[] {
    const removed = this.items.filter(drop).sort((x, y) => (before(x, y) ? -1 : 1))
    if (removed.length === 0) return removed
    this.items = this.items.filter((item) => !drop(item))
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
    return removed
  }

  private siftDown(start: number): void {
    const a = this.items
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && before(a[l], a[m])) m = l
      if (r < a.length && before(a[r], a[m])) m = r
      if (m === i) return
      ;[a[i], a[m]] = [a[m], a[i]]
      i = m
    }
  }
}

function before(x: InFlight, y: InFlight): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq)
}

/** How much longer a late message takes: past the push timeout, so it arrives after later ones. */
export const LATE_MS: readonly [number, number] = [1000, 2500]

export class Network {
  lossProbability: number
  delayMs: readonly [number, number]
  /** probability that a message is held back LATE_MS longer, [0, 1] */
  lateProbability = 0
  private readonly rng: Rng
  /** its own stream: runs without late messages draw exactly what they drew before */
  private readonly lateRng: Rng
  private readonly queue = new Queue()
  private seq = 0
  /** from → the destinations it cannot reach */
  private readonly blocked = new Map<NodeId, Set<NodeId>>()
  private blockedLinks = 0
  /** from → to → the extra delay of every message on that link, ms */
  private readonly slowLinks = new Map<NodeId, Map<NodeId, number>>()

  constructor(rng: Rng, options: NetworkOptions, lateRng: Rng) {
    this.rng = rng
    this.lateRng = lateRng
    this.lossProbability = options.lossProbability
    this.delayMs = options.delayMs
  }

  // ---------------------------------------------------------------- links

  /** Whether messages from `from` to `to` are cut. */
  isCut(from: NodeId, to: NodeId): boolean {
    if (this.blockedLinks === 0) return false
    return this.blocked.get(from)?.has(to) === true
  }

  /** One-way cut: messages from each of `from` to each of `to` are lost. */
  cut(from: readonly NodeId[], to: readonly NodeId[]): void {
    forEachLink(from, to, (f, t) => {
      let set = this.blocked.get(f)
      if (set === undefined) {
        set = new Set()
        this.blocked.set(f, set)
      }
      if (!set.has(t)) {
        set.add(t)
        this.blockedLinks++
      }
    })
  }

  /** Symmetric cut between every two groups. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) if (i !== j) this.cut(groups[i], groups[j])
    }
  }

  /**
   * One-way delay: every message from each of `from` to each of `to` sent from now on takes
   * `extraMs` longer (0 ends it). A message sent before keeps its time, so a link that speeds up
   * again lets later messages overtake earlier ones, as the fault layer's `delay` does.
   */
  slowDown(from: readonly NodeId[], to: readonly NodeId[], extraMs: number): void {
    forEachLink(from, to, (f, t) => {
      let links = this.slowLinks.get(f)
      if (links === undefined) {
        links = new Map()
        this.slowLinks.set(f, links)
      }
      if (extraMs > 0) links.set(t, extraMs)
      else links.delete(t)
    })
  }

  /** The extra delay of the link from `from` to `to` (0: none). */
  extraDelay(from: NodeId, to: NodeId): number {
    return this.slowLinks.size === 0 ? 0 : (this.slowLinks.get(from)?.get(to) ?? 0)
  }

  /** Removes every cut, partition and link delay. */
  heal(): void {
    this.blocked.clear()
    this.blockedLinks = 0
    this.slowLinks.clear()
  }

  /** The directed cut links, sorted: for reports and tests. */
  cutLinks(): [NodeId, NodeId][] {
    const out: [NodeId, NodeId][] = []
    for (const [from, tos] of this.blocked) for (const to of tos) out.push([from, to])
    return out.sort((a, b) => (a[0] === b[0] ? cmp(a[1], b[1]) : cmp(a[0], b[0])))
  }

  // ---------------------------------------------------------------- messages

  /** One delay from the configured range. */
  drawDelay(): number {
    const [min, max] = this.delayMs
    return min === max ? min : this.rng.between(min, max)
  }

  /** The extra time of the next message: LATE_MS with the late probability, else 0 (draws only when it is > 0). */
  drawLate(): number {
    if (this.lateProbability === 0 || !this.lateRng.chance(this.lateProbability)) return 0
    return this.lateRng.between(LATE_MS[0], LATE_MS[1])
  }

  /** Whether the next message is lost (draws from the network stream only when loss > 0). */
  drawLoss(): boolean {
    return this.lossProbability > 0 && this.rng.chance(this.lossProbability)
  }

  /** Queues a message for delivery at `atMs`. */
  enqueue(atMs: number, from: NodeId, to: NodeId, message: SimMessage, refusal = false): InFlight {
    const item: InFlight = {atMs, seq: this.seq++, from, to, message, refusal}
    this.queue.push(item)
    return item
  }

  /** The delivery time of the next message, or +∞. */
  nextAtMs(): number {
    return this.queue.peek()?.atMs ?? Number.POSITIVE_INFINITY
  }

  pop(): InFlight | undefined {
    return this.queue.pop()
  }

  get inFlight(): number {
    return this.queue.size
  }

  /** Drops every message on its way to `id` (a crash loses the member's inbound queue). */
  dropInbound(id: NodeId): InFlight[] {
    return this.queue.removeWhere((item) => item.to === id)
  }
}

/** Calls `fn` for every link from one of `from` to another member of `to`. */
function forEachLink(from: readonly NodeId[], to: readonly NodeId[], fn: (from: NodeId, to: NodeId) => void): void {
  for (const f of from) for (const t of to) if (f !== t) fn(f, t)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
