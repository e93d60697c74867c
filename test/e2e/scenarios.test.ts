/**
 * One script, two worlds (issue 10, item 5): every scenario in test/scenarios/ passes in the
 * simulator (`dledger sim`, a few seeds) and on real processes (`dledger test`: a real local
 * cluster, the fault layer, SIGKILL/SIGSTOP, then the safety check over the vote logs). The
 * partition and pause scenarios also pin the "done when": the minority leader steps down
 * and the majority elects another; a paused leader is replaced and steps down on resume, with
 * never two leaders in one term. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import type {RealTestReport} from '../../src/cli/real-cluster/report.js'
import type {SimReport} from '../../src/sim/report.js'
import {testRunSandbox} from '../helpers/cluster.js'
import {type CliResult, REPO_ROOT, Sandbox} from '../helpers/processes.js'

const DIR = join(REPO_ROOT, 'test', 'scenarios')
const SCENARIOS = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-2000)}`
}

async function realRun(t: TestContext, file: string): Promise<RealTestReport> {
  const sb = testRunSandbox(t)
  // the user's own cluster, exported in the shell, stays out of the test's cluster
  const env = {DLEDGER_PEERS: 'n0-127.0.0.1:1', DLEDGER_TOKEN: 'the-users-own-cluster'}
  const r = await sb.run(['test', join(DIR, file), '--seed', '1', '--json', '--home', join(sb.home, 'home')], {timeoutMs: 90_000, env})
  assert.equal(r.code, 0, explain(r))
  const report = JSON.parse(r.stdout) as RealTestReport
  assert.deepEqual(report.violations, [], explain(r))
  assert.ok(report.expectations.length > 0 && report.expectations.every((e) => e.ok), explain(r))
  assert.ok(report.check.records > 0, 'the safety check read the vote logs')
  return report
}

describe('the scenario directory in the simulator', () => {
  for (const file of SCENARIOS) {
    it(`${file} passes in simulated time (seeds 1-3)`, async (t) => {
      const sb = new Sandbox('dledger-e2e-scenario-sim-')
      t.after(() => sb.cleanup())
      for (const seed of [1, 2, 3]) {
        const r = await sb.run(['sim', '--script', join(DIR, file), '--timing', 'fast', '--seed', String(seed), '--json'])
        assert.equal(r.code, 0, `seed ${seed}: ${explain(r)}`)
        const report = JSON.parse(r.stdout) as SimReport
        assert.deepEqual(report.violations, [])
        assert.ok(report.expectations.every((e) => e.ok))
      }
    })
  }
})

describe('the scenario directory on real processes (dledger test)', () => {
  for (const file of SCENARIOS) {
    it(`${file} passes on a real cluster with no violation in its vote logs`, async (t) => {
      const report = await realRun(t, file)
      if (file === 'partitioned-leader.txt') {
        const cutOff = report.timeline.find((e) => /partition leader \| followers → (\S+) \|/.test(e.text))
        const old = /→ (\S+) \|/.exec(cutOff?.text ?? '')?.[1]
        assert.ok(old !== undefined, 'the partition line names the leader it cut off')
        assert.ok(report.timeline.some((e) => e.kind === 'step-down' && e.text.startsWith(`${old} steps down`)), `the minority leader ${old} steps down`)
        assert.ok(report.leaderChanges.some((c) => c.leaderId !== old && c.atMs > cutOff!.atMs), 'a member of the majority leads')
      }
      if (file === 'paused-leader.txt') {
        const paused = report.failovers.find((f) => f.cause === 'pause')
        assert.ok(paused?.recovered === true && paused.to !== null && paused.to !== paused.from, `a new leader while ${paused?.from} is paused`)
        const resumed = report.timeline.find((e) => / resumed after 5s$/.test(e.text))!
        assert.ok(report.timeline.some((e) => e.kind === 'step-down' && e.text.startsWith(`${paused.from} steps down`) && e.atMs >= resumed.atMs), 'the old leader steps down on resume')
        for (const c of report.leaderChanges)
          assert.ok(report.leaderChanges.every((d) => d.term !== c.term || d.leaderId === c.leaderId), `one leader in term ${c.term}`)
      }
    })
  }
})
