import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import Down from './down.js'

/** `dledger restart n1`: `down --id n1`, then `up --id n1`. */
export default class Restart extends BaseCommand<typeof Restart> {
  static override summary = 'Stop one member cleanly and start it again in the background'
  static override description = `Does \`dledger down --id ID\` (a leader first hands leadership to its most caught-up live follower, unless --no-handoff), then \`dledger up --id ID\`: the member starts again from the profile, with its term and vote kept in its data directory, and the command waits until it follows the leader. A member that is not running is just started. Each step prints what it did; the exit code is the first failing step's.`

  static override examples = [
    {description: 'A planned restart of n1 (no election timeout is paid when it leads)', command: '<%= config.bin %> <%= command.id %> n1'},
    {description: 'Restart the leader the hard way, to watch an election', command: '<%= config.bin %> <%= command.id %> n0 --no-handoff'},
  ]

  static override args = {
    id: Args.string({description: 'the member to restart', required: true}),
  }

  static override flags = {
    timeout: Down.flags.timeout,
    handoff: Down.flags.handoff,
    wait: Flags.integer({description: 'milliseconds to wait for the member to follow a leader again', default: 15000, min: 0}),
  }

  async run(): Promise<void> {
    const {id} = this.args
    const flags = this.flags
    // only the home: `down` takes no token, and a token on `up`'s command line reads as
    // reshaping the cluster; both find it where this command did (the profile, DLEDGER_TOKEN)
    const shared = flags.home ? ['--home', flags.home] : []
    await this.config.runCommand('down', ['--id', id, '--timeout', String(flags.timeout), ...(flags.handoff ? [] : ['--no-handoff']), ...shared])
    await this.config.runCommand('up', ['--id', id, '--wait', String(flags.wait), ...shared])
  }
}
