/**
 * The shared part of `dledger fault …`: find the cluster, ask the status once (targets like
 * `leader` are resolved against it), apply one fault operation on every member, print each
 * member's faults. Exit 1 when no member took it; members that did not answer are named.
 */
import type {Command} from '@oclif/core'

import type {NodeId} from '../core/types.js'
import type {ClusterStatus} from '../wire/status.js'
import {BaseCommand} from './base-command.js'
import {OperationError} from './errors.js'
import type {FaultOp, MemberFaults} from './faults.js'

/** What every `fault` command prints with --json. */
export interface FaultResult {
  /** the operation, in words (`partition n0 | n1 n2`); null for `fault list` */
  operation: string | null
  members: MemberFaults[]
}

export abstract class FaultCommand<T extends typeof Command> extends BaseCommand<T> {
  static override enableJsonFlag = true
  /** the words after the subcommand (`n0 | n1 n2`): quoted or not, they are joined with spaces */
  static override strict = false

  /** The positional words, joined (`|` and `->` need quotes in a shell: `"n0 | n1 n2"`). */
  protected async words(): Promise<string> {
    const {argv} = await this.parse({flags: this.ctor.flags, baseFlags: (BaseCommand as typeof Command).baseFlags, enableJsonFlag: true, args: this.ctor.args, strict: false})
    return (argv as string[]).join(' ').trim()
  }

  /** Applies the operation `build` makes from the cluster's status and member ids. */
  protected async applyOp(build: (status: ClusterStatus, ids: NodeId[]) => Promise<FaultOp> | FaultOp): Promise<FaultResult> {
    const {resolvePaths} = await import('./paths.js')
    const {resolveCluster} = await import('./profile.js')
    const {fetchClusterStatus} = await import('./cluster-client.js')
    const {applyFaults, describeOp, renderFaults} = await import('./faults.js')
    const cluster = await resolveCluster(this.flags as {peers?: string; token?: string}, resolvePaths((this.flags as {home?: string}).home, this.config))
    const status = await fetchClusterStatus(cluster, {timeoutMs: 500})
    const op = await build(
      status,
      cluster.peers.map((p) => p.id),
    )
    const members = await applyFaults({cluster}, op)
    const result: FaultResult = {operation: describeOp(op), members}
    this.finish(result, renderFaults)
    return result
  }

  /** Applies a network line in the simulator's words (`partition n0 | n1 n2`), its targets resolved now. */
  protected async applyWords(verb: 'partition' | 'cut' | 'isolate'): Promise<FaultResult> {
    const {faultOpOf, parseFaultWords} = await import('./faults.js')
    const words = await this.words()
    return this.applyOp(async (status, ids) => faultOpOf(await parseFaultWords(verb, words, ids), status)!)
  }

  /** Prints the result (not with --json) and fails when no member answered. */
  protected finish(result: FaultResult, render: (m: MemberFaults[]) => string): void {
    if (!this.jsonEnabled()) {
      if (result.operation !== null) this.log(result.operation)
      this.log(render(result.members))
    }
    if (result.members.every((m) => m.error !== null))
      throw new OperationError(`no member answered (${result.members.map((m) => `${m.id}: ${m.error}`).join('; ')})`, {
        code: 'UNREACHABLE',
        hint: 'is the cluster running? `dledger status` shows each member',
      })
  }
}
