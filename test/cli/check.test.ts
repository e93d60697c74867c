/**
 * `dledger check` in-process over member directories written here: where it finds members (a
 * home, members side by side, one directory each), rotated files in order, file:line of each
 * record, corrupt lines, --json, and the exit codes 0 / 1 / 2. Real members are in test/e2e/check.test.ts.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {collectMemberDirs, readMemberHistory} from '../../src/cli/history-source.js'
import type {CheckReport} from '../../src/cli/safety-check.js'
import {runCli} from '../helpers/run-cli.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-check-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const T0 = Date.parse('2026-11-25T12:00:00.000Z')
let clock = 0
const line = (node: string, term: number, type: string, fields: Record<string, unknown> = {}) =>
  JSON.stringify({ts: new Date(T0 + clock++).toISOString(), node, term, type, ...fields})
const leader = (node: string, term: number) => line(node, term, 'ROLE_CHANGE', {from: 'CANDIDATE', to: 'LEADER', leaderId: node, reason: 'elected'})
const follower = (node: string, term: number, leaderId: string) => line(node, term, 'ROLE_CHANGE', {from: 'CANDIDATE', to: 'FOLLOWER', leaderId, reason: 'heartbeat'})
const accept = (voter: string, term: number, candidate: string) => line(voter, term, 'VOTE_HANDLED', {candidate, voteResult: 'ACCEPT', requestTerm: term})

/** Writes a member directory: vote-log files (name → lines) and maybe a durable record. */
function writeMember(dir: string, files: Record<string, string[]>, durable?: {currTerm: number; currVoteFor: string | null} | string): string {
  mkdirSync(dir, {recursive: true})
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), lines.map((l) => `${l}\n`).join(''))
  if (durable !== undefined) writeFileSync(join(dir, 'state.json'), typeof durable === 'string' ? durable : `${JSON.stringify(durable)}\n`)
  return dir
}

/** A sound 3-member history of terms 1 and 2 in `<home>/data/default/`. */
function soundHome(home: string): string[] {
  const data = join(home, 'data', 'default')
  return [
    writeMember(join(data, 'n0'), {'vote.log': [leader('n0', 1), follower('n0', 2, 'n1')]}, {currTerm: 2, currVoteFor: 'n1'}),
    writeMember(join(data, 'n1'), {'vote.log': [accept('n1', 1, 'n0'), follower('n1', 1, 'n0'), leader('n1', 2)]}, {currTerm: 2, currVoteFor: 'n1'}),
    writeMember(join(data, 'n2'), {'vote.log': [accept('n2', 1, 'n0'), follower('n2', 1, 'n0'), accept('n2', 2, 'n1'), follower('n2', 2, 'n1')]}, {currTerm: 2, currVoteFor: 'n1'}),
  ]
}

