/**
 * The timeline page in a real browser (headless Chromium driven by playwright-core): the page of a
 * known simulated kill-the-leader run (`dledger sim --html`) has one lane per member, the leader
 * bands the report lists, and the failover gap with the duration the report measured. Skips, with
 * the reason printed, when no Chromium is found. Screenshots go where the test output says.
 */
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {after, before, describe, it} from 'node:test'

import {browserSkipReason, launchBrowser, screenshotDir} from '../helpers/browser.js'
import {Sandbox} from '../helpers/processes.js'
import {simKillRun, type KillRun} from '../helpers/sim-run.js'

const skip = browserSkipReason()

describe('the timeline page in Chromium', {skip}, () => {
  let sb: Sandbox
  let run: KillRun
  before(async () => {
    sb = new Sandbox('dledger-timeline-browser-')
    run = await simKillRun(sb)
  })
  after(async () => sb?.cleanup())

  it('shows one lane per member, the leader of each term, and the failover gap with its duration', async (t) => {
    const {page} = await launchBrowser(t)
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(pathToFileURL(run.htmlFile).href)

    assert.deepEqual(await page.locator('[data-lane]').allTextContents(), ['n0', 'n1', 'n2'])
    const leaders = await page.locator('rect.band-LEADER').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-node'), Number(e.getAttribute('data-term')), Number(e.getAttribute('data-from-ms'))]),
    )
    assert.deepEqual(
      leaders,
      run.report.leaderChanges.map((c) => [c.leaderId, c.term, c.atMs]),
    )
    const failover = run.report.failovers[0]
    const gap = page.locator(`rect.gap[data-from-ms="${failover.atMs}"]`)
    assert.equal(await gap.getAttribute('data-duration-ms'), String(failover.leaderlessMs))
    assert.match((await gap.locator('title').textContent()) ?? '', new RegExp(`^no leader for ${failover.leaderlessMs} ms`))
    const label = page.locator(`text.gap-label[data-duration-ms="${failover.leaderlessMs}"]`)
    assert.equal(await label.textContent(), `${failover.leaderlessMs} ms`)
    // a ballot's hover carries PARSE_VOTE_RESULT's counters
    assert.match((await page.locator('path.ballot-PASSED title').first().textContent()) ?? '', /acceptedNum = \d+/)

    const file = join(screenshotDir(), 'timeline.png')
    await page.screenshot({path: file, fullPage: true})
    t.diagnostic(`screenshot: ${file}`)

    // zoom in around the failover: fewer milliseconds in view, the gap still drawn
    const before = await page.evaluate(() => (globalThis as unknown as {dledgerTimeline: {view(): {from: number; to: number}}}).dledgerTimeline.view())
    await page.click('[data-zoom=in]')
    const after = await page.evaluate(() => (globalThis as unknown as {dledgerTimeline: {view(): {from: number; to: number}}}).dledgerTimeline.view())
    assert.ok(after.to - after.from < before.to - before.from, `zoomed in: ${JSON.stringify({before, after})}`)
    assert.deepEqual(errors, [])
  })
})
