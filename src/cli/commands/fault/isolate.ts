import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault isolate n2`: members cut off from every other member, both ways. */
export default class FaultIsolate extends FaultCommand<typeof FaultIsolate> {
  static override summary = 'Cut members off from every other member, both ways'
  static override description = `Each member named drops all peer traffic to and from every other member, and they drop its traffic. Targets are ids (n0,n1), "leader", "follower" or "followers". Lasts until \`dledger fault heal\` or a restart.`

  static override examples = [
    {description: 'Isolate n2', command: '<%= config.bin %> <%= command.id %> n2'},
    {description: 'Isolate whoever leads now', command: '<%= config.bin %> <%= command.id %> leader'},
  ]

  async run(): Promise<FaultResult> {
    return this.applyWords('isolate')
  }
}
