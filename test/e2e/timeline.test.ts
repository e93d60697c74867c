/**
 * `dledger timeline` on a real cluster's vote logs: after the leader is killed with SIGKILL (it
 * logs nothing about its end), the page still says who led which term and how long the cluster had
 * no leader — read from the followers' heartbeat timeouts. And `dledger test --html` draws its own
 * cluster's run as the same page, failing or not. Real processes, fast timing, a temp home.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {it} from 'node:test'
import {pathToFileURL} from 'node:url'

import type {RealTestReport} from '../../src/cli/real-cluster/report.js'
import type {TimelineModel} from '../../src/cli/timeline/model.js'
import {browserSkipReason, launchBrowser, screenshotDir} from '../helpers/browser.js'
import {testRunSandbox, trackUpMembers} from '../helpers/cluster.js'
import {explain, freePorts, peersFor, Sandbox, waitFor} from '../helpers/processes.js'

interface StatusJson {
  leaderId: string | null
  term: number | null
  members: {id: string; pid: number | null}[]
}

it('names the leader of each term and the leaderless gap after a kill -9 of the leader', async (t) => {
  const sb = new Sandbox('dledger-timeline-e2e-')
  t.after(async () => {
    trackUpMembers(sb)
    await sb.run(['down', '--timeout', '3000']).catch(() => undefined)
    await sb.cleanup()
  })
  const up = await sb.run(['up', '--peers', peersFor(await freePorts(3)), '--timing', 'fast'])
  trackUpMembers(sb)
  assert.equal(up.code, 0, up.stderr)
  const status = async () => JSON.parse((await sb.run(['status', '--json'])).stdout) as StatusJson
  const before = await waitFor('a leader', async () => {
    const s = await status()
    return s.leaderId !== null ? s : null
  })
  const old = before.members.find((m) => m.id === before.leaderId)
  assert.ok(old?.pid)
  process.kill(old.pid, 'SIGKILL')
  const after = await waitFor('a new leader', async () => {
    const s = await status()
    return s.leaderId !== null && s.leaderId !== before.leaderId ? s : null
  })

  const out = join(sb.home, 'kill.html')
  const r = await sb.run(['timeline', '-o', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const tl = JSON.parse(r.stdout) as {
    members: string[]
    terms: {term: number; leaderId: string | null}[]
    leaders: {node: string; term: number; fromMs: number; toMs: number}[]
    gaps: {fromMs: number; toMs: number; durationMs: number; open: boolean}[]
  }
  assert.deepEqual(tl.members, ['n0', 'n1', 'n2'])
  const led = new Map(tl.terms.map((x) => [x.term, x.leaderId]))
  assert.equal(led.get(before.term as number), before.leaderId)
  assert.equal(led.get(after.term as number), after.leaderId)
  const failover = tl.gaps.filter((g) => g.fromMs > 0)
  assert.equal(failover.length, 1, JSON.stringify(tl.gaps))
  assert.ok(failover[0].durationMs > 0 && !failover[0].open, JSON.stringify(failover))
  // the killed leader's band ends where the gap begins; the new leader's band begins where it ends
  const oldBand = tl.leaders.find((l) => l.node === before.leaderId && l.term === before.term)
  const newBand = tl.leaders.find((l) => l.node === after.leaderId && l.term === after.term)
  assert.equal(oldBand?.toMs, failover[0].fromMs, JSON.stringify(tl.leaders))
  assert.equal(newBand?.fromMs, failover[0].fromMs + failover[0].durationMs, JSON.stringify(tl.leaders))
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/)
})

it('draws a failing dledger test run as the same page: a lane per member, the script’s faults as markers', async (t) => {
  const sb = testRunSandbox(t, 'dledger-timeline-test-run-')
  const script = join(sb.home, 'faults.txt')
  writeFileSync(
    script,
    [
      'at 1s kill leader',
      'at 1s expect leader any within 4s',
      'at 2500ms restart killed',
      'at 3s isolate follower',
      'at 4s heal',
      // a follower: right after the heal the cluster may be between leaders
      'at 4500ms pause follower for 1s',
      // fails: the page matters most when the run does
      'at 6s expect term >= 99',
    ].join('\n'),
  )
  const out = join(sb.home, 'run.html')
  const r = await sb.run(['test', script, '--seed', '1', '--json', '--html', out, '--home', join(sb.home, 'home')], {timeoutMs: 90_000})
  assert.equal(r.code, 1, explain(r))
  const report = JSON.parse(r.stdout) as RealTestReport
  assert.deepEqual(
    report.expectations.filter((e) => !e.ok).map((e) => e.line),
    [7],
  )

  const html = readFileSync(out, 'utf8')
  assert.match(html, /^<!doctype html>/)
  assert.doesNotMatch(html, /\b(src|href)=["']?(https?:)?\/\//, 'the page loads nothing from the network')
  assert.match(html, /connect-src 'none'/)
  const model = JSON.parse(/<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? 'null') as TimelineModel
  assert.deepEqual(model.members, ['n0', 'n1', 'n2'])
  assert.equal(model.clock, 'wall')
  assert.ok(model.ballots.length > 0 && model.bands.some((b) => b.role === 'LEADER'), 'drawn from the members’ own vote logs')

  // who each line hit, as the report says it (`line 1: kill leader → n1`)
  const hit = (line: number) => /→ (n\d)/.exec(report.timeline.find((e) => e.kind === 'script' && e.text.startsWith(`line ${line}:`))?.text ?? '')?.[1]
  const marks = model.markers.filter((m) => m.kind !== 'heartbeat-timeout' && m.kind !== 'quorum-lost' && m.kind !== 'transfer').map((m) => [m.kind, m.node])
  assert.deepEqual(marks, [
    ['kill', hit(1)],
    ['restart', hit(1)],
    ['isolate', hit(4)],
    ['heal', null],
    ['pause', hit(6)],
    ['resume', hit(6)],
  ])

  // and in a real browser, when there is one: the lanes and the markers are drawn
  const skip = browserSkipReason()
  if (skip !== undefined) return t.diagnostic(`browser check skipped: ${skip}`)
  const {page} = await launchBrowser(t)
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(pathToFileURL(out).href)
  assert.deepEqual(await page.locator('[data-lane]').allTextContents(), ['n0', 'n1', 'n2'])
  for (const [kind, node] of marks) assert.equal(await page.locator(`g.marker[data-kind="${kind}"]${node === null ? '' : `[data-node="${node}"]`}`).count(), 1, `${kind} ${node ?? ''}`)
  const file = join(screenshotDir(), 'test-run.png')
  await page.screenshot({path: file, fullPage: true})
  t.diagnostic(`screenshot: ${file}`)
  assert.deepEqual(errors, [])
})

it('refuses dledger test --html into a missing directory before it starts a cluster (exit 2)', async (t) => {
  const sb = testRunSandbox(t, 'dledger-timeline-test-run-')
  const script = join(sb.home, 'kill.txt')
  writeFileSync(script, 'at 1s kill leader\n')
  const r = await sb.run(['test', script, '--html', join(sb.home, 'missing', 'run.html'), '--home', join(sb.home, 'home')])
  assert.equal(r.code, 2, explain(r))
  assert.match(r.stderr, /--html: no directory ".*missing" for ".*run\.html"/)
  assert.equal(existsSync(join(sb.home, 'home')), false, 'no cluster was started')
})
