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
import {TIMING_PRESETS} from '../core/settings.js'

// the mapping to settings lives apart from the flag definitions, so the member's light path
// (member-main.ts) uses it without loading oclif
export {TIMING_FLAG_KEYS, timingOverrides, type TimingFlagValues, type TimingOverrides} from './timing-overrides.js'

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
