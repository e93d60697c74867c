/**
 * The simulated cluster that a script, the swarm and the tests drive: launch, kill and restart,
 * pause, resume and clean stop, the network faults, and the commands an operator or a client
 * would send (client.ts), on the members and the one delivery path of delivery.ts. A crash drops
 * the core and every message on its way to it and keeps its durable record; a restart builds a
 * new core from that record with a fresh random stream.
 */
import type {Elector, ElectorView, MemberSnapshot, StepOutput} from '../core/elector.js'
import type {Settings} from '../core/settings.js'
import {isRequest, type Message, type NodeId, type Role} from '../core/types.js'

import type {Violation} from './checkers.js'
import {DeliveryPath} from './delivery.js'
import {SimulationError} from './sim-node.js'

export {CLIENT_ID, type MessageCounts, SimulationError} from './sim-node.js'

export class Cluster extends DeliveryPath {
  // ---------------------------------------------------------------- inspection

  get violations(): Violation[] {
    return this.checkers.violations
  }

  isAlive(id: NodeId): boolean {
    return this.node(id).elector !== null
  }

  /** A live member's status, or null when it is down. */
  member(id: NodeId): MemberSnapshot | null {
    return this.node(id).elector?.snapshot(this.now) ?? null
  }

  /** A live member's state (frozen), or null when it is down. */
  view(id: NodeId): ElectorView | null {
    return this.node(id).elector?.view ?? null
  }

  role(id: NodeId): Role | null {
    return this.node(id).role
  }

  /** A live member's term, or a down member's durable term. */
  term(id: NodeId): number {
    const n = this.node(id)
    return n.elector === null ? this.disk.read(id).currTerm : n.term
  }

  /** The settings a member was configured with. */
  settingsOf(id: NodeId): Settings {
    return this.node(id).settings
  }

  /** Live members with the given role. */
  withRole(role: Role, among: readonly NodeId[] = this.ids): NodeId[] {
    return among.filter((id) => this.role(id) === role)
  }

  /** The live member whose core is due first, and when. */
  nextCoreDeadline(): {atMs: number; id: NodeId | null} {
    let next: {atMs: number; id: NodeId | null} = {atMs: Number.POSITIVE_INFINITY, id: null}
    for (const n of this.nodes) if (n.deadlineMs < next.atMs) next = {atMs: n.deadlineMs, id: n.id}
    return next
  }

  // ---------------------------------------------------------------- the clock

  /** Ticks a member's core now. */
  tick(id: NodeId): void {
    const n = this.node(id)
    if (n.paused) {
      if (this.now >= n.resumeAtMs) this.resume([id])
      return
    }
    if (n.stopByMs !== null && n.elector !== null && (!n.elector.transferInProgress || this.now >= n.stopByMs)) {
      this.kill([id], 'stop')
      return
    }
    if (n.elector !== null) this.apply(n, n.elector.tick(this.now))
    if (n.replicator !== null && n.replicator.nextDeadlineMs() <= this.now) this.applyLedger(n, n.replicator.tick(this.now))
  }

  // ---------------------------------------------------------------- faults

