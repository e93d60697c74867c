import {Flags} from '@oclif/core'

import type {VoteLogEventType} from '../../core/events.js'
import type {Peer} from '../../core/settings.js'
import type {VoteLogRecord} from '../../wire/frames.js'
import {answerTimeoutFlag, MemberCommand} from '../member-command.js'
import {OperationError, UsageError} from '../errors.js'
import type {MemberClientOptions} from '../member-client.js'
import type {LogFilter} from '../vote-log-view.js'
import {wallClockMs} from '../wall-clock.js'

/** `-n` without -f: everything; with -f: the last 10, like `tail -f`. */
const FOLLOW_DEFAULT_LINES = 10
/** How long a member may take to answer while collecting history. */
const CONNECT_TIMEOUT_MS = 1500
/**
 * Live events of several members arrive in whatever order their sockets deliver them; holding
 * them this long and printing each batch sorted by time merges them well enough for a reader.
 */
const FOLLOW_REORDER_MS = 100
/** A followed member that sends nothing (not even a keepalive ping) for this long is reconnected. */
const FOLLOW_IDLE_TIMEOUT_MS = 15_000

/** `dledger logs`: the members' vote logs (spec §3) merged by time. */
export default class Logs extends MemberCommand<typeof Logs> {
  static override summary = 'Show the vote logs of the members, merged by time; -f follows them live'
  static override description = `Prints the election events of every member (or of --node) in time order: one readable line per event, or the records themselves as JSON lines with --json. Event types: INCREASE_TERM, VOTE_REQUEST, VOTE_RESPONSE, VOTE_HANDLED, PARSE_VOTE_RESULT, ROLE_CHANGE, HEARTBEAT_TIMEOUT, HEARTBEAT_QUORUM_LOST, LEADERSHIP_TRANSFER.

A member whose data directory is in this home (<home>/data/<group>/<id>/vote.log and its rotated vote.log.1 … vote.log.3) is read from its files, so this works on stopped members too. Other members (--peers clusters, or no files here) are asked over their WebSocket, which returns their last 1000 events. A corrupt line in a file is skipped with a warning on stderr.

With -f the command prints the last -n events (default ${FOLLOW_DEFAULT_LINES}), then every new event as it happens, until Ctrl-C (exit 0). A member that stops is reconnected with backoff and caught up when it is back.`

  static override examples = [
    {description: 'Everything every member logged', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Follow the cluster live (Ctrl-C to stop)', command: '<%= config.bin %> <%= command.id %> -f'},
    {description: "n1's role changes of the last 10 minutes", command: '<%= config.bin %> <%= command.id %> --node n1 --type ROLE_CHANGE --since 10m'},
    {description: 'The last 20 ballots, as JSON lines', command: '<%= config.bin %> <%= command.id %> --type VOTE_REQUEST,PARSE_VOTE_RESULT -n 20 --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    node: Flags.string({description: 'only these members (comma-separated ids)'}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new events as they happen, until Ctrl-C', default: false}),
    lines: Flags.integer({char: 'n', description: `print only the last N events (after filtering) [default: all; ${FOLLOW_DEFAULT_LINES} with -f]`, min: 0}),
    type: Flags.string({description: 'only these event types (comma-separated, e.g. ROLE_CHANGE,LEADERSHIP_TRANSFER)'}),
    since: Flags.string({description: 'only events after this time: an ISO 8601 time, or a duration back from now (30s, 5m, 2h, 1d)'}),
    timeout: answerTimeoutFlag(CONNECT_TIMEOUT_MS),
  }

