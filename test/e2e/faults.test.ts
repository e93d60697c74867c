/**
 * `dledger fault …`, `dledger pause`/`resume` and `dledger test`'s exits, end to end on real
 * processes (issue 10, items 1-3): a partition set by the command shows in `status` (FAULTS, and
 * `faults` in --json) and in the vote logs, elects a leader in the majority, and heals; a paused
 * leader is replaced and steps down on resume; a bad script is exit 2 before anything starts;
 * Ctrl-C stops the cluster `dledger test` started and exits 130.
 */
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import type {FaultResult} from '../../src/cli/fault-command.js'
import {isRecordedMember, type RunRecord} from '../../src/cli/local-members.js'
import type {ClusterStatus} from '../../src/wire/status.js'
import {sandbox, trackUpMembers} from '../helpers/cluster.js'
import {type CliResult, freePorts, waitFor} from '../helpers/processes.js'

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

describe('dledger fault, pause and resume (real processes)', () => {
  it('a partition of the leader shows in status and the vote logs, moves leadership to the majority, and heals', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-fault-')
    const ports = await freePorts(3)
    const up = await sb.run(['up', '--peers', ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';'), '--timing', 'fast'])
    trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    const status = async () => JSON.parse((await sb.run(['status', '--json'])).stdout) as ClusterStatus
    const before = await status()
    const old = before.leaderId!

    const cut = await sb.run(['fault', 'partition', 'leader', '|', 'followers', '--json'])
    assert.equal(cut.code, 0, explain(cut))
    const result = JSON.parse(cut.stdout) as FaultResult
    assert.match(result.operation!, new RegExp(`^partition ${old} \\| `))
    const oldFaults = result.members.find((m) => m.id === old)!.faults!
    assert.deepEqual(oldFaults.dropTo, oldFaults.dropFrom)
    assert.equal(oldFaults.dropTo.length, 2)

    const moved = await waitFor('a leader in the majority, in a higher term', async () => {
      const s = await status()
      return s.leaderId !== null && s.leaderId !== old && s.term! > before.term! ? s : null
    })
    assert.deepEqual(moved.members.find((m) => m.id === old)!.faults, oldFaults, '`faults` in status --json')
    const table = await sb.run(['status'])
    assert.match(table.stdout, /PREFERRED\s+FAULTS\s+STATUS/)
    assert.match(table.stdout, new RegExp(`${old} .*cut off n\\d,n\\d`))
    const logs = await sb.run(['logs', '--type', 'FAULTS'])
    assert.match(logs.stdout, new RegExp(`${old} term \\d+ FAULTS faults now cut off`))

    const heal = await sb.run(['fault', 'heal'])
    assert.equal(heal.code, 0, explain(heal))
    await waitFor('every member follows one leader, no fault left', async () => {
      const s = await status()
      return s.members.every((m) => m.faults === null && m.leaderId === s.leaderId && m.term === s.term) ? s : null
    })
    const list = await sb.run(['fault', 'list'])
    assert.equal(list.stdout.trim().split('\n').filter((l) => / none$/.test(l)).length, 3, explain(list))
    assert.equal((await sb.run(['fault', 'cut', 'n1', 'n0'])).code, 2, 'a cut without "->" is a usage error')
    assert.equal((await sb.run(['fault', 'loss', '1.5'])).code, 2)

    // a paused leader is replaced, and steps down once it continues
    const leader = (await status()).leaderId!
    const pause = await sb.run(['pause', leader, '--for', '2s', '--json'])
    assert.equal(pause.code, 0, explain(pause))
    assert.equal((JSON.parse(pause.stdout) as {state: string}).state, 'resumed')
    const after = await waitFor('the paused leader follows the new one', async () => {
      const s = await status()
      const self = s.members.find((m) => m.id === leader)
      return s.leaderId !== leader && self?.role === 'FOLLOWER' && self.term === s.term ? s : null
    })
    assert.notEqual(after.leaderId, leader)
    const check = await sb.run(['check'])
    assert.equal(check.code, 0, explain(check))
  })
})

describe('dledger test: exits', () => {
  it('a bad script is exit 2 with its line, before any member starts', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-test-bad-')
    const script = join(sb.home, 'bad.txt')
    writeFileSync(script, 'at 1s kill leader\nat 2s pause n7\n')
    const r = await sb.run(['test', script, '--home', join(sb.home, 'run-home')])
    assert.equal(r.code, 2, explain(r))
    assert.match(r.stderr, /line 2: unknown member "n7"/)
    assert.equal(existsSync(join(sb.home, 'run-home')), false)
  })

  it('Ctrl-C stops the cluster it started and exits 130', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-test-int-')
    const script = join(sb.home, 'long.txt')
    writeFileSync(script, 'at 30s heal\n')
    const home = join(sb.home, 'run-home')
    const child = sb.spawn(['test', script, '--home', home, '--keep'])
    const runDir = join(home, 'run')
    const records = await waitFor('the script to start', () => (existsSync(runDir) && /running/.test(child.output()) ? readdirSync(runDir).map((f) => JSON.parse(readFileSync(join(runDir, f), 'utf8')) as RunRecord) : null), 30_000)
    for (const r of records) sb.track(r.pid)
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    assert.equal(code, 130, child.output())
    for (const r of records) assert.equal(isRecordedMember(r), false, `${r.id} is stopped`)
  })
})
