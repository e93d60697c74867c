/**
 * The streaming commands (`status --watch`, `logs -f`) as a pipeline uses them (issue 8, item 4):
 * `--watch --json` writes one JSON line per round, and a reader that goes away (`| head -3`) ends
 * the command with exit 0. Real processes; needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {describe, it} from 'node:test'

import {processCluster, sandbox, statusOf} from '../helpers/cluster.js'
import {BIN, REPO_ROOT, Sandbox, waitFor, waitForExit} from '../helpers/processes.js'

/** Runs `dledger args…` with stdout on a pipe of its own; `close()` closes the reading end, as `head` does when it has enough. */
function piped(sb: Sandbox, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: REPO_ROOT, env: sb.env(), stdio: ['ignore', 'pipe', 'pipe']})
  sb.children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const lines = () => stdout.split('\n').filter((l) => l !== '')
  return {
    child: Object.assign(child, {output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`}),
    lines,
    close: () => child.stdout.destroy(),
  }
}

/** Nothing listens on port 1: every round shows the member as unreachable, quickly. */
const NOBODY = 'n0-127.0.0.1:1'

describe('streaming commands in a pipeline', () => {
  it('status --watch --json prints one JSON line per round', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-stream-')
    const p = piped(sb, ['status', '--watch', '--json', '--peers', NOBODY, '--interval', '100', '--timeout', '50'])
    await waitFor('three rounds', () => p.lines().length >= 3, 10_000)
    for (const line of p.lines().slice(0, 3)) {
      const round = JSON.parse(line) as {members: {id: string; reachable: boolean}[]}
      assert.deepEqual(
        round.members.map((m) => [m.id, m.reachable]),
        [['n0', false]],
      )
    }
    p.child.kill('SIGINT')
    assert.deepEqual(await waitForExit(p.child), {code: 0, signal: null})
  })

  for (const json of [false, true]) {
    it(`status --watch${json ? ' --json' : ''} | head -3: the closed pipe ends it with exit 0`, async (t) => {
      const sb = sandbox(t, 'dledger-e2e-stream-')
      const p = piped(sb, ['status', '--watch', ...(json ? ['--json'] : []), '--peers', NOBODY, '--interval', '100', '--timeout', '50'])
      await waitFor('three lines', () => p.lines().length >= 3, 10_000)
      p.close()
      assert.deepEqual(await waitForExit(p.child), {code: 0, signal: null})
    })
  }

  it('logs -f | head: the closed pipe ends it with exit 0', async (t) => {
    // one member of two never wins a ballot: it keeps logging new events
    const c = await processCluster(t, 2, 'dledger-e2e-stream-')
    c.start(0)
    await waitFor('n0 to answer', () => statusOf(c.ports[0]), 10_000)
    const p = piped(c.sb, ['logs', '-f', '--peers', c.peers, '--node', 'n0'])
    await waitFor('some events', () => p.lines().length >= 3, 10_000)
    p.close()
    assert.deepEqual(await waitForExit(p.child), {code: 0, signal: null})
  })
})
