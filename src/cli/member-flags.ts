/** Flags that describe how a member runs, shared by `start` (one member) and `up` (every member). No oclif here: the light paths read it. */
import {stringFlag} from './flag-table.js'

export const memberFlagTable = {
  /** `--on-role-change CMD`: a hook run on every role change (src/node/role-hook.ts). */
  'on-role-change': stringFlag({
    description:
      'command run through /bin/sh on every role change, with DLEDGER_ROLE, DLEDGER_TERM, DLEDGER_LEADER, DLEDGER_ID, DLEDGER_PREVIOUS_ROLE, DLEDGER_GROUP and DLEDGER_REASON set (one at a time, newest change only, killed after 10 s)',
  }),
}
