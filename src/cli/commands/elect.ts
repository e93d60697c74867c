import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {OperationError} from '../errors.js'
import type {ElectResult} from '../leadership.js'

/** `dledger elect`: force an election (DLedger's testRevote, or the leader steps down). */
export default class Elect extends BaseCommand<typeof Elect> {
  static override summary = 'Force an election: a member campaigns for the next term at once, or the leader steps down'
  static override description = `With --node ID, that member campaigns at once for the next term (the largest term a member reports + 1), as DLedger's testRevote does: the others adopt the term and vote for it, so it normally wins. Without --node, the leader steps down in its term and holds its own ballot back, so another member wins the next term.

Waits (up to --timeout) until the status shows the new leader, then prints it, its term and how long it took. Exit 1 when no member answers, there is no leader to step down, the member is down or the election does not end within --timeout; exit 2 for an unknown member id.`

  static override examples = [
    {description: 'Make n1 the leader by a forced election', command: '<%= config.bin %> <%= command.id %> --node n1'},
    {description: 'The leader steps down; another member wins', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON: {"leaderId","term","previousLeaderId","previousTerm","tookMs"}', command: '<%= config.bin %> <%= command.id %> --node n2 --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    node: Flags.string({description: 'the member that campaigns for the next term (default: the leader steps down)'}),
    timeout: Flags.integer({description: 'milliseconds to wait for the new leader', default: 10000, min: 1}),
    'probe-timeout': Flags.integer({description: "milliseconds to wait for each member's status answer", default: 500, min: 1, hidden: true}),
  }

  async run(): Promise<ElectResult> {
    const {resolvePaths} = await import('../paths.js')
    const {resolveCluster} = await import('../profile.js')
    const {confirmedLeader, fetchClusterStatus, noAnswerHint, pollCluster} = await import('../cluster-client.js')
    const {electLine, maxTerm, memberOrUsageError} = await import('../leadership.js')
    const {spinner} = await import('../output.js')
    const flags = this.flags
    const cluster = await resolveCluster(flags, resolvePaths(flags.home, this.config))
    const probeTimeoutMs = flags['probe-timeout']

    const before = await fetchClusterStatus(cluster, {timeoutMs: probeTimeoutMs})
    const target = flags.node === undefined ? null : memberOrUsageError(before, flags.node, '--node')
    const highest = maxTerm(before)
    if (highest === null) {
      throw new OperationError(`no member answered (${before.members.map((m) => `${m.id}: ${m.error}`).join('; ')})`, {
        code: 'UNREACHABLE',
        hint: noAnswerHint(before),
      })
    }
    const previous = confirmedLeader(before)
    const previousLeaderId = previous?.id ?? null
    const previousTerm = previous === null ? null : before.term

    const {adminRequest, MemberClientError} = await import('../member-client.js')
    const clientOpts = {token: cluster.token, group: cluster.group}
    const peerOf = (id: string) => cluster.peers.find((p) => p.id === id)!
    const ask = async (id: string, body: Parameters<typeof adminRequest>[1]) => {
      try {
        return await adminRequest(peerOf(id), body, clientOpts)
      } catch (error) {
        if (error instanceof MemberClientError) {
          throw new OperationError(`cannot reach ${id}: ${error.message}`, {
            code: error.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'NETWORK_ERROR',
            hint: error.code === 'UNAUTHORIZED' ? 'pass the cluster token with --token or DLEDGER_TOKEN' : `is ${id} running? \`dledger status\` shows each member`,
          })
        }
        throw error
      }
    }

    let done: (s: Awaited<ReturnType<typeof fetchClusterStatus>>) => boolean
    let waitingFor: string
    let started: number
    if (target !== null) {
      if (!target.reachable) {
        throw new OperationError(`forced election on ${target.id} failed: NETWORK_ERROR (302): ${target.id} is down (${target.error ?? 'unreachable'})`, {
          code: 'NETWORK_ERROR',
          hint: `start ${target.id} again, or force the election on a live member`,
        })
      }
      // DLedger's testRevote(maxTerm + 1): the candidate jumps past every term in the group
      const term = highest + 1
      started = performance.now()
      const answer = await ask(target.id, {op: 'revote', term})
      if (!answer.ok) throw new OperationError(`forced election on ${target.id} failed: ${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`, {code: answer.code ?? 'ERROR'})
      done = (s) => confirmedLeader(s)?.id === target.id && (s.term ?? -1) >= term
      waitingFor = `${target.id} to lead term ${term}`
    } else {
      if (previous === null || previousTerm === null) {
        throw new OperationError('no leader to step down', {
          code: 'NO_LEADER',
          hint: 'wait for an election (`dledger leader --wait 5000`), or make a member campaign with --node ID',
        })
      }
      started = performance.now()
      const answer = await ask(previous.id, {op: 'stepDown'})
      if (!answer.ok) {
        throw new OperationError(`${previous.id} did not step down: ${answer.code ?? 'ERROR'}: ${answer.error ?? 'refused'}`, {
          code: answer.code ?? 'ERROR',
          hint: answer.code === 'NOT_LEADER' ? 'leadership changed meanwhile; check `dledger status`' : undefined,
        })
      }
      done = (s) => {
        const l = confirmedLeader(s)
        return l !== null && s.term !== null && (s.term > previousTerm || l.id !== previous.id)
      }
      waitingFor = `a new leader after ${previous.id} stepped down`
    }

    const spin = this.jsonEnabled() ? undefined : spinner(`waiting for ${waitingFor}`).start()
    const left = Math.max(1, flags.timeout - (performance.now() - started))
    const polled = await pollCluster(cluster, done, {timeoutMs: left, everyMs: 10, probeTimeoutMs})
    spin?.stop()
    const tookMs = performance.now() - started
    const now = confirmedLeader(polled.status)
    if (!polled.done || now === null || polled.status.term === null) {
      const state = now === null ? 'no leader now' : `now ${now.id} leads term ${polled.status.term}`
      throw new OperationError(`timed out after ${flags.timeout} ms waiting for ${waitingFor} (${state})`, {
        code: 'TIMEOUT',
        hint: 'check `dledger status`; a forced election can lose to another candidate, so try again',
      })
    }
    const result: ElectResult = {leaderId: now.id, term: polled.status.term, previousLeaderId, previousTerm, tookMs: Math.round(tookMs * 10) / 10}
    if (!this.jsonEnabled()) {
      this.log(electLine(result, target !== null ? 'forced election' : 'step down'))
      // a preferred leader elsewhere takes leadership back (checkPreferredLeader)
      const preferred = new Set(before.members.map((m) => m.preferred).filter((p): p is string => p !== null && !p.split(';').includes(now.id)))
      if (preferred.size > 0)
        console.error('%s', `Warning: the members prefer ${[...preferred].join(' / ')} as leader: while it is live and caught up, leadership moves back there within about a second`)
    }
    return result
  }
}
