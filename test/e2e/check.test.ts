/**
 * `dledger check` end to end: three real `dledger start` members (fast timing, OS-chosen ports, a
 * temp DLEDGER_HOME) elect, lose their leader to kill -9 and take it back; the check finds their
 * vote logs and durable records sound, while running and once stopped. Then a double vote and a
 * second leader in one term are planted in the files, and the check names the file and line of
 * every record involved. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {CheckReport} from '../../src/cli/safety-check.js'
import {exited, oneLeader, processCluster, readVoteLog, type VoteLogLine} from '../helpers/cluster.js'
import type {CliResult} from '../helpers/processes.js'

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

const IDS = ['n0', 'n1', 'n2']
const highestTerm = (log: VoteLogLine[]) => Math.max(...log.map((r) => r.term))
const isAccept = (r: VoteLogLine) => r.type === 'VOTE_HANDLED' && r.voteResult === 'ACCEPT'
const isLeader = (r: VoteLogLine) => r.type === 'ROLE_CHANGE' && r.to === 'LEADER'

describe('dledger check (real processes)', () => {
  it('finds a real cluster sound, then names file and line of a planted double vote and of two leaders in one term', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-check-')
    for (let i = 0; i < 3; i++) c.start(i)
    const first = await oneLeader(c, [0, 1, 2])
    // a failover and a restart, so the history spans several terms and a restart
    await c.kill9(first.leader)
    await oneLeader(c, [0, 1, 2].filter((i) => i !== first.leader))
    c.start(first.leader)
    await oneLeader(c, [0, 1, 2])

    // while the members run (DLEDGER_HOME holds their data directories n0, n1, n2)
    const live = await c.sb.run(['check'])
    assert.equal(live.code, 0, explain(live))
    assert.match(live.stdout, /of 3 members/)

    // a clean stop without the hand-off, so no election runs while they stop
    for (const child of c.children) child?.kill('SIGUSR2')
    for (const child of c.children) if (child) assert.equal((await exited(child)).code, 0, child.output())

    const stopped = await c.sb.run(['check', '--json'])
    assert.equal(stopped.code, 0, explain(stopped))
    const clean = JSON.parse(stopped.stdout) as CheckReport
    assert.equal(clean.ok, true)
    assert.deepEqual(
      clean.members.map((m) => m.id),
      IDS,
    )
    assert.ok(clean.leaders.length >= 2, `leaders of the first term and after the failover: ${JSON.stringify(clean.leaders)}`)
    assert.ok(clean.members.every((m) => m.durable !== null && m.records > 0))

    // a voter whose last term holds its ACCEPT, and that term's leader
    const logs = IDS.map((_, i) => readVoteLog(c.dataDir(i)))
    const voter = logs.findIndex((log) => log.some((r) => isAccept(r) && r.term === highestTerm(log)))
    assert.ok(voter >= 0, 'some member accepted a candidate in its last term')
    const log = logs[voter]
    const term = highestTerm(log)
    const acceptLine = log.findIndex((r) => isAccept(r) && r.term === term) + 1
    const candidate = String(log[acceptLine - 1].candidate)
    const other = IDS.find((id) => id !== candidate && id !== IDS[voter]) as string
    const leaderIndex = logs.findIndex((l) => l.some((r) => isLeader(r) && r.term === term))
    assert.ok(leaderIndex >= 0 && leaderIndex !== voter, `a leader of term ${term} other than ${IDS[voter]}`)
    const leaderLine = logs[leaderIndex].findIndex((r) => isLeader(r) && r.term === term) + 1

    // plant, after its last record: a second ACCEPT in that term, then the voter claiming to lead it
    const file = join(c.dataDir(voter), 'vote.log')
    const ts = new Date(Date.parse(log.at(-1)!.ts) + 1).toISOString()
    const node = IDS[voter]
    appendFileSync(file, `${JSON.stringify({ts, node, term, type: 'VOTE_HANDLED', candidate: other, voteResult: 'ACCEPT', requestTerm: term})}\n`)
    appendFileSync(file, `${JSON.stringify({ts, node, term, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'LEADER', leaderId: node, reason: 'forged'})}\n`)
    const forgedVoteLine = log.length + 1
    const forgedLeaderLine = log.length + 2

    // one directory per member, as gathered from several hosts
    const dirs = [0, 1, 2].map((i) => c.dataDir(i))
    const planted = await c.sb.run(['check', ...dirs, '--json'])
    assert.equal(planted.code, 1, explain(planted))
    const report = JSON.parse(planted.stdout) as CheckReport
    const cite = (i: number, line: number) => `${join(c.dataDir(i), 'vote.log')}:${line}`
    assert.deepEqual(
      report.violations.map((v) => ({invariant: v.invariant, term: v.term, at: v.evidence.map((e) => `${e.file}:${e.line}`).sort()})),
      [
        {invariant: 'ONE_LEADER_PER_TERM', term, at: [cite(leaderIndex, leaderLine), cite(voter, forgedLeaderLine)].sort()},
        {invariant: 'ONE_VOTE_PER_TERM', term, at: [cite(voter, acceptLine), cite(voter, forgedVoteLine)].sort()},
      ],
      planted.stdout,
    )

    // the readable report names each file:line too
    const text = await c.sb.run(['check'])
    assert.equal(text.code, 1, explain(text))
    assert.match(text.stdout, /^2 violations:$/m)
    for (const at of [cite(leaderIndex, leaderLine), cite(voter, forgedLeaderLine), cite(voter, acceptLine), cite(voter, forgedVoteLine)])
      assert.ok(text.stdout.includes(`  ${at}  `), `${at} in:\n${text.stdout}`)
  })
})
