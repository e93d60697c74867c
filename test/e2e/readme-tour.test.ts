/**
 * The README's tour, typed in order as a user would (issue 8, item 5): first the set-up line's
 * dledger commands, then every `$ dledger …` line of the tour's code blocks, each through
 * /bin/sh with `dledger` standing for `node bin/run.js`, in a temp DLEDGER_HOME and a temp working
 * directory. Commands that run until Ctrl-C (`start`, `ui`, `status --watch`, `logs -f`) run in the
 * background, as in another terminal, and are interrupted at the end of their section unless the
 * tour stopped them itself. The one change to the text: a command that would create the cluster
 * on the default ports (20911…) gets `--base-port` with ports the test chose (and `ui` gets
 * `--port 0`), so it never
 * touches a cluster of the machine's user. "Several hosts" needs other hosts and is skipped.
 * Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {it} from 'node:test'

import {trackUpMembers} from '../helpers/cluster.js'
import {BIN, freePortRange, REPO_ROOT, Sandbox, waitFor, waitForExit, type CliResult} from '../helpers/processes.js'

/** One `$ …` line of the README and the section it is in. */
interface Step {
  section: string
  command: string
}

/** The `$ ` lines of the tour's code blocks, comments removed, in order. */
function tourSteps(readme: string): Step[] {
  const tour = readme.slice(readme.indexOf('\n## Tour'), readme.indexOf('\n## Commands'))
  const steps: Step[] = []
  let section = ''
  let inBlock = false
  for (const line of tour.split('\n')) {
    if (line.startsWith('### ')) section = line.slice(4).trim()
    else if (line.startsWith('```')) inBlock = !inBlock
    else if (inBlock && line.startsWith('$ ')) steps.push({section, command: withoutComment(line.slice(2))})
  }
  return steps
}

/** The dledger commands of the set-up line (`… && node bin/run.js up && node bin/run.js status`). */
function setupSteps(readme: string): Step[] {
  const firstBlock = /```\n([^`]*)```/.exec(readme)?.[1] ?? ''
  return firstBlock
    .split('\n')[0]
    .split('&&')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('node bin/run.js '))
    .map((part) => ({section: 'set-up line', command: part.replace(/^node bin\/run\.js /, 'dledger ')}))
}

/** Cuts a trailing ` # comment` that is outside quotes. */
function withoutComment(command: string): string {
  let quote: string | null = null
  for (let i = 0; i < command.length; i++) {
    const c = command[i]
    if (quote !== null) {
      if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if (c === '#' && /\s/.test(command[i - 1] ?? '')) return command.slice(0, i).trimEnd()
  }
  return command.trimEnd()
}

// a stream piped into `head` ends on its own (the closed pipe ends it with exit 0): a foreground step
const runsUntilCtrlC = (command: string) => /^dledger (start\b|ui\b|status\b.*--watch|logs\b.*(\s-f\b|--follow))/.test(command) && !/\|\s*head\b/.test(command)

/**
 * The command with `--base-port` added where it would put a new cluster on the default ports:
 * `init` with --nodes, and `up` before there is a profile or with flags that rewrite it.
 */
function onTestPorts(command: string, basePort: number, profileExists: boolean): string {
  // the live page's default port 7070 may be taken on a shared machine: the OS picks one
  if (/^dledger ui\b/.test(command) && !/--port/.test(command)) return `${command} --port 0`
  if (/--peers|--base-port|--id\b/.test(command)) return command
  const init = /^dledger init\b/.test(command) && /--nodes/.test(command)
  const up = /^dledger up\b/.test(command) && (!profileExists || /--timing|--nodes/.test(command))
  return init || up ? `${command} --base-port ${basePort}` : command
}

it('the README tour works when typed in order after the set-up line', async (t) => {
  const sb = new Sandbox('dledger-e2e-tour-')
  const background: {step: Step; child: ChildProcess & {output: () => string}}[] = []
  t.after(async () => {
    trackUpMembers(sb)
    for (const b of background) if (b.child.pid !== undefined) sb.track(b.child.pid)
    await sb.cleanup()
  })
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
  const steps = [...setupSteps(readme), ...tourSteps(readme).filter((s) => !/several hosts/i.test(s.section))]
  assert.deepEqual(
    setupSteps(readme).map((s) => s.command),
    ['dledger up', 'dledger status'],
    'the set-up line starts a cluster and shows it',
  )
  assert.ok(steps.length >= 25, `the tour has its commands: ${steps.map((s) => s.command).join('\n')}`)

  const basePort = await freePortRange(3)
  const cwd = join(sb.home, 'work')
  mkdirSync(cwd)
  const env = {DLEDGER_BIN: BIN}
  // `exec` so that a background command's PID is dledger's own and Ctrl-C (SIGINT) reaches it
  const shell = (command: string) => `dledger() { exec "${process.execPath}" "$DLEDGER_BIN" "$@"; }\n${command}`
  const run = (command: string): Promise<CliResult> =>
    new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', shell(command)], {cwd, env: sb.env(env), stdio: ['ignore', 'pipe', 'pipe']})
      sb.children.add(child)
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        sb.children.delete(child)
        resolve({code, signal, stdout, stderr})
      })
    })
  const inBackground = (step: Step, command: string) => {
    const child = spawn('/bin/sh', ['-c', shell(command)], {cwd, env: sb.env(env), stdio: ['ignore', 'pipe', 'pipe']})
    sb.children.add(child)
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
    const handle = Object.assign(child, {output: () => out})
    background.push({step, child: handle})
    return handle
  }
  /** Interrupts what still runs in the background (Ctrl-C); each must have ended with exit 0. */
  const endSection = async (section: string) => {
    for (const b of background.filter((x) => x.step.section === section)) {
      if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGINT')
      const exit = await waitForExit(b.child, 15_000)
      assert.deepEqual(exit, {code: 0, signal: null}, `${section}: \`${b.step.command}\` in the background:\n${b.child.output()}`)
    }
  }

  let section = steps[0].section
  for (const step of steps) {
    if (step.section !== section) {
      await endSection(section)
      section = step.section
    }
    const command = onTestPorts(step.command, basePort, existsSync(join(sb.home, 'profile.json')))
    if (runsUntilCtrlC(command)) {
      const child = inBackground(step, command)
      // as a user would, wait for a member's "listening" line before going to the next terminal
      const ready = /^dledger start\b/.test(command) ? /listening on/ : /^dledger ui\b/.test(command) ? /dledger ui on http/ : null
      if (ready !== null) await waitFor(`\`${command}\` to listen`, () => ready.test(child.output()) || child.exitCode !== null, 15_000)
      continue
    }
    const r = await run(command)
    trackUpMembers(sb)
    assert.equal(r.code, 0, `${step.section}: \`${command}\` exited ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
  await endSection(section)

  // the hook of the hand-started member wrote its role changes
  await waitFor('roles.txt from --on-role-change', () => existsSync(join(cwd, 'roles.txt')) && /^n0 is (CANDIDATE|FOLLOWER|LEADER) in term \d+$/m.test(readFileSync(join(cwd, 'roles.txt'), 'utf8')), 5000)
  // the tour ends with nothing left running: its last `down` stopped the hand-started member too
  assert.deepEqual(trackUpMembers(sb), [])
  const hook = background.find((b) => /--on-role-change/.test(b.step.command))
  assert.ok(hook, 'the tour starts a member with --on-role-change')
  assert.deepEqual(await waitForExit(hook.child), {code: 0, signal: null})
})
