import {transferLeader, transferLeaderFlags} from '../actions/transfer-leader.js'
import {BaseCommand} from '../base-command.js'
import type {TransferResult} from '../leadership.js'
import {oclifFlags} from '../oclif-flags.js'

/** `dledger transfer-leader`: DLedger's leadership transfer, with the leader and term found for you. */
export default class TransferLeader extends BaseCommand<typeof TransferLeader> {
  static override summary = 'Hand leadership to a member (DLedger leadership transfer); --preferred also makes it the preferred leader'
  static override description = `Finds the leader and its term, then asks the leader to hand over to --to: the leader sends it take-leadership, the member campaigns for the next term and wins it. The command succeeds only when --to leads in a newer term, as the status confirms; it prints the old and new leader, the term and the time taken. A transfer to the member that already leads does nothing and succeeds. When the transferee loses DLedger's take-leadership race (the old leader wins the next term first), nothing has changed hands and the leader asks it again in its new term, up to 3 times within its transfer deadline (TAKE_LEADERSHIP_FAILED when all lose); when leadership moves meanwhile, the request goes again to whoever leads, up to 3 requests within --timeout.

Without --to, a terminal offers the live followers to pick from; without a terminal that is a usage error (exit 2).

--preferred also makes --to the preferred leader on every member, at run time and durably (each member keeps it in its data directory, and the profile keeps it too): whenever another member leads while --to is live and caught up, the leader hands leadership back to it (DLedger's checkPreferredLeader). Members that cannot be reached are named; they pick it up from the profile when they are started again. --no-preferred instead clears the preferred leader on every member and in the profile before the transfer, so no preferred member takes leadership back afterwards (\`dledger preferred set|clear\` do the same without a transfer).

Failures are one line with DLedger's code name and a hint, exit 1: NETWORK_ERROR (the member is down), FALL_BEHIND_TOO_MUCH, TAKE_LEADERSHIP_FAILED, LEADER_TRANSFERRING, TIMEOUT, NO_LEADER. An unknown member id exits 2.`

  static override examples = [
    {description: 'Hand leadership to n2', command: '<%= config.bin %> <%= command.id %> --to n2'},
    {description: 'Make n2 the leader, and keep it there after failures', command: '<%= config.bin %> <%= command.id %> --to n2 --preferred'},
    {description: 'Make n1 the leader and clear the preferred leader, so it stays there', command: '<%= config.bin %> <%= command.id %> --to n1 --no-preferred'},
    {description: 'Pick the new leader from a list (on a terminal)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON: {"from","to","term","previousTerm","tookMs","visibleMs","noop","attempts"}, and with --[no-]preferred "preferred":{"ids","applied","failed","profile"}', command: '<%= config.bin %> <%= command.id %> --to n1 --json'},
  ]

  static override enableJsonFlag = true

  static override flags = oclifFlags(transferLeaderFlags)

  async run(): Promise<TransferResult> {
    return transferLeader(this.context(), this.flags)
  }
}
