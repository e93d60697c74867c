import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault partition "n0 | n1 n2"`: a symmetric partition between groups of members. */
export default class FaultPartition extends FaultCommand<typeof FaultPartition> {
  static override summary = 'Partition the members into groups that cannot reach each other'
  static override description = `Every member drops its peer traffic to and from the members of the other groups (its fault layer; status, metrics and admin requests still pass). Groups are separated by "|" (quote it in a shell), members by spaces or commas; "leader", "follower" and "followers" name members by their role now. A member in no group keeps talking to everyone. The partition adds to the faults in force and lasts until \`dledger fault heal\` or the member restarts; each member writes it to its vote log and \`dledger status\` shows it under FAULTS.`

  static override examples = [
    {description: 'Cut n0 off from n1 and n2', command: '<%= config.bin %> <%= command.id %> "n0 | n1 n2"'},
    {description: 'Put the leader in the minority of five', command: '<%= config.bin %> <%= command.id %> "leader n1 | n2 n3 n4"'},
  ]

  async run(): Promise<FaultResult> {
    return this.applyWords('partition')
  }
}
