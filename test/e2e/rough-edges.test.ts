/**
 * The small rough edges a new user meets (issue 8, item 9), each on real `dledger` processes:
 * preset names in any case, `up --wait 0` and `up --on-role-change`, DLEDGER_PEERS, the flags
 * `down` offers, one "listening" line, "1 member", `sim` echoing `within` and warning on a
 * restart of a running member; and, in a real terminal (tmux), the transfer picker that clears
 * itself when cancelled and coloured roles that respect NO_COLOR.
 * Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {oneLeader, processCluster, sandbox, statusOf, trackUpMembers} from '../helpers/cluster.js'
import {explain, freePorts, peersFor, waitFor} from '../helpers/processes.js'
import {haveTmux, Terminal} from '../helpers/terminal.js'

const ESC = '\u001B'



async function terminal(t: TestContext): Promise<Terminal> {
  const term = new Terminal()
  t.after(() => term.close())
  return term
}

describe('flags', () => {
  it('--timing takes a preset name in any case', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-edges-')
    const r = await sb.run(['init', '--nodes', '1', '--timing', 'FAST'])
    assert.equal(r.code, 0, explain(r))
    assert.equal(JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')).timing, 'fast')
  })

  it('down offers only the flags it uses: no --peers, no --token', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-edges-')
    const help = await sb.run(['down', '--help'])
    assert.equal(help.code, 0, explain(help))
    assert.doesNotMatch(help.stdout, /--peers|--token/)
    assert.match(help.stdout, /--home/)
    assert.equal((await sb.run(['down', '--peers', 'n0-127.0.0.1:1'])).code, 2)
  })
})

describe('dledger up', () => {
  it('--wait 0 returns at once with exit 0; --on-role-change reaches every member; DLEDGER_PEERS finds the cluster without a profile', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-edges-')
    const peers = peersFor(await freePorts(3))
    const roles = join(sb.home, 'roles.txt')
    const up = await sb.run(['up', '--peers', peers, '--timing', 'fast', '--wait', '0', '--on-role-change', `echo "$DLEDGER_ID $DLEDGER_ROLE $DLEDGER_TERM" >> '${roles}'`])
    trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    assert.match(up.stdout, /^started n0 \(pid \d+\), n1 \(pid \d+\), n2 \(pid \d+\) without waiting for a leader \(--wait 0\)/m)

    // the hook runs in every member: the leader reports LEADER, the others FOLLOWER, in one term
    const lines = await waitFor('a hook line from every member', () => {
      const text = existsSync(roles) ? readFileSync(roles, 'utf8') : ''
      const ids = new Set(text.split('\n').filter(Boolean).map((l) => l.split(' ')[0]))
      return ids.size === 3 && /LEADER/.test(text) ? text.trim().split('\n') : false
    }, 15_000)
    assert.ok(lines.every((l) => /^n[012] (LEADER|FOLLOWER|CANDIDATE) \d+$/.test(l)), lines.join('\n'))

    // like ETCDCTL_ENDPOINTS: another home without a profile, the members from the environment
    const elsewhere = sandbox(t, 'dledger-e2e-edges-')
    const leader = await elsewhere.run(['leader', '--wait', '10000'], {env: {DLEDGER_PEERS: peers}})
    assert.equal(leader.code, 0, explain(leader))
    assert.match(leader.stdout.trim(), /^n[012]$/)
    // leadership may have moved since the first hook lines: the leader's own LEADER line follows
    await waitFor(`a LEADER hook line from ${leader.stdout.trim()}`, () => readFileSync(roles, 'utf8').split('\n').some((l) => l.startsWith(`${leader.stdout.trim()} LEADER`)), 10_000)
    assert.equal((await sb.run(['down'])).code, 0)
  })
})

describe('dledger up with DLEDGER_PEERS', () => {
  it('writes the profile from the environment, and its members run by that profile (its group), not by the variable', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-edges-')
    const peers = peersFor(await freePorts(3))
    const up = await sb.run(['up', '--group', 'g1', '--timing', 'fast', '--json'], {env: {DLEDGER_PEERS: peers}})
    trackUpMembers(sb)
    assert.equal(up.code, 0, explain(up))
    for (const id of ['n0', 'n1', 'n2']) assert.match(readFileSync(join(sb.home, 'logs', `${id}.log`), 'utf8'), new RegExp(`${id} listening on \\S+ \\(group g1,`))
    assert.equal((await sb.run(['down'])).code, 0)
  })
})

describe('dledger start and logs', () => {
  it('start prints "listening" once, and a one-member cluster asks "1 member" for votes', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-edges-')
    const child = c.start(0)
    await waitFor('n0 to lead', async () => (await statusOf(c.ports[0]))?.role === 'LEADER', 10_000)
    assert.equal(child.output().match(/listening/g)?.length, 1, child.output())
    const logs = await c.sb.run(['logs', '--peers', c.peers, '--type', 'VOTE_REQUEST'])
    assert.equal(logs.code, 0, explain(logs))
    assert.match(logs.stdout, /VOTE_REQUEST asks 1 member for votes/)
    assert.doesNotMatch(logs.stdout, /1 members/)
  })
})

describe('dledger sim', () => {
  it("echoes an expectation's `within`, and warns when a script restarts a member that runs", async (t) => {
    const sb = sandbox(t, 'dledger-e2e-edges-')
    const script = 'at 1s restart n0\nat 2s kill leader\nat 2s expect leader any within 3s\n'
    const r = await sb.run(['sim', '--script', '-', '--seed', '7', '--timing', 'fast', '--duration', '10s'], {input: script})
    assert.equal(r.code, 0, explain(r))
    assert.match(r.stdout, /line 1: restart n0 → nobody; warning: n0 is running, not restarted \(kill first\)/)
    assert.match(r.stdout, /line 3: expect leader any within 3s → ok/)
  })
})

describe('in a terminal', async () => {
  const tmux = await haveTmux()

  it('the transfer picker clears its lines when cancelled with Ctrl-C', {skip: !tmux && 'needs tmux'}, async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-edges-')
    for (const i of [0, 1, 2]) c.start(i)
    await oneLeader(c, [0, 1, 2])
    const term = await terminal(t)
    await term.start(['transfer-leader', '--peers', c.peers], {DLEDGER_HOME: c.sb.home, NO_COLOR: '1'})
    await term.waitFor(/Transfer leadership from n\d to/)
    await term.keys(['C-c'])
    const screen = await term.waitFor(/\[exit \d+\]/)
    assert.match(screen, /\[exit 130\]/)
    assert.doesNotMatch(screen, /Transfer leadership|127\.0\.0\.1/, screen)
  })

  it('status colours the roles on a terminal, and not with NO_COLOR', {skip: !tmux && 'needs tmux'}, async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-edges-')
    c.start(0)
    await waitFor('n0 to lead', async () => (await statusOf(c.ports[0]))?.role === 'LEADER', 10_000)
    // n1 is not running: its STATUS is red
    const peers = `${c.peers};n1-127.0.0.1:1`
    const coloured = await terminal(t)
    await coloured.start(['status', '--peers', peers], {DLEDGER_HOME: c.sb.home, NO_COLOR: ''})
    await coloured.waitFor(/\[exit 0\]/)
    const escapes = await coloured.screen({escapes: true})
    assert.match(escapes, new RegExp(`${ESC}\\[[0-9;]*1[;m][^\\n]*LEADER`), escapes)
    assert.match(escapes, new RegExp(`${ESC}\\[[0-9;]*31m[^\\n]*unreachable`), escapes)

    const plain = await terminal(t)
    await plain.start(['status', '--peers', peers], {DLEDGER_HOME: c.sb.home, NO_COLOR: '1'})
    await plain.waitFor(/\[exit 0\]/)
    const text = await plain.screen({escapes: true})
    assert.match(text, /LEADER/)
    assert.ok(!text.includes(`${ESC}[`), text)
  })
})
