import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import type {ClusterStatus} from '../cluster-client.js'
import {OperationError, UsageError} from '../errors.js'
import type {PreferredOutcome, TransferResult} from '../leadership.js'
import {warn} from '../output.js'

/**
 * The answers after which nothing changed hands and the request is sent again, to whoever leads
 * then: the transferee lost DLedger's take-leadership race (the old leader re-won the next term
 * first), another election moved the term on, or leadership moved before the request arrived.
 */
const RETRYABLE = new Set(['TAKE_LEADERSHIP_FAILED', 'EXPIRED_TERM', 'INCONSISTENT_TERM', 'NOT_LEADER'])
/** At most this many requests per command. */
const MAX_ATTEMPTS = 3
/** No retry with less time than this left before --timeout. */
const MIN_RETRY_MS = 300

/** `dledger transfer-leader`: DLedger's leadership transfer, with the leader and term found for you. */
export default class TransferLeader extends BaseCommand<typeof TransferLeader> {
  static override summary = 'Hand leadership to a member (DLedger leadership transfer); --preferred also makes it the preferred leader'
  static override description = `Finds the leader and its term, then asks the leader to hand over to --to: the leader sends it take-leadership, the member campaigns for the next term and wins it. The command succeeds only when --to leads in a newer term, as the status confirms; it prints the old and new leader, the term and the time taken. A transfer to the member that already leads does nothing and succeeds. When the transferee loses DLedger's take-leadership race (the old leader wins the next term first: TAKE_LEADERSHIP_FAILED) or leadership moves meanwhile, nothing has changed hands and the request goes again to whoever leads, up to 3 requests within --timeout.

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

  static override flags = {
    to: Flags.string({description: 'the member to hand leadership to (asked on a terminal when omitted)'}),
    preferred: Flags.boolean({
      description: 'also make it the preferred leader on every member (durable, kept in the profile); --no-preferred clears the preferred leader everywhere instead',
      allowNo: true,
    }),
    timeout: Flags.integer({description: 'milliseconds for the whole transfer (the leader itself gives up after 3000)', default: 5000, min: 1}),
    'probe-timeout': Flags.integer({description: "milliseconds to wait for each member's status answer", default: 500, min: 1, hidden: true}),
  }

  async run(): Promise<TransferResult> {
    const {resolvePaths} = await import('../paths.js')
    const {resolveCluster} = await import('../profile.js')
    const {confirmedLeader, fetchClusterStatus, pollCluster} = await import('../cluster-client.js')
    const leadership = await import('../leadership.js')
    const flags = this.flags
    const paths = resolvePaths(flags.home, this.config)
    const cluster = await resolveCluster(flags, paths)
    const probeTimeoutMs = flags['probe-timeout']
    const deadline = performance.now() + flags.timeout
    const remaining = () => Math.max(1, Math.round(deadline - performance.now()))

    let status = await fetchClusterStatus(cluster, {timeoutMs: probeTimeoutMs})
    if (flags.to !== undefined) leadership.memberOrUsageError(status, flags.to, '--to')
    let leader = confirmedLeader(status)
    const to = flags.to ?? (await this.pickTarget(status, leader?.id ?? null))
    const failure = (code: string, detail?: string) =>
      leadership.transferFailure(code, {
        to,
        leaderId: leader?.id ?? null,
        others: leadership.liveFollowers(status, leader?.id ?? null).map((m) => m.id).filter((id) => id !== to),
        timeoutMs: flags.timeout,
        detail,
      })
    if (leader === null || status.term === null) {
      const answered = status.members.filter((m) => m.reachable).length
      throw failure('NO_LEADER', answered === 0 ? 'no member answered' : `${answered}/${status.members.length} members answered, none leads`)
    }
    const target = leadership.memberOrUsageError(status, to, '--to')
    if (!target.reachable) throw failure('NETWORK_ERROR', `${to} is down (${target.error ?? 'unreachable'})`)
    const from = leader.id
    const previousTerm = status.term

    // --preferred: every member but the leader first (so the transferee takes leadership with
    // DLedger's short take-leadership ballot delay), the leader last, after the hand-over, so its
    // checkPreferredLeader cannot start a transfer of its own meanwhile. --no-preferred: every
    // member at once, before the transfer, so no preferred leader takes leadership back after it
    const preferredIds = flags.preferred === true ? [to] : flags.preferred === false ? [] : undefined
    const {keepInProfile, mergeOutcome, sendPreferred} = await import('../preferred.js')
    let preferred: PreferredOutcome | undefined
    if (preferredIds !== undefined) {
      const firstWave = status.members.filter((m) => preferredIds.length === 0 || m.id !== from)
      preferred = await sendPreferred(cluster, preferredIds, firstWave.map((m) => m.id), status)
    }
    let preferredFinished = false
    const finishPreferred = async (): Promise<void> => {
      if (preferred === undefined || preferredIds === undefined || preferredFinished) return
      preferredFinished = true
      if (preferredIds.length > 0) mergeOutcome(preferred, await sendPreferred(cluster, preferredIds, [from], status))
      await keepInProfile(paths, cluster, preferred)
    }
    /** The --preferred outcome: on stdout after a success, on stderr before a failure. */
    const reportPreferred = (log: (line: string) => void): void => {
      if (preferred === undefined || this.jsonEnabled()) return
      log(leadership.preferredLine(preferred))
      for (const f of preferred.failed) warn(`${f.id} did not take the preferred leader: ${f.error}`)
    }
    const succeed = (result: TransferResult): TransferResult => {
      if (this.jsonEnabled()) return result
      this.log(leadership.transferLine(result))
      reportPreferred((line) => this.log(line))
      // without --preferred, a preferred leader elsewhere takes leadership back (checkPreferredLeader)
      const others = new Set(status.members.map((m) => m.preferred).filter((p): p is string => p !== null && !p.split(';').includes(to)))
      if (flags.preferred === undefined && others.size > 0)
        warn(`the members prefer ${[...others].join(' / ')} as leader: while it is live and caught up, leadership moves back there within about a second (make ${to} preferred with --preferred, or clear the preferred leader with --no-preferred)`)
      return result
    }

    // spec S6: a transfer to the member that already leads is a no-op success
    if (to === leader.id) {
      await finishPreferred()
      return succeed({from: to, to, term: status.term, previousTerm: status.term, tookMs: 0, visibleMs: 0, noop: true, attempts: 0, ...(preferred ? {preferred} : {})})
    }

    const {connectMember, MemberClientError} = await import('../member-client.js')
    const {codeName: nameOf} = await import('../../core/types.js')
    const clientId = `cli.${process.pid}`
    /** One client LeadershipTransferRequest to the current leader; connection problems become failures. */
    const request = async (leaderId: string, term: number): Promise<{code: string; term: number}> => {
      const peer = cluster.peers.find((p) => p.id === leaderId)!
      let conn
      try {
        conn = await connectMember(peer, {token: cluster.token, group: cluster.group, clientId, connectTimeoutMs: Math.min(2000, remaining())})
      } catch (error) {
        if (error instanceof MemberClientError) throw failure(error.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'NETWORK_ERROR', `cannot reach the leader: ${error.message}`)
        throw error
      }
      try {
        const resp = await conn.transfer(
          {
            group: status.group ?? cluster.group ?? 'default',
            remoteId: leaderId,
            localId: clientId,
            code: 200,
            leaderId,
            term,
            transferId: leaderId,
            transfereeId: to,
            takeLeadershipLedgerIndex: -1,
          },
          remaining(),
        )
        return {code: nameOf(resp.code), term: resp.term}
      } catch (error) {
        if (error instanceof MemberClientError) {
          if (error.code === 'TIMEOUT') throw failure('TIMEOUT', `${leaderId} gave no outcome within ${flags.timeout} ms`)
          throw failure('NETWORK_ERROR', `lost the connection to the leader ${leaderId}: ${error.message}`)
        }
        throw error
      } finally {
        conn.close()
      }
    }

    const sentAt = performance.now()
    let attempts = 0
    try {
      let newTerm: number
      for (;;) {
        attempts++
        const answer = await request(leader.id, status.term)
        if (answer.code === 'SUCCESS') {
          newTerm = answer.term
          break
        }
        // a lost race (the old leader re-won the next term first: TAKE_LEADERSHIP_FAILED), another
        // election meanwhile (EXPIRED_TERM), or leadership that moved before the request arrived:
        // nothing changed hands, so ask whoever leads now again while the deadline allows
        if (!RETRYABLE.has(answer.code) || attempts >= MAX_ATTEMPTS || remaining() < MIN_RETRY_MS) throw failure(answer.code)
        const polled = await pollCluster(cluster, (s) => confirmedLeader(s) !== null, {timeoutMs: remaining(), everyMs: 10, probeTimeoutMs})
        status = polled.status
        leader = confirmedLeader(status)
        if (leader === null || status.term === null) throw failure(answer.code, 'and no leader is confirmed since')
        if (leader.id === to) {
          // somebody else's election or transfer made it leader meanwhile
          newTerm = status.term
          break
        }
      }
      const tookMs = performance.now() - sentAt

      // the leader says `to` leads a newer term; the status must show it too (spec S6)
      const polled = await pollCluster(cluster, (s) => confirmedLeader(s)?.id === to && (s.term ?? -1) >= newTerm, {
        timeoutMs: remaining(),
        everyMs: 5,
        probeTimeoutMs,
      })
      const visibleMs = performance.now() - sentAt
      if (!polled.done || polled.status.term === null) {
        const now = confirmedLeader(polled.status)
        throw failure('TIMEOUT', `the leader reported SUCCESS in term ${newTerm}, but the status shows ${now === null ? 'no leader' : `${now.id} leading term ${polled.status.term}`}`)
      }
      await finishPreferred()
      return succeed({
        from,
        to,
        term: polled.status.term,
        previousTerm,
        tookMs: round1(tookMs),
        visibleMs: round1(visibleMs),
        noop: false,
        attempts,
        ...(preferred ? {preferred} : {}),
      })
    } catch (error) {
      // a failed transfer still leaves the preferred leader set everywhere it can be
      if (preferred !== undefined && !preferredFinished) {
        await finishPreferred().catch(() => undefined)
        reportPreferred((line) => console.error('%s', line))
      }
      throw error
    }
  }

  /** Asks on a terminal which live follower should lead; a usage error without one. */
  private async pickTarget(status: ClusterStatus, leaderId: string | null): Promise<string> {
    const {canPrompt} = await import('../output.js')
    const {idList, liveFollowers} = await import('../leadership.js')
    const followers = liveFollowers(status, leaderId)
    if (!canPrompt({json: this.flags.json})) {
      throw new UsageError('missing --to: the member to hand leadership to', {
        code: 'MISSING_TARGET',
        hint: `pass --to ID (live followers: ${idList(followers.map((f) => f.id))})`,
      })
    }
    if (followers.length === 0) throw new OperationError('no live follower to hand leadership to', {code: 'NO_FOLLOWER', hint: 'check `dledger status`'})
    const {select} = await import('@inquirer/prompts')
    try {
      return await select(
        {
          message: `Transfer leadership${leaderId ? ` from ${leaderId}` : ''} to`,
          choices: followers.map((f) => ({name: `${f.id}  ${f.address}  ${f.role ?? ''} term ${f.term ?? '-'}`, value: f.id, short: f.id})),
        },
        // the result line says what was chosen; a cancelled picker leaves no half-drawn list behind
        {output: process.stderr, clearPromptOnDone: true},
      )
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError') this.exit(130)
      throw error
    }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
