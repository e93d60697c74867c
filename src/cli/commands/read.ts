import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {OperationError, UsageError} from '../errors.js'

export interface ReadResult {
  node: string
  committedIndex: number
  ledgerEndIndex: number
  entries: {index: number; term: number; body: string}[]
}

/** The most answers one read asks for (each is cut to fit one frame). */
const MAX_PAGES = 10_000

/** `dledger read`: print ledger entries of one member. */
export default class Read extends BaseCommand<typeof Read> {
  static override summary = "Print the committed entries of the ledger (or a member's whole log with --uncommitted)"
  static override description = `Asks one member (--node, default the leader, else any member that answers) for the entries from --from to --to, inclusive, and prints one line each: index, term and body. Only committed entries are shown unless --uncommitted, which shows that member's whole log, also what a new leader may still truncate.`

  static override examples = [
    {description: 'Every committed entry', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Entries 10 to 20 on n2, committed or not', command: '<%= config.bin %> <%= command.id %> --from 10 --to 20 --node n2 --uncommitted'},
    {description: 'As JSON: {"node","committedIndex","ledgerEndIndex","entries":[{"index","term","body"}]}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    from: Flags.integer({description: 'the first index', default: 0, min: 0}),
    to: Flags.integer({description: 'the last index (default: the end)', min: 0}),
    node: Flags.string({description: 'the member to read from (default: the leader)'}),
    uncommitted: Flags.boolean({description: "the member's whole log, not only committed entries", default: false}),
    timeout: Flags.integer({description: 'milliseconds to wait for each answer', default: 3000, min: 1}),
    'probe-timeout': Flags.integer({description: "milliseconds to wait for each member's status answer", default: 500, min: 1, hidden: true}),
  }

  async run(): Promise<ReadResult> {
    const {resolvePaths} = await import('../paths.js')
    const {resolveCluster} = await import('../profile.js')
    const {confirmedLeader, fetchClusterStatus, noAnswerHint} = await import('../cluster-client.js')
    const {askMember} = await import('../ledger-client.js')
    const flags = this.flags
    if (flags.to !== undefined && flags.to < flags.from) throw new UsageError(`--to ${flags.to} is before --from ${flags.from}`)
    const cluster = await resolveCluster(flags, resolvePaths(flags.home, this.config))
    let node = flags.node
    if (node !== undefined && !cluster.peers.some((p) => p.id === node)) throw new UsageError(`unknown member "${node}" (members: ${cluster.peers.map((p) => p.id).join(', ')})`)
    if (node === undefined) {
      const status = await fetchClusterStatus(cluster, {timeoutMs: flags['probe-timeout']})
      node = confirmedLeader(status)?.id ?? status.members.find((m) => m.reachable)?.id
      if (node === undefined) throw new OperationError('no member answered', {code: 'UNREACHABLE', hint: noAnswerHint(status)})
    }
    const result: ReadResult = {node, committedIndex: -1, ledgerEndIndex: -1, entries: []}
    let from = flags.from
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await askMember(cluster, node, {op: 'read', from, ...(flags.to === undefined ? {} : {to: flags.to}), uncommitted: flags.uncommitted}, flags.timeout)
      if (!answer.ok) throw new OperationError(`read from ${node} failed: ${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`, {code: answer.code ?? 'ERROR'})
      const got = answer.result as ReadResult & {more: boolean}
      result.committedIndex = got.committedIndex
      result.ledgerEndIndex = got.ledgerEndIndex
      result.entries.push(...got.entries)
      if (!this.jsonEnabled()) for (const e of got.entries) this.log(`${e.index}\t${e.term}\t${JSON.stringify(e.body)}`)
      const last = got.entries[got.entries.length - 1]
      if (!got.more || last === undefined) break
      from = last.index + 1
    }
    return result
  }
}
