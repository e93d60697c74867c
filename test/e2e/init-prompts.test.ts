/**
 * `dledger init` on a terminal (issue 8, item 6): a bad answer is refused at its own prompt and
 * asked again, keeping the answers before it. A real terminal (tmux) runs the built CLI.
 * Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {Sandbox} from '../helpers/processes.js'
import {haveTmux, Terminal} from '../helpers/terminal.js'

describe('dledger init on a terminal', async () => {
  const tmux = await haveTmux()

  it('asks again, prompt by prompt: duplicate peer ids at the peers prompt, an unknown preferred leader at its own', {skip: !tmux && 'needs tmux'}, async (t) => {
    const sb = new Sandbox('dledger-e2e-init-')
    const term = new Terminal()
    t.after(async () => {
      await term.close()
      await sb.cleanup()
    })
    await term.start(['init'], {DLEDGER_HOME: sb.home, NO_COLOR: '1'})
    const answer = async (text: string) => {
      await term.keys(['C-u'])
      if (text !== '') await term.keys([text], {literal: true})
      await term.keys(['Enter'])
    }

    await term.waitFor(/\? Peers/)
    await answer('n0-127.0.0.1:20911;n0-127.0.0.1:20912')
    await term.waitFor(/peer id "n0" appears twice in peers/)
    assert.doesNotMatch(await term.screen(), /Group/, 'still at the peers prompt')
    await answer('n0-127.0.0.1:20911;n1-127.0.0.1:20912')

    await term.waitFor(/\? Group/)
    await answer('')
    await term.waitFor(/\? Timing/)
    await term.keys(['Down', 'Enter'])

    await term.waitFor(/\? Preferred leaders/)
    await answer('n9')
    await term.waitFor(/preferred leader "n9" is not in peers \(n0, n1\)/)
    assert.doesNotMatch(await term.screen(), /Cluster token/, 'still at the preferred-leader prompt')
    await answer('n1')

    await term.waitFor(/\? Cluster token/)
    await answer('')
    const screen = await term.waitFor(/\[exit \d+\]/)
    assert.match(screen, /\[exit 0\]/)
    assert.match(screen, /✔ Peers .* n0-127\.0\.0\.1:20911;n1-127\.0\.0\.1:20912/)
    assert.deepEqual(JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')), {
      group: 'default',
      peers: 'n0-127.0.0.1:20911;n1-127.0.0.1:20912',
      timingOverrides: {},
      preferredLeaderIds: ['n1'],
      timing: 'fast',
    })
  })
})
