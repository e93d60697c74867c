/** The ui's buttons refuse what they must not do: unknown members, members this home did not start. */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {it} from 'node:test'

import {parsePeers} from '../../src/core/settings.js'
import {isUiAction, runAction, type ActionContext} from '../../src/cli/ui/actions.js'
import {resolvePaths} from '../../src/cli/paths.js'

function context(t: import('node:test').TestContext): ActionContext {
  const home = mkdtempSync(join(tmpdir(), 'dledger-ui-actions-'))
  t.after(() => rmSync(home, {recursive: true, force: true}))
  return {paths: resolvePaths(home, {configDir: home, dataDir: home}), peers: parsePeers('n0-127.0.0.1:1;n1-127.0.0.1:2'), binPath: '/nonexistent/run.js'}
}

it('knows exactly the seven buttons', () => {
  assert.deepEqual(['transfer', 'elect', 'stop', 'kill', 'restart', 'isolate', 'heal', 'partition'].map(isUiAction), [true, true, true, true, true, true, true, false])
})

it('refuses an unknown member, naming the members', async (t) => {
  assert.deepEqual(await runAction('kill', 'n9', context(t)), {ok: false, message: 'unknown member "n9" (members: n0, n1)'})
})

it('stops or kills only members of this home running on this machine', async (t) => {
  const ctx = context(t)
  for (const action of ['stop', 'kill'] as const) {
    const o = await runAction(action, 'n1', ctx)
    assert.equal(o.ok, false)
    assert.match(o.message, /^n1 is not running on this machine/)
  }
})
