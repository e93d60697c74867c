/**
 * `dledger ui` end to end: a real local cluster (`dledger up`, fast timing, a token, OS-chosen
 * ports, a temp home) and the UI on an OS-chosen port. In headless Chromium the page shows the
 * leader, a click on "transfer here" moves leadership, and "isolate" then "heal all faults" set and
 * clear a member's faults (the FAULTS column and the timeline's markers), as `status --json`
 * confirms each time. Without
 * Chromium only the browser test skips (the reason is printed); the token and --host rules and
 * Ctrl-C are checked over plain HTTP.
 */
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {join} from 'node:path'
import {after, before, describe, it, type TestContext} from 'node:test'

import {browserSkipReason, launchBrowser, screenshotDir} from '../helpers/browser.js'
import {trackUpMembers} from '../helpers/cluster.js'
import {freePorts, peersFor, Sandbox, waitFor, waitForExit, type CliResult} from '../helpers/processes.js'

const TOKEN = 'ui-s3cret'

interface StatusJson {
  leaderId: string | null
  term: number | null
  members: {id: string; reachable: boolean; role: string | null; faults: {dropTo: string[]; dropFrom: string[]} | null}[]
}

function explain(r: CliResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

describe('dledger ui', () => {
  let sb: Sandbox
  let ui: ReturnType<Sandbox['spawn']>
  let url: string

  before(async () => {
    sb = new Sandbox('dledger-ui-')
    const up = await sb.run(['up', '--peers', peersFor(await freePorts(3)), '--timing', 'fast', '--token', TOKEN])
    trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    ui = sb.spawn(['ui', '--port', '0'])
    url = await waitFor('the ui to print its address', () => /dledger ui on (http:\/\/\S+)/.exec(ui.output())?.[1], 15_000)
  })
  after(async () => {
    if (sb === undefined) return
    trackUpMembers(sb)
    await sb.run(['down', '--timeout', '3000']).catch(() => undefined)
    await sb.cleanup()
  })

  const status = async (): Promise<StatusJson> => {
    const r = await sb.run(['status', '--json'])
    return JSON.parse(r.stdout) as StatusJson
  }

  it('asks for the cluster token (401 without it), refuses cross-site presses and other host names', async () => {
    const base = new URL(url)
    base.search = ''
    assert.equal((await fetch(base, {signal: AbortSignal.timeout(5000)})).status, 401)
    const withToken = await fetch(new URL('/api/status', base), {headers: {authorization: `Bearer ${TOKEN}`}, signal: AbortSignal.timeout(5000)})
    assert.equal(withToken.status, 200)
    const cross = await fetch(new URL('/api/action', base), {
      method: 'POST',
      headers: {authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', origin: 'http://evil.example'},
      body: JSON.stringify({action: 'kill', id: 'n0'}),
      signal: AbortSignal.timeout(5000),
    })
    assert.equal(cross.status, 403, 'a cross-site request cannot press a button')
    // DNS rebinding: another name pointed at 127.0.0.1 is not this UI
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request({host: '127.0.0.1', port: base.port, path: '/api/status', headers: {host: `evil.example:${base.port}`, authorization: `Bearer ${TOKEN}`}}, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    assert.equal(rebound, 421)
  })

  it('refuses a non-loopback --host without a token (exit 2)', async () => {
    const r = await sb.run(['ui', '--peers', 'n0-127.0.0.1:1', '--host', '0.0.0.0', '--port', '0'], {env: {DLEDGER_TOKEN: ''}})
    assert.equal(r.code, 2, explain(r))
    assert.match(r.stderr, /--host 0\.0\.0\.0: refusing .* without a token/)
  })

  /** The page in a fresh Chromium, once it shows a leader; `errors` collects the page's script errors. */
  const openPage = async (t: TestContext) => {
    const {page} = await launchBrowser(t)
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(url)
    const leader = await waitFor('the page to show a leader', async () => (await page.locator('#leader').getAttribute('data-leader')) || null, 15_000, 100)
    return {page, errors, leader}
  }

  it('shows the leader, and a click on "transfer here" moves leadership', {skip: browserSkipReason()}, async (t) => {
    const {page, errors, leader: leaderOnPage} = await openPage(t)
    assert.equal(await page.locator('table.status tbody tr').count(), 3)
    assert.equal(await page.locator(`tr[data-member="${leaderOnPage}"] td[data-col=role]`).textContent(), 'LEADER')
    await waitFor('the timeline to draw the leader band', async () => (await page.locator('rect.band-LEADER').count()) > 0, 15_000, 100)

    const target = ['n0', 'n1', 'n2'].find((id) => id !== leaderOnPage) as string
    await page.click(`button[data-action=transfer][data-member="${target}"]`)
    const moved = await waitFor('status --json to show the transferee leading', async () => {
      const s = await status()
      return s.leaderId === target ? s : null
    }, 15_000, 200)
    assert.equal(moved.leaderId, target)
    await waitFor('the page to show the new leader', async () => (await page.locator('#leader').getAttribute('data-leader')) === target, 15_000, 100)
    await waitFor('the result line', async () => /→/.test((await page.locator('#result').textContent()) ?? ''), 15_000, 100)
    assert.deepEqual(errors, [])
  })

  it('isolates a member with a click, shows it under FAULTS, and heals every fault', {skip: browserSkipReason()}, async (t) => {
    const {page, errors, leader} = await openPage(t)
    const target = ['n0', 'n1', 'n2'].find((id) => id !== leader) as string
    const others = ['n0', 'n1', 'n2'].filter((id) => id !== target)
    const faultsCell = page.locator(`tr[data-member="${target}"] td[data-col=faults]`)
    assert.equal(await faultsCell.textContent(), '-')

    await page.click(`button[data-action=isolate][data-member="${target}"]`)
    await waitFor('the FAULTS cell to show the isolation', async () => (await faultsCell.textContent()) === `cut off ${others.join(',')}`, 15_000, 100)
    const isolated = (await status()).members.find((m) => m.id === target)
    assert.deepEqual(isolated?.faults && [isolated.faults.dropTo, isolated.faults.dropFrom], [others, others], 'status --json agrees')
    assert.match((await page.locator('#result').textContent()) ?? '', new RegExp(`^isolate ${target}: set on n0, n1, n2$`))
    // the member's FAULTS record streams into the timeline as a marker on its lane
    const marker = (kind: string) => page.locator(`g.marker[data-kind="${kind}"][data-node="${target}"]`)
    await waitFor('the timeline to mark the isolation', async () => (await marker('fault-set').count()) > 0, 15_000, 100)

    const file = join(screenshotDir(), 'ui.png')
    await page.screenshot({path: file, fullPage: true})
    t.diagnostic(`screenshot: ${file}`)

    await page.click('#heal')
    await waitFor('every FAULTS cell to clear', async () => (await page.locator('td[data-col=faults]').allTextContents()).every((c) => c === '-'), 15_000, 100)
    await waitFor('the timeline to mark the heal', async () => (await marker('fault-cleared').count()) > 0, 15_000, 100)
    const healed = await status()
    assert.deepEqual(
      healed.members.map((m) => m.faults),
      [null, null, null],
      'status --json agrees',
    )
    assert.deepEqual(errors, [])
  })

  it('stops on Ctrl-C and leaves the cluster running', async () => {
    ui.kill('SIGINT')
    const exit = await waitForExit(ui, 10_000)
    assert.equal(exit.code, 0, ui.output())
    const s = await status()
    assert.ok(s.members.every((m) => m.reachable), JSON.stringify(s))
  })
})
