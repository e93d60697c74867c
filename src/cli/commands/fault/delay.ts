import {Args, Flags} from '@oclif/core'

import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault delay 20-80ms [--node ID]`: an added delay on every peer message. */
export default class FaultDelay extends FaultCommand<typeof FaultDelay> {
  static override summary = 'Delay every peer message by a random time in a range'
  static override description = `Every message a member sends to a peer waits a uniform random time in MIN-MAX first (delayed messages may overtake each other, as on a real network), on every member or only on --node. \`fault delay 0\` ends it; \`dledger fault heal\` ends every fault.`

  static override strict = true
  static override args = {range: Args.string({description: 'MIN-MAX with a unit (20-80ms, 0.1-0.3s), one value (50ms), or 0 for none', required: true})}
  static override flags = {node: Flags.string({description: 'only this member delays what it sends (ids joined by ","); default: every member'})}

  static override examples = [
    {description: 'A slow network', command: '<%= config.bin %> <%= command.id %> 20-80ms'},
    {description: 'Only n2 is far away', command: '<%= config.bin %> <%= command.id %> 150ms --node n2'},
  ]

  async run(): Promise<FaultResult> {
    const {nodesFlag, parseDelay} = await import('../../faults.js')
    const {UsageError} = await import('../../errors.js')
    let delayMs: [number, number] | null
    try {
      delayMs = parseDelay(this.args.range)
    } catch (error) {
      throw new UsageError((error as Error).message, {code: 'INVALID_ARGUMENT'})
    }
    return this.applyOp(async (_status, ids) => ({kind: 'delay', delayMs, nodes: await nodesFlag(this.flags.node, ids)}))
  }
}
