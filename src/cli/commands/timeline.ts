import {Args, Flags} from '@oclif/core'

import type {Peer} from '../../core/settings.js'
import type {VoteLogRecord} from '../../wire/frames.js'
import {answerTimeoutFlag, MemberCommand} from '../member-command.js'
import {OperationError, UsageError} from '../errors.js'
import type {TimelineModel} from '../timeline/model.js'

/** What `timeline --json` prints. */
export interface TimelineResult {
  file: string
  members: string[]
  /** who led each term */
  terms: {term: number; leaderId: string | null}[]
  /** every stretch a member led, in ms from the start */
  leaders: {node: string; term: number; fromMs: number; toMs: number}[]
  leaderlessMs: number
  gaps: {fromMs: number; toMs: number; durationMs: number; open: boolean}[]
}

/** `dledger timeline`: one self-contained HTML page of an election. */
export default class Timeline extends MemberCommand<typeof Timeline> {
  static override summary = 'Draw the election as one self-contained HTML page: members, roles, terms, ballots, votes, faults, leaderless gaps'
  static override description = `Reads the vote logs of this home's members (their files, so stopped members work too; members without files here are asked over their WebSocket), or of the member data directories given as arguments, or --from a file of a run: a \`dledger sim --json\` report, a \`dledger sim --trace\` file, or a vote.log. Writes one HTML file (-o, default timeline.html) with everything inline and no network.

The page has a lane per member with its role as a coloured band (follower, candidate, leader; grey while killed, hatched while silent), term boundaries with the leader of each term, every ballot as a diamond (hover: PARSE_VOTE_RESULT's counters), accepted votes as arrows from voter to candidate, heartbeat timeouts, transfers and faults as markers (a real member's FAULTS records too), and every stretch without a leader shaded with its duration. Zoom with the mouse wheel or the +/- buttons, drag to pan. \`dledger sim --html FILE\` writes the same page for a simulated run.`

  static override examples = [
    {description: "This home's cluster", command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A simulated kill-the-leader run', command: "printf 'at 5s kill leader\\n' | dledger sim --timing fast --script - --trace run.jsonl && <%= config.bin %> <%= command.id %> --from run.jsonl -o run.html"},
    {description: 'Data directories copied from several hosts', command: '<%= config.bin %> <%= command.id %> host1/n0 host2/n1 host3/n2 -o incident.html'},
  ]

  static override enableJsonFlag = true
  static override strict = false

  static override args = {
    dirs: Args.string({description: 'member data directories (each with a vote.log), instead of the cluster'}),
  }

  static override flags = {
    from: Flags.string({description: 'a sim --json report, a sim --trace file or a vote.log ("-" for stdin)'}),
    output: Flags.string({char: 'o', description: 'the HTML file to write', default: 'timeline.html'}),
    timeout: answerTimeoutFlag(1500),
  }

  async run(): Promise<TimelineResult> {
    const load = await import('../timeline/load.js')
    // strict = false lets any number of directories through; parse() hands them back as argv
    const dirs = (await this.parse(Timeline)).argv.map(String)
    if (this.flags.from !== undefined && dirs.length > 0) throw new UsageError('give either --from FILE or member directories, not both')
    const model = this.flags.from !== undefined ? load.timelineFromFile(this.flags.from) : dirs.length > 0 ? await this.fromDirs(dirs) : await this.fromCluster()
    load.writeTimelinePage(this.flags.output, model)
    const result: TimelineResult = {
      file: this.flags.output,
      members: model.members,
      terms: model.terms.map((t) => ({term: t.term, leaderId: t.leaderId})),
      leaders: model.bands.filter((b) => b.role === 'LEADER').map((b) => ({node: b.node, term: b.term, fromMs: b.fromMs, toMs: b.toMs})),
      leaderlessMs: model.leaderlessMs,
      gaps: model.gaps.map((g) => ({fromMs: g.fromMs, toMs: g.toMs, durationMs: g.durationMs, open: g.open})),
    }
    if (!this.jsonEnabled()) {
      const led = model.terms.filter((t) => t.leaderId !== null).length
      this.log(
        `wrote ${this.flags.output}: ${model.members.length} members, ${model.terms.length} terms (${led} with a leader), ` +
          `no leader for ${Math.round(model.leaderlessMs)} ms in ${model.gaps.length} gap${model.gaps.length === 1 ? '' : 's'}`,
      )
    }
    return result
  }

  private async fromDirs(dirs: string[]): Promise<TimelineModel> {
    const {readVoteLogFiles} = await import('../vote-log-source.js')
    const {timelineFromRecords} = await import('../timeline/load.js')
    const records: VoteLogRecord[] = []
    for (const dir of dirs) {
      const files = readVoteLogFiles(dir)
      if (files === null) throw new UsageError(`no vote log in "${dir}"`, {code: 'NO_VOTE_LOG', hint: 'pass member data directories, each holding a vote.log'})
      for (const c of files.corrupt) warn(`skipped ${c.lines} corrupt line${c.lines === 1 ? '' : 's'} in ${c.file}`)
      for (const r of files.records) records.push(r)
    }
    return timelineFromRecords(records, [], `dledger timeline of ${dirs.length} member director${dirs.length === 1 ? 'y' : 'ies'}`)
  }

  private async fromCluster(): Promise<TimelineModel> {
    const {memberDataDir, describeHome} = await import('../paths.js')
    const {collectMemberLogs} = await import('../vote-log-source.js')
    const {timelineFromRecords} = await import('../timeline/load.js')
    const paths = await this.paths()
    const cluster = await this.cluster(paths)
    const {logs, problems} = await collectMemberLogs(cluster.peers, {
      client: {token: cluster.token, group: cluster.group, connectTimeoutMs: this.flags.timeout, requestTimeoutMs: this.flags.timeout},
      dataDir: (p: Peer) => memberDataDir(paths, cluster.group ?? 'default', p.id),
      filesFirst: cluster.source === 'profile',
      warn,
    })
    for (const p of problems) warn(p)
    if (logs.every((l) => l === null)) {
      throw new OperationError(`no vote log to read: ${problems.join('; ')}`, {
        code: 'NO_VOTE_LOG',
        hint: 'are the members running, or is this the home they run in (--home)? A run file works too: --from',
      })
    }
    return timelineFromRecords(logs.flatMap((l) => l ?? []), cluster.peers.map((p) => p.id), `dledger timeline of ${cluster.group ?? 'the cluster'} (${describeHome(paths)})`)
  }
}

function warn(text: string): void {
  console.error('%s', `warning: ${text}`)
}
