/**
 * The election timing flags shared by `start`, `up` and `sim`, named exactly as in the spec's
 * settings table (spec §1), and the mapping from parsed flags to settings overrides.
 *
 * Usage in a command:
 *   static override flags = {...timingFlags, ...}
 *   const settings = buildSettings({selfId, peers, ...timingOverrides(this.flags)})
 * Only the flags the user gave become overrides, so a `--timing` preset (or a profile) keeps the
 * values that were not set explicitly; cross-field rules (min < max) are checked by buildSettings.
 */
import {Flags} from '@oclif/core'

import {MAX_DURATION_MS} from '../core/limits.js'
import {parsePreferredLeaderIds, TIMING_PRESETS, type Timing} from '../core/settings.js'
import type {NodeId} from '../core/types.js'

const HELP_GROUP = 'TIMING'

/** A duration flag; the upper bound (a timer must hold it) is checked with the other settings, one line per problem. */
const ms = (description: string) => Flags.integer({description: description.replace(' [default', ` (at most ${MAX_DURATION_MS}) [default`), min: 1, helpGroup: HELP_GROUP})

/** One flag per timing setting, plus `--timing PRESET` and `--preferred-leader`. */
export const timingFlags = {
  timing: Flags.string({
    description: 'timing preset (any case); the individual timing flags override it',
    helpValue: Object.keys(TIMING_PRESETS).join('|'),
    // not `options`: oclif compares those case-sensitively, and `--timing FAST` means fast
    parse: async (input) => {
      const name = input.toLowerCase()
      if (!Object.hasOwn(TIMING_PRESETS, name)) throw new Error(`Expected --timing=${input} to be one of: ${Object.keys(TIMING_PRESETS).join(', ')}`)
      return name
    },
    helpGroup: HELP_GROUP,
  }),
  'heartbeat-ms': ms('leader heartbeat period [default: 2000]'),
  'max-heartbeat-leak': Flags.integer({
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
  'preferred-leader': Flags.string({
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
const TIMING_FLAG_KEYS: Readonly<Record<Exclude<keyof TimingFlagValues, 'timing' | 'preferred-leader'>, keyof Timing>> = Object.freeze({
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
