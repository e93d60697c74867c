/**
 * The election timing flags shared by `start`, `up` and `sim`, as oclif flags: built from the one
 * table in timing-overrides.ts, which the light paths read without oclif.
 *
 * Usage in a command:
 *   static override flags = {...timingFlags, ...}
 *   const settings = buildSettings({selfId, peers, ...timingOverrides(this.flags)})
 */
import {oclifFlags} from './oclif-flags.js'
import {timingFlagTable} from './timing-overrides.js'

export {TIMING_FLAG_KEYS, timingFlagTable, timingOverrides, type TimingFlagValues, type TimingOverrides} from './timing-overrides.js'

/** One flag per timing setting, plus `--timing PRESET` and `--preferred-leader`. */
export const timingFlags = oclifFlags(timingFlagTable)
