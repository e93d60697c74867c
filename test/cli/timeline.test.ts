/**
 * `dledger timeline` and `dledger sim --html` as a user runs them (the built CLI, spawned): the
 * page of a known kill-the-leader run says who led which term and how long the cluster had no
 * leader, the same from the trace and from the report; bad input is exit 2.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {Sandbox} from '../helpers/processes.js'
import {simKillRun, type KillRun} from '../helpers/sim-run.js'

interface TimelineJson {
  file: string
  members: string[]
  terms: {term: number; leaderId: string | null}[]
  leaderlessMs: number
  gaps: {fromMs: number; durationMs: number; open: boolean}[]
}

let sb: Sandbox
let run: KillRun

before(async () => {
  sb = new Sandbox('dledger-timeline-')
  run = await simKillRun(sb)
})
after(async () => sb.cleanup())

async function timeline(args: string[]): Promise<TimelineJson> {
  const r = await sb.run(['timeline', ...args, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as TimelineJson
}

describe('dledger timeline', () => {
  it('names the leader of every term of a sim trace, as the report lists them', async () => {
    const t = await timeline(['--from', run.traceFile, '-o', join(sb.home, 'trace.html')])
    assert.deepEqual(t.members, ['n0', 'n1', 'n2'])
    assert.deepEqual(
      t.terms.filter((x) => x.leaderId !== null).map((x) => [x.term, x.leaderId]),
      run.report.leaderChanges.map((c) => [c.term, c.leaderId]),
    )
  })

  it('shades the failover after the kill with the failover time the report measured', async () => {
    const failover = run.report.failovers[0]
    for (const from of [run.traceFile, run.reportFile]) {
      const t = await timeline(['--from', from, '-o', join(sb.home, 'x.html')])
      const gap = t.gaps.find((g) => g.fromMs === failover.atMs)
      assert.ok(gap, `${from}: a gap starts at the kill (${failover.atMs} ms): ${JSON.stringify(t.gaps)}`)
      assert.equal(gap.durationMs, failover.leaderlessMs)
    }
  })

  it('writes one self-contained page: inline script and style, nothing fetched', async () => {
    const out = join(sb.home, 'self.html')
    await timeline(['--from', run.reportFile, '-o', out])
    for (const file of [out, run.htmlFile]) {
      const html = readFileSync(file, 'utf8')
      assert.match(html, /^<!doctype html>/)
      assert.match(html, /<svg /)
      assert.match(html, /<script type="application\/json" id="timeline-data">\{/)
      assert.doesNotMatch(html, /\b(src|href)=["']?(https?:)?\/\//, `${file} loads nothing from the network`)
      assert.match(html, /connect-src 'none'/)
    }
  })

  it('reads member data directories given as arguments', async () => {
    const dir = join(sb.home, 'n9')
    const {mkdirSync} = await import('node:fs')
    mkdirSync(dir, {recursive: true})
    const rec = (ms: number, type: string, extra: object) => JSON.stringify({ts: new Date(Date.UTC(2026, 0, 1) + ms).toISOString(), node: 'n9', term: 1, type, ...extra})
    writeFileSync(join(dir, 'vote.log'), `${rec(0, 'ROLE_CHANGE', {from: 'CANDIDATE', to: 'LEADER', leaderId: 'n9', reason: 'elected'})}\n`)
    const t = await timeline([dir, '-o', join(sb.home, 'dir.html')])
    assert.deepEqual(t.terms, [{term: 1, leaderId: 'n9'}])
  })

  it('exits 2 with one line for a file that is not a run', async () => {
    const junk = join(sb.home, 'junk.txt')
    writeFileSync(junk, 'hello\n')
    for (const args of [['--from', junk], ['--from', join(sb.home, 'missing.json')], [join(sb.home, 'no-such-dir')]]) {
      const r = await sb.run(['timeline', ...args, '-o', join(sb.home, 'bad.html')])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /^Error: .+\n(Hint: .+\n)?$/)
    }
  })
})
