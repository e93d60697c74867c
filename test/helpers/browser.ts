/**
 * Headless Chromium for the browser tests, driven by playwright-core (no browser download): the
 * system's chromium (Debian's package; CHROMIUM_PATH overrides), with a fresh profile directory
 * that is removed with the browser. Tests skip with the reason when no Chromium is found.
 */
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestContext} from 'node:test'

import type {BrowserContext, Page} from 'playwright-core'

import {REPO_ROOT} from './processes.js'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/** The Chromium to drive, or null. */
export function findChromium(): string | null {
  const env = process.env.CHROMIUM_PATH
  if (env) return existsSync(env) ? env : null
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}

/** Why the browser tests skip here, or undefined when they run (for `it(…, {skip})`). */
export function browserSkipReason(): string | undefined {
  if (findChromium() !== null) return undefined
  return `no Chromium found (looked for ${CANDIDATES.join(', ')}; set CHROMIUM_PATH or \`apt-get install -y chromium\`)`
}

/** Where screenshots go: $DLEDGER_SCREENSHOTS, else tmp/screenshots in the repository (gitignored). */
export function screenshotDir(): string {
  const dir = process.env.DLEDGER_SCREENSHOTS ?? join(REPO_ROOT, 'tmp', 'screenshots')
  mkdirSync(dir, {recursive: true})
  return dir
}

/**
 * A headless Chromium with its own fresh profile directory (playwright passes it as
 * --user-data-dir), closed and removed in t.after.
 */
export async function launchBrowser(t: TestContext): Promise<{context: BrowserContext; page: Page}> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('no Chromium (the test should have been skipped)')
  const {chromium} = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'dledger-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
    viewport: {width: 1200, height: 420},
  })
  t.after(async () => {
    await context.close().catch(() => undefined)
    rmSync(profile, {recursive: true, force: true})
  })
  const page = context.pages()[0] ?? (await context.newPage())
  return {context, page}
}
