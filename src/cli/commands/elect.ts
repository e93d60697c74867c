import {elect, electFlags} from '../actions/elect.js'
import {BaseCommand} from '../base-command.js'
import type {ElectResult} from '../forced-election.js'
import {oclifFlags} from '../oclif-flags.js'

/** `dledger elect`: force an election (DLedger's testRevote, or the leader steps down). */
export default class Elect extends BaseCommand<typeof Elect> {
  static override summary = 'Force an election: a member campaigns for the next term at once, or the leader steps down'
  static override description = `With --node ID, that member campaigns at once for the next term (the largest term a member reports + 1), as DLedger's testRevote does: the others adopt the term and vote for it, so it normally wins. Without --node, the leader steps down in its term and holds its own ballot back, so another member wins the next term.

Waits (up to --timeout) until the status shows the new leader, then prints it, its term and how long it took. A forced election can lose DLedger's race to another candidate (a member that saw the higher term campaigns after its short random wait); then it goes again for the next term, up to 3 elections within --timeout (ELECTION_LOST when all lose). Exit 1 when no member answers, there is no leader to step down, the member is down or the election does not end within --timeout; exit 2 for an unknown member id.`

  static override examples = [
    {description: 'Make n1 the leader by a forced election', command: '<%= config.bin %> <%= command.id %> --node n1'},
    {description: 'The leader steps down; another member wins', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON: {"leaderId","term","previousLeaderId","previousTerm","tookMs","attempts"}', command: '<%= config.bin %> <%= command.id %> --node n2 --json'},
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(electFlags)

  async run(): Promise<ElectResult> {
    return elect(this.context(), this.flags)
  }
}
