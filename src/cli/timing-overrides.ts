/**
 * The timing flags (their table, read by oclif through timing-flags.ts and by the light paths),
 * their values and the mapping to settings overrides, named exactly as in the spec's settings
 * table (spec §1). Only the flags the user gave become overrides, so a `--timing` preset (or a
 * profile) keeps the values that were not set explicitly; cross-field rules (min < max) are
 * checked by buildSettings. No oclif here: the light paths use it too.
 */
import {MAX_DURATION_MS} from '../core/limits.js'
import {parsePreferredLeaderIds, TIMING_PRESETS, type Timing} from '../core/settings.js'
import type {NodeId} from '../core/types.js'
import {integerFlag, stringFlag} from './flag-table.js'

const HELP_GROUP = 'TIMING'

/** A duration flag; the upper bound (a timer must hold it) is checked with the other settings, one line per problem. */
const ms = (description: string) => integerFlag({description: description.replace(' [default', ` (at most ${MAX_DURATION_MS}) [default`), min: 1, helpGroup: HELP_GROUP})

/** One flag per timing setting, plus `--timing PRESET` and `--preferred-leader`. */
export const timingFlagTable = {
  timing: stringFlag({
    description: 'timing preset (any case); the individual timing flags override it',
    helpValue: Object.keys(TIMING_PRESETS).join('|'),
    // not oclif's `options`: those compare case-sensitively, and `--timing FAST` means fast
    lowercaseOneOf: Object.keys(TIMING_PRESETS),
    helpGroup: HELP_GROUP,
  }),
  'heartbeat-ms': ms('leader heartbeat period [default: 2000]'),
  'max-heartbeat-leak': integerFlag({
    description: 'leader step-down = leak × heartbeat period; follower timeout = max(2, leak) × period [default: 3]',
    min: 1,
    helpGroup: HELP_GROUP,
  }),
  'min-vote-interval-ms': ms('shortest candidate retry delay [default: 300]'),
  'max-vote-interval-ms': ms('longest candidate retry delay (exclusive) [default: 1000]'),
  'min-take-leadership-ms': ms('shortest retry delay while taking leadership [default: 30]'),
  'max-take-leadership-ms': ms('longest retry delay while taking leadership (exclusive) [default: 100]'),
  'vote-timeout-ms': ms('base wait of one ballot [default: 2000]'),
  'rpc-timeout-ms': ms("one peer request's timeout [default: 3000]"),
  'preferred-leader': stringFlag({
    description: 'preferred leaders, ";"-separated in priority order (e.g. "n2" or "n2;n1")',
    helpGroup: HELP_GROUP,
  }),
}

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
