/**
 * The timing flags' values (commands/…: `...timingFlags`) and their mapping to settings overrides.
 * Only the flags the user gave become overrides, so a `--timing` preset (or a profile) keeps the
 * values that were not set explicitly. No oclif here: the member's light path uses it too.
 */
import {parsePreferredLeaderIds, type Timing} from '../core/settings.js'
import type {NodeId} from '../core/types.js'

/** The parsed values of `timingFlags` (any command's flags object that spreads them fits). */
export interface TimingFlagValues {
  timing?: string
  'heartbeat-ms'?: number
  'max-heartbeat-leak'?: number
  'min-vote-interval-ms'?: number
  'max-vote-interval-ms'?: number
  'min-take-leadership-ms'?: number
  'max-take-leadership-ms'?: number
  'vote-timeout-ms'?: number
  'rpc-timeout-ms'?: number
  'preferred-leader'?: string
}

/** The settings overrides a set of timing flags asks for (a subset of buildSettings' input). */
export interface TimingOverrides extends Partial<Timing> {
  /** a preset name from TIMING_PRESETS */
  timing?: string
  preferredLeaderIds?: NodeId[]
}

/** flag name → settings key */
export const TIMING_FLAG_KEYS: Readonly<Record<Exclude<keyof TimingFlagValues, 'timing' | 'preferred-leader'>, keyof Timing>> = Object.freeze({
  'heartbeat-ms': 'heartbeatIntervalMs',
  'max-heartbeat-leak': 'maxHeartbeatLeak',
  'min-vote-interval-ms': 'minVoteIntervalMs',
  'max-vote-interval-ms': 'maxVoteIntervalMs',
  'min-take-leadership-ms': 'minTakeLeadershipVoteIntervalMs',
  'max-take-leadership-ms': 'maxTakeLeadershipVoteIntervalMs',
  'vote-timeout-ms': 'voteTimeoutMs',
  'rpc-timeout-ms': 'rpcTimeoutMs',
})

/** Maps the timing flags that were given to settings overrides; absent flags are left out. */
export function timingOverrides(flags: TimingFlagValues): TimingOverrides {
  const out: TimingOverrides = {}
  if (flags.timing !== undefined) out.timing = flags.timing
  for (const [flag, key] of Object.entries(TIMING_FLAG_KEYS) as [keyof typeof TIMING_FLAG_KEYS, keyof Timing][]) {
    const value = flags[flag]
    if (value !== undefined) out[key] = value
  }
  if (flags['preferred-leader'] !== undefined) out.preferredLeaderIds = parsePreferredLeaderIds(flags['preferred-leader'])
  return out
}