  async run(): Promise<undefined> {
    const {memberDataDir} = await import('../paths.js')
    const view = await import('../vote-log-view.js')
    const flags = this.flags
    const paths = await this.paths()

    // --type and --since are checked before anything is read (exit 2)
    let types: VoteLogEventType[] | undefined
    if (flags.type !== undefined) {
      const parsed = view.parseTypes(flags.type)
      if (!parsed.ok) {
        const {VOTE_LOG_EVENT_TYPES} = await import('../../core/events.js')
        throw new UsageError(`--type: unknown event type ${parsed.unknown.map((u) => JSON.stringify(u)).join(', ')}`, {
          code: 'UNKNOWN_EVENT_TYPE',
          hint: `one or more of ${VOTE_LOG_EVENT_TYPES.join(', ')}`,
        })
      }
      types = parsed.types
    }
    let sinceMs: number | undefined
    if (flags.since !== undefined) {
      const t = view.parseSince(flags.since, wallClockMs())
      if (t === null) throw new UsageError(`--since: "${flags.since}" is neither an ISO 8601 time nor a duration like 30s, 5m, 2h`, {code: 'INVALID_SINCE'})
      sinceMs = t
    }

    const cluster = await this.cluster(paths)
    let members: Peer[] = cluster.peers
    if (flags.node !== undefined) {
      const ids = view.splitList(flags.node)
      const unknown = ids.filter((id) => !cluster.peers.some((p) => p.id === id))
      if (ids.length === 0 || unknown.length > 0) {
        throw new UsageError(`--node: unknown member id ${(unknown.length > 0 ? unknown : [flags.node]).map((u) => `"${u}"`).join(', ')} (members: ${cluster.peers.map((p) => p.id).join(', ')})`, {
          code: 'UNKNOWN_MEMBER',
        })
      }
      members = cluster.peers.filter((p) => ids.includes(p.id))
    }
    const filter: LogFilter = {nodes: members.map((p) => p.id), types, sinceMs}
    // a member's files are in this home when the profile describes its cluster (or, for --peers, under the default group)
    const dataDir = (p: Peer) => memberDataDir(paths, cluster.group ?? 'default', p.id)
    const client: MemberClientOptions = {token: cluster.token, group: cluster.group, connectTimeoutMs: flags.timeout, requestTimeoutMs: flags.timeout}
    const json = this.jsonEnabled()
    const print = (r: VoteLogRecord) => console.log('%s', json ? view.formatJsonRecord(r) : view.formatRecord(r, {nowMs: wallClockMs()}))
    const warn = (text: string) => console.error('%s', `warning: ${text}`)

    if (flags.follow) {
      await this.follow(members, {client, dataDir, filter, types, lines: flags.lines ?? FOLLOW_DEFAULT_LINES, print, warn})
      return undefined
    }

    // every member's history: files first for a profile's members (they work when it is stopped),
    // the member itself first for a --peers cluster
    const {collectMemberLogs} = await import('../vote-log-source.js')
    const {logs, problems} = await collectMemberLogs(members, {client, types, dataDir, filesFirst: cluster.source === 'profile', warn})
    for (const problem of problems) warn(problem)
    if (logs.every((l) => l === null)) {
      throw new OperationError(`no vote log to read: ${problems.join('; ')}`, {
        code: 'NO_VOTE_LOG',
        hint: 'are the members running, or is this the home they run in (--home)?',
      })
    }
    const records = view.selectRecords(view.mergeLogs(logs.map((l) => l ?? [])), filter, flags.lines)
    for (const r of records) print(r)
    return undefined
  }

  /** -f: the last `lines` events, then every new one, until SIGINT/SIGTERM. */
  private async follow(
    members: Peer[],
    o: {
      client: MemberClientOptions
      dataDir: (p: Peer) => string
      filter: LogFilter
      types: VoteLogEventType[] | undefined
      lines: number
      print: (r: VoteLogRecord) => void
      warn: (text: string) => void
    },
  ): Promise<void> {
    const view = await import('../vote-log-view.js')
    const {LogFollower, readVoteLogFiles} = await import('../vote-log-source.js')
    let stop: () => void = () => undefined
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    const onSignal = () => stop()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let batch: VoteLogRecord[] = []
    let flushTimer: NodeJS.Timeout | null = null
    const flush = () => {
      if (flushTimer !== null) clearTimeout(flushTimer)
      flushTimer = null
      const records = view.mergeLogs([batch])
      batch = []
      for (const r of records) o.print(r)
    }
    const follower = new LogFollower({
      members,
      client: {...o.client, idleTimeoutMs: FOLLOW_IDLE_TIMEOUT_MS},
      types: o.types,
      onRecord: (r) => {
        if (!view.matchesFilter(r, o.filter)) return
        batch.push(r)
        flushTimer ??= setTimeout(flush, FOLLOW_REORDER_MS)
      },
      onNotice: (id, text) => console.error('%s', `-- ${id}: ${text}`),
    })
    try {
      // subscribe first, then read files: whatever is appended in between arrives live and is deduped
      const first = await follower.start()
      const histories: VoteLogRecord[][] = []
      for (const p of members) {
        const files = readVoteLogFiles(o.dataDir(p))
        for (const c of files?.corrupt ?? []) o.warn(`skipped ${c.lines} corrupt line${c.lines === 1 ? '' : 's'} in ${c.file}`)
        const answer = first.get(p.id)
        if (answer !== undefined && !answer.ok) o.warn(`${p.id}: ${answer.error}; ${files ? 'showing its files, ' : ''}following it when it is back`)
        histories.push(files?.records ?? (answer?.ok ? answer.records : []))
      }
      const history = view.mergeLogs(histories)
      follower.markSeen(history)
      for (const r of view.selectRecords(history, o.filter, o.lines)) o.print(r)
      follower.live()
      await stopped
    } finally {
      follower.close()
      flush()
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    }
  }
}
