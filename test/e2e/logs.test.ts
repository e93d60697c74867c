/**
 * `dledger logs` and `start --on-role-change` end to end: three real `dledger start` members of a
 * profile (fast timing) whose role-change hook appends to a file; `logs --json` over their files
 * and over their WebSockets; `logs -f` while leadership is transferred and a member restarts;
 * `logs` again once every member has stopped. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {type CliResult, freePorts, peersFor, Sandbox, waitFor, waitForExit} from '../helpers/processes.js'

interface Record {
  ts: string
  node: string
  term: number
  type: string
  [k: string]: unknown
}

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

function jsonLines(stdout: string): Record[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record)
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'gm')) ?? []).length

describe('dledger logs and role-change hooks (real processes)', () => {
  it('shows the leader\'s ROLE_CHANGE, follows a transfer and a restart live, runs the hooks, and reads stopped members from their files', async (t) => {
    const sb = new Sandbox('dledger-e2e-logs-')
    t.after(() => sb.cleanup())
    const ports = await freePorts(3)
    const peers = peersFor(ports)
    const init = await sb.run(['init', '--peers', peers, '--timing', 'fast'])
    assert.equal(init.code, 0, explain(init))

    const hookFile = join(sb.home, 'roles.txt')
    const hook = `echo "$DLEDGER_ID $DLEDGER_ROLE $DLEDGER_TERM $DLEDGER_LEADER" >> '${hookFile}'`
    const start = (id: string) => sb.spawn(['start', '--id', id, '--on-role-change', hook])
    const members = new Map(['n0', 'n1', 'n2'].map((id) => [id, start(id)]))
    const diag = () => [...members.entries()].map(([id, m]) => `--- ${id}\n${m.output().split('\n').slice(-10).join('\n')}`).join('\n')
    const hookLines = () => (existsSync(hookFile) ? readFileSync(hookFile, 'utf8').split('\n').filter(Boolean) : [])

    const leaderRun = await sb.run(['leader', '--wait', '15000', '--json'])
    assert.equal(leaderRun.code, 0, `${explain(leaderRun)}\n${diag()}`)
    const {leaderId: leader, term} = JSON.parse(leaderRun.stdout) as {leaderId: string; term: number}
    const followers = [...members.keys()].filter((id) => id !== leader)

    // logs --json (files in the profile's home): the leader's ROLE_CHANGE to LEADER in its term, with a reason
    const logs = await sb.run(['logs', '--json'])
    assert.equal(logs.code, 0, explain(logs))
    const records = jsonLines(logs.stdout)
    assert.ok(records.every((r) => typeof r.ts === 'string' && typeof r.node === 'string' && Number.isInteger(r.term) && typeof r.type === 'string'))
    assert.ok(
      records.every((r, i) => i === 0 || Date.parse(records[i - 1].ts) <= Date.parse(r.ts)),
      'merged in time order',
    )
    const elected = records.find((r) => r.type === 'ROLE_CHANGE' && r.node === leader && r.to === 'LEADER' && r.term === term)
    assert.ok(elected, `no ROLE_CHANGE to LEADER of ${leader} in term ${term}:\n${logs.stdout}`)
    assert.match(String(elected.reason), /^elected with [23]\/3 votes in term \d+$/)

    // the same over the members' WebSockets (--peers: no profile, members asked first)
    const remote = await sb.run(['logs', '--peers', peers, '--json', '--type', 'ROLE_CHANGE', '--node', leader])
    assert.equal(remote.code, 0, explain(remote))
    const remoteRecords = jsonLines(remote.stdout)
    assert.ok(remoteRecords.every((r) => r.type === 'ROLE_CHANGE' && r.node === leader))
    assert.ok(remoteRecords.some((r) => r.to === 'LEADER' && r.term === term), remote.stdout)

    // the hooks saw the roles of this term
    await waitFor('the hooks of the first election', () => {
      const lines = hookLines()
      return lines.includes(`${leader} LEADER ${term} ${leader}`) && followers.every((f) => lines.includes(`${f} FOLLOWER ${term} ${leader}`))
    }, 10_000).catch((error: Error) => assert.fail(`${error.message}\n${hookLines().join('\n')}`))

    // logs -f: the history first, then a transfer as it happens
    const follow = sb.spawn(['logs', '-f', '--type', 'ROLE_CHANGE,LEADERSHIP_TRANSFER'])
    await waitFor('logs -f to print the history', () => new RegExp(`^\\S+ ${leader} term ${term} ROLE_CHANGE CANDIDATE -> LEADER`, 'm').test(follow.output()), 10_000)
    const [to, other] = followers
    const transfer = await sb.run(['transfer-leader', '--to', to, '--json'])
    assert.equal(transfer.code, 0, `${explain(transfer)}\n${diag()}`)
    const newTerm = (JSON.parse(transfer.stdout) as {term: number}).term
    assert.ok(newTerm > term)
    await waitFor(
      'logs -f to show the transfer',
      () => {
        const out = follow.output()
        return (
          new RegExp(`^\\S+ ${to} term ${newTerm} ROLE_CHANGE CANDIDATE -> LEADER \\(elected`, 'm').test(out) &&
          new RegExp(`^\\S+ ${leader} term \\d+ ROLE_CHANGE LEADER -> CANDIDATE`, 'm').test(out) &&
          new RegExp(`^\\S+ ${leader} term \\d+ LEADERSHIP_TRANSFER REQUESTED to ${to}`, 'm').test(out) &&
          new RegExp(`^\\S+ ${leader} term ${newTerm} LEADERSHIP_TRANSFER COMPLETED to ${to}`, 'm').test(out)
        )
      },
      10_000,
    ).catch((error: Error) => assert.fail(`${error.message}\n${follow.output()}`))

    // a member restarts: -f reconnects and shows what it logged meanwhile
    const rejoined = new RegExp(`^\\S+ ${other} term \\d+ ROLE_CHANGE CANDIDATE -> FOLLOWER`)
    const before = count(follow.output(), rejoined)
    members.get(other)?.kill('SIGTERM')
    assert.equal((await waitForExit(members.get(other)!)).code, 0)
    await waitFor(`logs -f to notice that ${other} went away`, () => follow.output().includes(`-- ${other}: connection closed`), 10_000)
    members.set(other, start(other))
    await waitFor(
      `logs -f to follow ${other} again`,
      () => follow.output().includes(`-- ${other}: following again`) && count(follow.output(), rejoined) > before,
      15_000,
    ).catch((error: Error) => assert.fail(`${error.message}\n${follow.output()}\n${diag()}`))

    follow.kill('SIGINT')
    assert.equal((await waitForExit(follow)).code, 0, follow.output())

    // the hooks saw the transfer: the new leader LEADER, the old one FOLLOWER, in the new term
    await waitFor('the hooks of the transfer', () => {
      const lines = hookLines()
      return lines.includes(`${to} LEADER ${newTerm} ${to}`) && lines.includes(`${leader} FOLLOWER ${newTerm} ${to}`)
    }, 10_000).catch((error: Error) => assert.fail(`${error.message}\n${hookLines().join('\n')}`))

    // every member stopped: logs still reads their files
    for (const m of members.values()) m.kill('SIGTERM')
    for (const m of members.values()) assert.equal((await waitForExit(m)).code, 0, m.output())
    const stopped = await sb.run(['logs', '--type', 'ROLE_CHANGE'])
    assert.equal(stopped.code, 0, explain(stopped))
    assert.match(stopped.stdout, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${to} term ${newTerm} ROLE_CHANGE CANDIDATE -> LEADER \\(elected with [23]/3 votes in term ${newTerm}\\)$`, 'm'))
    const lastThree = await sb.run(['logs', '--json', '-n', '3'])
    assert.equal(lastThree.code, 0, explain(lastThree))
    assert.equal(jsonLines(lastThree.stdout).length, 3)
  })
})
