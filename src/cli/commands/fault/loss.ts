import {Args, Flags} from '@oclif/core'

import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault loss 0.2 [--node ID]`: each peer message is lost with a probability. */
export default class FaultLoss extends FaultCommand<typeof FaultLoss> {
  static override summary = 'Lose each peer message with a probability'
  static override description = `Every message a member sends to a peer is dropped with probability P (0 to 1, or a percentage like 20%), on every member or only on --node. \`fault loss 0\` ends it; \`dledger fault heal\` ends every fault.`

  static override strict = true
  static override args = {probability: Args.string({description: 'between 0 and 1, or a percentage (20%)', required: true})}
  static override flags = {node: Flags.string({description: 'only this member sends with loss (ids joined by ","); default: every member'})}

  static override examples = [
    {description: 'Lose one message in five everywhere', command: '<%= config.bin %> <%= command.id %> 0.2'},
    {description: 'Only n1 is on a bad link', command: '<%= config.bin %> <%= command.id %> 30% --node n1'},
  ]

  async run(): Promise<FaultResult> {
    const {nodesFlag, parseFaultWords} = await import('../../faults.js')
    return this.applyOp(async (_status, ids) => {
      const action = await parseFaultWords('loss', this.args.probability, ids)
      return {kind: 'loss', probability: action.type === 'loss' ? action.probability : 0, nodes: await nodesFlag(this.flags.node, ids)}
    })
  }
}
