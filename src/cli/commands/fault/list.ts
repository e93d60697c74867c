import {FaultCommand, type FaultResult} from '../../fault-command.js'

/** `dledger fault list`: the faults in force on every member. */
export default class FaultList extends FaultCommand<typeof FaultList> {
  static override summary = 'Show the faults injected on every member'
  static override description = 'One line per member: the peers it is cut off from, what it drops one way, its loss and delay, or "none". Exit 1 when no member answers.'
  static override strict = true
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'As JSON: {"operation":null,"members":[{"id","address","faults":{"dropTo","dropFrom","loss","delayMs"}|null,"error"}]}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<FaultResult> {
    const {resolvePaths} = await import('../../paths.js')
    const {resolveCluster} = await import('../../profile.js')
    const {readFaults, renderFaults} = await import('../../faults.js')
    const cluster = await resolveCluster(this.flags, resolvePaths(this.flags.home, this.config))
    const result: FaultResult = {operation: null, members: await readFaults({cluster})}
    this.finish(result, renderFaults)
    return result
  }
}
