import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault heal`: no fault on any member. */
export default class FaultHeal extends FaultCommand<typeof FaultHeal> {
  static override summary = 'Remove every injected fault from every member'
  static override description = 'Partitions, cuts, loss and delay end on every member that answers; each writes the change to its vote log.'
  static override strict = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<FaultResult> {
    return this.applyOp(() => ({kind: 'heal'}))
  }
}