  /** Crashes members: volatile state and inbound messages lost, durable record kept. */
  kill(ids: readonly NodeId[], cause = 'kill'): NodeId[] {
    const leader = this.leadingMember()
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null) continue
      n.elector = null
      n.replicator = null
      n.committedIndex = -1
      n.deadlineMs = Number.POSITIVE_INFINITY
      n.role = null
      n.paused = false
      n.held = []
      n.stopByMs = null
      done.push(id)
      const lost = this.network.dropInbound(id)
      for (const item of lost) this.drop(item.from, item.to, item.message, 'down')
      this.checkers.observe({kind: 'crash', node: id}, this.now)
      this.trace({kind: 'crash', node: id, cause, inboundDropped: lost.length})
    }
    if (leader !== null && done.includes(leader)) this.startFailover('kill', leader)
    this.refreshView()
    return done
  }

  /** Restarts crashed members from their durable records, each with a fresh random stream. */
  restart(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      if (this.isAlive(id)) continue
      this.launch(this.node(id))
      done.push(id)
    }
    this.refreshView()
    return done
  }

  /**
   * Pauses live members like SIGSTOP: each handles nothing, what reaches it waits, its timers wait.
   * With `forMs`, it resumes on its own that much later. Returns the members paused.
   */
  pause(ids: readonly NodeId[], forMs: number | null = null): NodeId[] {
    const leader = this.leadingMember()
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null || n.paused) continue
      n.paused = true
      n.resumeAtMs = forMs === null ? Number.POSITIVE_INFINITY : this.now + forMs
      n.deadlineMs = n.resumeAtMs
      done.push(id)
      this.trace({kind: 'pause', node: id, ...(forMs === null ? {} : {forMs})})
    }
    if (leader !== null && done.includes(leader)) this.startFailover('pause', leader)
    return done
  }

  /** Continues paused members: the late timers fire first, then what reached them is handled in order. */
  resume(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (!n.paused || n.elector === null) continue
      n.paused = false
      n.resumeAtMs = Number.POSITIVE_INFINITY
      const held = n.held
      n.held = []
      done.push(id)
      this.trace({kind: 'resume', node: id, held: held.length})
      this.apply(n, n.elector.tick(this.now))
      for (const m of held) {
        if (n.elector === null || n.paused) break
        this.messages.delivered++
        this.handle(n, m)
      }
    }
    return done
  }

  /**
   * Stops members cleanly (SIGTERM): a leader first hands leadership to its most caught-up
   * follower and goes down when the hand-off ends (at most the transfer deadline); the others go
   * down at once. Returns the members stopping.
   */
  stop(ids: readonly NodeId[]): NodeId[] {
    const done: NodeId[] = []
    for (const id of ids) {
      const n = this.node(id)
      if (n.elector === null || n.paused || n.stopByMs !== null) continue
      done.push(id)
      const target = n.role === 'LEADER' ? n.elector.mostCaughtUpFollower() : null
      if (target === null) {
        this.kill([id], 'stop')
        continue
      }
      n.stopByMs = this.now + n.settings.leadershipTransferTimeoutMs
      this.trace({kind: 'stop', node: id, handoffTo: target})
      this.apply(n, n.elector.transferLeadership(target, this.now))
    }
    return done
  }

  isPaused(id: NodeId): boolean {
    return this.node(id).paused
  }

  /** Symmetric cut between every two groups. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.network.partition(groups)
    this.trace({kind: 'partition', groups: groups.map((g) => [...g])})
  }

  /** One-way cut: messages from `from` to `to` are lost. */
  cut(from: readonly NodeId[], to: readonly NodeId[]): void {
    this.network.cut(from, to)
    this.trace({kind: 'cut', from: [...from], to: [...to]})
  }

  /** One-way delay: messages from `from` to `to` sent from now on take `extraMs` longer (0: back to normal). */
  delay(from: readonly NodeId[], to: readonly NodeId[], extraMs: number): void {
    this.network.slowDown(from, to, extraMs)
    this.trace({kind: 'delay', from: [...from], to: [...to], extraMs})
  }

  /** Cuts members off from every other member, both ways. */
  isolate(ids: readonly NodeId[]): void {
    if (ids.length === 0) return
    const leader = this.leadingMember()
    const others = this.ids.filter((id) => !ids.includes(id))
    for (const id of ids) this.network.partition([[id], this.ids.filter((o) => o !== id)])
    this.trace({kind: 'isolate', nodes: [...ids], others})
    if (leader !== null && ids.includes(leader)) this.startFailover('isolate', leader)
  }

  heal(): void {
    this.network.heal()
    this.trace({kind: 'heal'})
  }

  setLate(probability: number): void {
    this.network.lateProbability = probability
    this.trace({kind: 'late', probability})
  }

  setLoss(probability: number): void {
    this.network.lossProbability = probability
    this.trace({kind: 'loss', probability})
  }

  // ---------------------------------------------------------------- commands

  /** Forces `id` to campaign for the next term now (DLedger's testRevote; client.ts); null if `id` is down. */
  elect(id: NodeId): number | null {
    return this.client.elect(id)
  }

  /** Asks the current leader to hand leadership to `transfereeId` (client.ts); the leader asked, or null. */
  transfer(transfereeId: NodeId, line = 0): NodeId | null {
    return this.client.transfer(transfereeId, line)
  }

  /** A client appends `count` entries at the current leader (client.ts); the leader asked, or null. */
  append(count: number, line = 0): NodeId | null {
    return this.client.append(count, line)
  }

  /** A live member's ledger (for tests and reports): entries and committed index, or null when down. */
  ledger(id: NodeId): {entries: {index: number; term: number; body: string}[]; committedIndex: number} | null {
    const r = this.node(id).replicator
    return r === null ? null : {entries: r.entries(), committedIndex: r.committedIndex}
  }

  /**
   * Delivers `message` straight to member `id` (no network) and returns the responses to it,
   * which are not sent on; everything else the step produced goes out as usual. For tests that
   * call a member's handlers as DLedger's protocol tests do.
   */
  inject(id: NodeId, message: Message): Message[] {
    const e = this.live(id)
    const out = e.receive(message, this.now)
    const answers = out.messages.filter((m) => !isRequest(m) && m.reqId === message.reqId)
    this.apply(this.node(id), {...out, messages: out.messages.filter((m) => !answers.includes(m))})
    return answers
  }

  /** Runs one command step on a live member's core (e.g. `e.setLedgerEnd(…)`) through the delivery path. */
  command(id: NodeId, body: (e: Elector, nowMs: number) => StepOutput): void {
    this.apply(this.node(id), body(this.live(id), this.now))
  }

  // ---------------------------------------------------------------- internals

  private live(id: NodeId): Elector {
    const e = this.node(id).elector
    if (e === null) throw new SimulationError(`${id} is down`)
    return e
  }

  /** The last heartbeat of `leader` that one of its followers accepted, then the failover opens. */
  private startFailover(cause: 'kill' | 'isolate' | 'pause', leader: NodeId): void {
    let lastHeartbeatAtMs: number | null = null
    for (const n of this.nodes) {
      const m = n.elector?.snapshot(this.now)
      if (m === undefined || m.role !== 'FOLLOWER' || m.leaderId !== leader || m.lastHeartbeatAgoMs === null) continue
      const at = this.now - m.lastHeartbeatAgoMs
      if (lastHeartbeatAtMs === null || at > lastHeartbeatAtMs) lastHeartbeatAtMs = at
    }
    this.observer.startFailover(cause, leader, lastHeartbeatAtMs, this.now)
  }
}
