import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault cut "n1 -> n0"`: a one-way cut. */
export default class FaultCut extends FaultCommand<typeof FaultCut> {
  static override summary = 'Cut one way: drop what some members send to others'
  static override description = `Everything FROM sends TO over peer traffic is dropped (both members' fault layers drop it); the other direction still works. Quote the arrow in a shell (">" redirects). Targets are ids (n0,n1), "leader", "follower" or "followers". Lasts until \`dledger fault heal\` or a restart.`

  static override examples = [
    {description: 'n1 can no longer reach n0; n0 still reaches n1', command: '<%= config.bin %> <%= command.id %> "n1 -> n0"'},
    {description: "The leader's messages to its followers are lost", command: '<%= config.bin %> <%= command.id %> "leader -> followers"'},
  ]

  async run(): Promise<FaultResult> {
    return this.applyWords('cut')
  }
}
