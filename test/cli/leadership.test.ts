/**
 * The pure parts of `elect` and `transfer-leader` (src/cli/leadership.ts), and their usage errors
 * in-process. The real transfers and elections are in test/e2e/operator.test.ts.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import type {ClusterMember, ClusterStatus} from '../../src/cli/cluster-client.js'
import {OperationError, UsageError} from '../../src/cli/errors.js'
import {
  codeLabel,
  electLine,
  liveFollowers,
  maxTerm,
  memberOrUsageError,
  preferredLine,
  transferFailure,
  transferLine,
} from '../../src/cli/leadership.js'
import {freePorts} from '../helpers/processes.js'
import {runCli} from '../helpers/run-cli.js'

function member(id: string, over: Partial<ClusterMember> = {}): ClusterMember {
  return {
    id,
    address: `127.0.0.1:${7000 + Number(id.slice(1))}`,
    reachable: true,
    pid: 1,
    role: 'FOLLOWER',
    term: 3,
    leaderId: 'n0',
    votedFor: 'n0',
    ledgerEndIndex: -1,
    ledgerEndTerm: -1,
    committedIndex: -1,
    preferred: null,
    lastHeartbeatAgoMs: 10,
    error: null,
    faults: null,
    ...over,
  }
}

function cluster(members: ClusterMember[]): ClusterStatus {
  return {group: 'default', leaderId: 'n0', term: 3, members, warnings: []}
}

const down = (id: string) =>
  member(id, {reachable: false, pid: null, role: null, term: null, leaderId: null, votedFor: null, error: 'unreachable: connection refused'})

describe('elect and transfer-leader helpers', () => {
  it('maxTerm is the largest term a reachable member reports (testRevote campaigns for maxTerm + 1)', () => {
    assert.equal(maxTerm(cluster([member('n0', {role: 'LEADER'}), member('n1', {term: 5, role: 'CANDIDATE'}), down('n2')])), 5)
    assert.equal(maxTerm(cluster([down('n0'), down('n1')])), null)
  })

  it('an unknown member id is a usage error (exit 2) that lists the known ids', () => {
    const s = cluster([member('n0'), member('n1'), member('n2')])
    assert.equal(memberOrUsageError(s, 'n1', '--to').id, 'n1')
    assert.throws(
      () => memberOrUsageError(s, 'n9', '--to'),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.code === 'UNKNOWN_MEMBER' && /unknown member "n9" \(known: n0, n1, n2\)/.test(e.message),
    )
  })

  it('the live followers are the reachable members but the leader', () => {
    const s = cluster([member('n0', {role: 'LEADER'}), member('n1'), down('n2')])
    assert.deepEqual(
      liveFollowers(s, 'n0').map((m) => m.id),
      ['n1'],
    )
  })

  it("a failed transfer is one line with DLedger's code name and number, and a hint; exit 1", () => {
    const ctx = {to: 'n2', leaderId: 'n0', others: ['n1'], timeoutMs: 5000}
    for (const [code, hint] of [
      ['TAKE_LEADERSHIP_FAILED', /did not win the election/],
      ['FALL_BEHIND_TOO_MUCH', /lags the leader/],
      ['LEADER_TRANSFERRING', /already handing leadership over/],
      ['TIMEOUT', /no outcome within 5000 ms/],
      ['NETWORK_ERROR', /start n2 again .* or transfer to a live follower \(n1\)/],
      ['NO_LEADER', /wait for an election/],
    ] as const) {
      const e = transferFailure(code, ctx)
      assert.ok(e instanceof OperationError)
      assert.equal(e.exitCode, 1)
      assert.equal(e.code, code)
      assert.equal(e.message, `transfer to n2 failed: ${codeLabel(code)}`)
      assert.doesNotMatch(e.message, /\n/)
      assert.match(e.hint ?? '', hint)
    }
    assert.equal(codeLabel('TAKE_LEADERSHIP_FAILED'), 'TAKE_LEADERSHIP_FAILED (418)')
    assert.equal(codeLabel('LEADER_TRANSFERRING'), 'LEADER_TRANSFERRING (506)')
    assert.equal(codeLabel('NO_LEADER'), 'NO_LEADER')
    assert.equal(transferFailure('NETWORK_ERROR', {...ctx, detail: 'n2 is down'}).message, 'transfer to n2 failed: NETWORK_ERROR (302): n2 is down')
  })

  it('result lines', () => {
    assert.equal(transferLine({from: 'n0', to: 'n2', term: 5, previousTerm: 4, tookMs: 42.6, visibleMs: 45, noop: false, attempts: 1}), 'n0 → n2 in term 5 (43 ms)')
    assert.equal(transferLine({from: 'n2', to: 'n2', term: 5, previousTerm: 5, tookMs: 0, visibleMs: 0, noop: true, attempts: 0}), 'n2 already leads term 5 (nothing to transfer)')
    assert.equal(electLine({leaderId: 'n1', term: 7, previousLeaderId: 'n0', previousTerm: 6, tookMs: 84.2, attempts: 1}, 'forced election'), 'n1 leads term 7 (forced election, 84 ms)')
    assert.equal(preferredLine({ids: ['n2'], applied: ['n0', 'n1', 'n2'], failed: [], profile: true}), 'preferred leader n2 on n0, n1, n2 (kept in the profile)')
  })

  it('preferred lines name a priority list, or say there is none', () => {
    assert.equal(preferredLine({ids: ['n2', 'n1'], applied: ['n0', 'n2'], failed: [], profile: false}), 'preferred leaders n2;n1 on n0, n2')
    assert.equal(preferredLine({ids: [], applied: ['n0', 'n1', 'n2'], failed: [], profile: true}), 'no preferred leader on n0, n1, n2 (kept in the profile)')
    assert.equal(preferredLine({ids: ['n1'], applied: [], failed: [{id: 'n0', error: 'unreachable'}], profile: true}), 'preferred leader n1 on no member (kept in the profile)')
  })
})

function home(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-ops-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

describe('elect and transfer-leader usage (no members running)', () => {
  it('without --to and without a terminal, transfer-leader exits 2 and does not prompt', async (t) => {
    const ports = await freePorts(2)
    const peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
    const r = await runCli(['transfer-leader', '--home', home(t), '--peers', peers], {CI: 'true'})
    assert.equal(r.exitCode, 2, r.stderr)
    assert.match(r.stderr, /^Error: missing --to/)
    assert.equal(r.stdout, '')
  })

  it('an unknown id exits 2 for both commands, also with --json', async (t) => {
    const ports = await freePorts(2)
    const peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
    const h = home(t)
    const transfer = await runCli(['transfer-leader', '--home', h, '--peers', peers, '--to', 'n7'])
    assert.equal(transfer.exitCode, 2)
    assert.match(transfer.stderr, /^Error: --to: unknown member "n7" \(known: n0, n1\)/)
    const elect = await runCli(['elect', '--home', h, '--peers', peers, '--node', 'n7', '--json'])
    assert.equal(elect.exitCode, 2)
    assert.equal(JSON.parse(elect.stdout).error.code, 'UNKNOWN_MEMBER')
  })

  it('with no member answering, both commands exit 1', async (t) => {
    const ports = await freePorts(2)
    const peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';')
    const h = home(t)
    const transfer = await runCli(['transfer-leader', '--home', h, '--peers', peers, '--to', 'n1', '--json'])
    assert.equal(transfer.exitCode, 1)
    assert.equal(JSON.parse(transfer.stdout).error.code, 'NO_LEADER')
    const elect = await runCli(['elect', '--home', h, '--peers', peers])
    assert.equal(elect.exitCode, 1)
    assert.match(elect.stderr, /^Error: no member answered/)
  })
})
