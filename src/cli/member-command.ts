/**
 * The base of every command that talks to running members (`status`, `leader`, `health`, `elect`,
 * `transfer-leader`, `logs`, `timeline`, `ui`, `preferred …`): the home and the cluster it names
 * (the profile, or --peers), the hidden probe-timeout flag, and the "members prefer X" warning.
 * Heavy modules stay behind `await import()`, as in BaseCommand.
 */
import {type Command, Flags} from '@oclif/core'

import {BaseCommand} from './base-command.js'
import type {ClusterStatus} from './cluster-client.js'
import type {DledgerPaths} from './paths.js'
import type {ResolvedCluster} from './profile.js'

/** `--timeout` of the commands that ask each member once: the per-member answer deadline. */
export function answerTimeoutFlag(defaultMs = 500) {
  return Flags.integer({description: "milliseconds to wait for each member's answer", default: defaultMs, min: 1})
}

/** `--probe-timeout`: the per-member status deadline of the commands that also have a whole-operation --timeout. */
export function probeTimeoutFlag() {
  return Flags.integer({description: "milliseconds to wait for each member's status answer", default: 500, min: 1, hidden: true})
}

/** Base class: `export default class Status extends MemberCommand<typeof Status> { … }`. */
export abstract class MemberCommand<T extends typeof Command> extends BaseCommand<T> {
  /** The home's paths (--home, DLEDGER_HOME or the default). */
  protected async paths(): Promise<DledgerPaths> {
    const {resolvePaths} = await import('./paths.js')
    return resolvePaths(this.flags.home, this.config)
  }

  /** The cluster to talk to: --peers wins over the profile in the home; a UsageError with neither. */
  protected async cluster(paths?: DledgerPaths): Promise<ResolvedCluster> {
    const {resolveCluster} = await import('./profile.js')
    return resolveCluster(this.flags, paths ?? (await this.paths()))
  }

  /**
   * Warns (stderr, human output only) when the members prefer another leader than `leaderId`:
   * while it is live and caught up, the leader hands leadership back there (checkPreferredLeader).
   * `advice` follows in parentheses.
   */
  protected async warnPreferredElsewhere(status: ClusterStatus, leaderId: string, advice?: string): Promise<void> {
    if (this.jsonEnabled()) return
    const {preferredElsewhere} = await import('./leadership.js')
    const {warn} = await import('./output.js')
    const others = preferredElsewhere(status, leaderId)
    if (others.length > 0)
      warn(`the members prefer ${others.join(' / ')} as leader: while it is live and caught up, leadership moves back there within about a second${advice ? ` (${advice})` : ''}`)
  }
}
