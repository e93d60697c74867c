/**
 * The base of every command that talks to running members (`status`, `leader`, `health`, `elect`,
 * `transfer-leader`, `logs`, `timeline`, `ui`, `preferred …`): the home and the cluster it names
 * (the profile, or --peers), the hidden probe-timeout flag, and the "members prefer X" warning.
 * The logic lives in command-context.ts, shared with the light path; heavy modules stay behind
 * `await import()`, as in BaseCommand.
 */
import type {Command} from '@oclif/core'

import {BaseCommand} from './base-command.js'
import type {ClusterStatus} from './cluster-client.js'
import * as shared from './command-context.js'
import {oclifFlag} from './oclif-flags.js'
import type {DledgerPaths} from './paths.js'
import type {ResolvedCluster} from './profile.js'

/** `--timeout` of the commands that ask each member once: the per-member answer deadline. */
export const answerTimeoutFlag = (defaultMs = 500) => oclifFlag('timeout', shared.answerTimeoutFlag(defaultMs))

/** `--probe-timeout`: the per-member status deadline of the commands that also have a whole-operation --timeout. */
export const probeTimeoutFlag = () => oclifFlag('probe-timeout', shared.probeTimeoutFlag())

/** Base class: `export default class Status extends MemberCommand<typeof Status> { … }`. */
export abstract class MemberCommand<T extends typeof Command> extends BaseCommand<T> {
  /** The home's paths (--home, DLEDGER_HOME or the default). */
  protected async paths(): Promise<DledgerPaths> {
    return shared.commandPaths(this.context(), this.flags)
  }

  /** The cluster to talk to: --peers wins over the profile in the home; a UsageError with neither. */
  protected async cluster(paths?: DledgerPaths): Promise<ResolvedCluster> {
    return shared.commandCluster(this.context(), this.flags, paths)
  }

  /** Warns (stderr, human output only) when the members prefer another leader than `leaderId` (command-context.ts). */
  protected async warnPreferredElsewhere(status: ClusterStatus, leaderId: string, advice?: string): Promise<void> {
    return shared.warnPreferredElsewhere(this.context(), status, leaderId, advice)
  }
}