describe('dledger check', () => {
  it("checks this home's members (--home or DLEDGER_HOME) and exits 0 when they are sound", async (t) => {
    const home = tempDir(t)
    soundHome(home)
    const r = await runCli(['check', '--home', home])
    assert.equal(r.exitCode, 0, r.stderr)
    assert.match(r.stdout, /^n1 +2 +2\/n1 +3 +.*data\/default\/n1$/m)
    assert.match(r.stdout, /read 9 records in 3 vote-log files of 3 members; 2 terms with a leader/)
    assert.match(r.stdout, /^OK: /m)
    const env = await runCli(['check'], {DLEDGER_HOME: home})
    assert.equal(env.exitCode, 0, env.stderr)
    assert.match(env.stdout, /3 members/)
  })

  it('exits 1 on a double vote and names the file and line of each ACCEPT, with --json too', async (t) => {
    const home = tempDir(t)
    const [, , n2] = soundHome(home)
    // a forged second ACCEPT in term 2 (n2 voted for n1 on line 3), appended as line 5 of n2's vote.log
    writeFileSync(join(n2, 'vote.log'), `${accept('n2', 2, 'n0')}\n`, {flag: 'a'})
    const r = await runCli(['check', '--home', home])
    assert.equal(r.exitCode, 1, r.stderr)
    assert.match(r.stdout, /^1 violation:$/m)
    assert.match(r.stdout, /^ONE_VOTE_PER_TERM: n2 voted for 2 candidates in term 2: n1 and n0$/m)
    assert.ok(r.stdout.includes(`  ${join(n2, 'vote.log')}:3  `), r.stdout)
    assert.ok(r.stdout.includes(`  ${join(n2, 'vote.log')}:5  `), r.stdout)

    const j = await runCli(['check', '--home', home, '--json'])
    assert.equal(j.exitCode, 1, j.stderr)
    const report = JSON.parse(j.stdout) as CheckReport
    assert.equal(report.ok, false)
    assert.deepEqual(
      report.violations.map((v) => ({invariant: v.invariant, term: v.term, node: v.node, at: v.evidence.map((e) => `${e.file}:${e.line}`)})),
      [{invariant: 'ONE_VOTE_PER_TERM', term: 2, node: 'n2', at: [`${join(n2, 'vote.log')}:3`, `${join(n2, 'vote.log')}:5`]}],
    )
    assert.deepEqual(report.leaders, [
      {group: 'default', term: 1, node: 'n0'},
      {group: 'default', term: 2, node: 'n1'},
    ])
  })

  it('reads vote.log.3 … vote.log.1 before vote.log, so a term going down across a rotation names both files', async (t) => {
    const dir = writeMember(join(tempDir(t), 'n0'), {
      'vote.log.2': [leader('n0', 1)],
      'vote.log.1': [follower('n0', 6, 'n1')],
      'vote.log': [follower('n0', 6, 'n1'), follower('n0', 4, 'n2')],
    })
    const r = await runCli(['check', dir, '--json'])
    assert.equal(r.exitCode, 1, r.stderr)
    const report = JSON.parse(r.stdout) as CheckReport
    assert.deepEqual(report.members[0].files, ['vote.log.2', 'vote.log.1', 'vote.log'].map((f) => join(dir, f)))
    assert.deepEqual(
      report.violations.map((v) => [v.invariant, v.detail, v.evidence.map((e) => `${e.file}:${e.line}`)]),
      [['TERM_NEVER_DECREASES', 'n0 went back from term 6 to term 4', [`${join(dir, 'vote.log.1')}:1`, `${join(dir, 'vote.log')}:2`]]],
    )
  })

  it('skips corrupt lines and a corrupt durable record with a warning, counts them, and keeps true line numbers', async (t) => {
    const root = tempDir(t)
    const n0 = writeMember(join(root, 'n0'), {'vote.log': [leader('n0', 1), '{torn', '', 'not json', leader('n0', 1)]}, '{"currTerm": "x"')
    const n1 = writeMember(join(root, 'n1'), {'vote.log': [follower('n1', 1, 'n0'), '[]', leader('n1', 1)]})
    const r = await runCli(['check', n0, n1])
    assert.equal(r.exitCode, 1, r.stderr)
    assert.match(r.stdout, /skipped 4 corrupt lines/)
    assert.match(r.stdout, new RegExp(`^warning: skipped 2 corrupt lines in ${join(n0, 'vote.log')}$`, 'm'))
    assert.match(r.stdout, new RegExp(`^warning: skipped 1 corrupt line in ${join(n0, 'state.json')}$`, 'm'))
    assert.match(r.stdout, /^ONE_LEADER_PER_TERM: 2 leaders in term 1: n0 and n1$/m)
    assert.ok(r.stdout.includes(`  ${join(n0, 'vote.log')}:1  `) && r.stdout.includes(`  ${join(n1, 'vote.log')}:3  `), r.stdout)

    const j = await runCli(['check', n0, n1, '--json'])
    const report = JSON.parse(j.stdout) as CheckReport
    assert.equal(report.corruptLines, 4)
    assert.equal(report.members[0].durable, null)
    assert.match(j.stderr, /warning: skipped 2 corrupt lines in .*n0\/vote\.log/)
  })

  it('finds members side by side in one directory, counts a member given twice once, and joins lone members to the one group', (t) => {
    const root = tempDir(t)
    const home = join(root, 'home')
    const [n0] = soundHome(home)
    const n3 = writeMember(join(root, 'collected', 'n3'), {'vote.log': [follower('n3', 2, 'n1')]})
    writeMember(join(root, 'collected', 'n4'), {}, {currTerm: 0, currVoteFor: null})
    mkdirSync(join(root, 'collected', 'empty'))
    const found = collectMemberDirs([home, n0, join(root, 'collected')])
    assert.deepEqual(
      found.map((m) => [m.dir.slice(root.length + 1), m.group]),
      [
        ['home/data/default/n0', 'default'],
        ['home/data/default/n1', 'default'],
        ['home/data/default/n2', 'default'],
        ['collected/n3', 'default'],
        ['collected/n4', 'default'],
      ],
    )
    const history = readMemberHistory({dir: n3, group: null})
    assert.deepEqual(history.records.map((r) => r.at), [{file: join(n3, 'vote.log'), line: 1}])
  })

  it('exits 2 with one line when there is nothing to read: a missing directory, a file, a directory without members', async (t) => {
    const root = tempDir(t)
    writeFileSync(join(root, 'file'), 'x')
    mkdirSync(join(root, 'empty'))
    for (const [args, pattern] of [
      [[join(root, 'missing')], /missing: no such directory$/],
      [[join(root, 'file')], /file: not a directory$/],
      [[join(root, 'empty')], /empty: no vote log \(vote\.log\) or durable record \(state\.json\)/],
      [['--home', join(root, 'empty')], /empty: no vote log/],
    ] as const) {
      const r = await runCli(['check', ...args])
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`)
      const lines = r.stderr.split('\n')
      assert.match(lines[0], /^Error: /)
      assert.match(lines[0], pattern)
      assert.match(lines[1], /^Hint: /)
      assert.equal(r.stdout, '')
    }
    const j = await runCli(['check', join(root, 'missing'), '--json'])
    assert.equal(j.exitCode, 2)
    assert.equal((JSON.parse(j.stdout) as {error: {code: string}}).error.code, 'NOTHING_TO_CHECK')
  })
})

describe('dledger check --help', () => {
  it('names the invariants, the exit codes and shows examples', async () => {
    const r = await runCli(['check', '--help'])
    assert.equal(r.exitCode, 0, r.stderr)
    for (const text of ['ONE_LEADER_PER_TERM', 'ONE_VOTE_PER_TERM', 'TERM_NEVER_DECREASES', 'Exit codes: 0', 'EXAMPLES', '$ dledger check ./host-a/n0 ./host-b/n1 ./host-c/n2'])
      assert.ok(r.stdout.includes(text), `${text} in:\n${r.stdout}`)
  })
})
