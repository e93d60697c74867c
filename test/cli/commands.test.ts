/**
 * The cluster commands in-process: usage errors (exit 2, one `Error:` line), `init` without a
 * terminal, and what needs no running member. Real processes are in test/e2e/cli.test.ts.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {runCli} from '../helpers/run-cli.js'

function home(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-cmd-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** One error line (plus maybe a Hint line), nothing on stdout. */
function assertUsage(r: {exitCode: number; stdout: string; stderr: string}, pattern: RegExp) {
  assert.equal(r.exitCode, 2, r.stderr)
  const lines = r.stderr.split('\n')
  assert.match(lines[0], /^Error: /)
  assert.match(lines[0], pattern)
  assert.ok(lines.slice(1).every((l) => l.startsWith('Hint: ') || l.startsWith('Error: ')), r.stderr)
}

describe('dledger init', () => {
  it('without a terminal and without peers it exits 2 and does not prompt', async (t) => {
    const h = home(t)
    assertUsage(await runCli(['init', '--home', h]), /missing --peers/)
    assertUsage(await runCli(['init', '--home', h, '--timing', 'fast']), /missing --peers/)
  })

  it('writes the profile from flags and refuses to replace it without --force', async (t) => {
    const h = home(t)
    const r = await runCli(['init', '--home', h, '--peers', 'n0-127.0.0.1:7001;n1-127.0.0.1:7002;n2-127.0.0.1:7003', '--timing', 'fast', '--preferred-leader', 'n1', '--token', 'tok'])
    assert.equal(r.exitCode, 0, r.stderr)
    assert.deepEqual(JSON.parse(readFileSync(join(h, 'profile.json'), 'utf8')), {
      group: 'default',
      peers: 'n0-127.0.0.1:7001;n1-127.0.0.1:7002;n2-127.0.0.1:7003',
      timing: 'fast',
      timingOverrides: {},
      preferredLeaderIds: ['n1'],
      token: 'tok',
    })
    const again = await runCli(['init', '--home', h, '--nodes', '3'])
    assert.equal(again.exitCode, 1)
    assert.match(again.stderr, /already exists/)
    const forced = await runCli(['init', '--home', h, '--nodes', '5', '--base-port', '8001', '--force', '--json'])
    assert.equal(forced.exitCode, 0, forced.stderr)
    assert.equal(JSON.parse(forced.stdout).profile.peers.split(';').length, 5)
  })

  it('invalid settings exit 2, one line per problem', async (t) => {
    const r = await runCli(['init', '--home', home(t), '--nodes', '3', '--min-vote-interval-ms', '500', '--max-vote-interval-ms', '100', '--preferred-leader', 'n9'])
    assertUsage(r, /minVoteIntervalMs \(500\) must be less than maxVoteIntervalMs \(100\)|preferred leader "n9"/)
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('Error: ')).length, 2)
  })

  it('an unknown timing preset is a usage error', async (t) => {
    assertUsage(await runCli(['init', '--home', home(t), '--nodes', '3', '--timing', 'warp']), /--timing/)
  })
})

describe('client commands', () => {
  it('without a profile or --peers they say how to get one (exit 2)', async (t) => {
    const h = home(t)
    for (const cmd of ['status', 'leader']) {
      assertUsage(await runCli([cmd, '--home', h]), /no cluster profile in .*; run `dledger up` or `dledger init`, or pass --peers/)
    }
  })

  it('malformed --peers and bad flag values exit 2', async (t) => {
    const h = home(t)
    assertUsage(await runCli(['status', '--home', h, '--peers', 'n0:7001']), /--peers/)
    assertUsage(await runCli(['leader', '--home', h, '--wait', '-5']), /--wait/)
    assertUsage(await runCli(['status', '--home', h, '--bogus']), /Nonexistent flag: --bogus/)
  })

  it('with --json a usage error is still exit 2', async (t) => {
    const r = await runCli(['status', '--home', home(t), '--json'])
    assert.equal(r.exitCode, 2)
    assert.equal(JSON.parse(r.stdout).error.code, 'NO_PROFILE')
  })

  it('status exits 1 when no member answers, and shows each as a row', async (t) => {
    const r = await runCli(['status', '--home', home(t), '--peers', 'n0-127.0.0.1:1;n1-127.0.0.1:2', '--timeout', '200'])
    assert.equal(r.exitCode, 1)
    assert.match(r.stdout, /^n0\s+127\.0\.0\.1:1\s.*unreachable: connection refused$/m)
    assert.match(r.stderr, /^Error: no member answered$/m)
  })

  it('leader exits 1 with "no leader"', async (t) => {
    const r = await runCli(['leader', '--home', home(t), '--peers', 'n0-127.0.0.1:1'])
    assert.equal(r.exitCode, 1)
    assert.match(r.stderr, /^Error: no leader/)
  })
})

describe('dledger down / up', () => {
  it('down with nothing running exits 0; an unknown --id exits 2', async (t) => {
    const h = home(t)
    const r = await runCli(['down', '--home', h])
    assert.equal(r.exitCode, 0)
    assert.equal(r.stdout, 'nothing is running')
    assertUsage(await runCli(['down', '--home', h, '--id', 'n9']), /unknown member id "n9"/)
  })

  it('up rejects bad flag values with exit 2 before starting anything', async (t) => {
    const h = home(t)
    assertUsage(await runCli(['up', '--home', h, '--nodes', '0']), /--nodes/)
    assertUsage(await runCli(['up', '--home', h, '--base-port', '70000']), /--base-port/)
    assertUsage(await runCli(['up', '--home', h, '--preferred-leader', 'n7']), /preferred leader "n7" is not in peers/)
  })
})

describe('dledger up --id (no member running)', () => {
  it('needs a profile, a member of it, and no flags that reshape the cluster (exit 2)', async (t) => {
    const h = home(t)
    assertUsage(await runCli(['up', '--home', h, '--id', 'n1']), /no cluster profile in .* to start n1 from/)
    assert.equal((await runCli(['init', '--home', h, '--peers', 'n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3'])).exitCode, 0)
    assertUsage(await runCli(['up', '--home', h, '--id', 'n7']), /--id: unknown member "n7" \(known: n0, n1, n2\)/)
    assertUsage(await runCli(['up', '--home', h, '--id', 'n1', '--timing', 'fast']), /--id starts one member of the existing profile/)
  })
})

describe('dledger health (no member running)', () => {
  it('exits 1 with one line per member and the reason; --json says healthy: false with the same exit code', async (t) => {
    const peers = 'n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3'
    const r = await runCli(['health', '--home', home(t), '--peers', peers, '--timeout', '200'])
    assert.equal(r.exitCode, 1)
    assert.match(r.stdout, /^n0 127\.0\.0\.1:1 is unhealthy: unreachable: connection refused$/m)
    assert.match(r.stderr, /^Error: unhealthy cluster: no leader: no member answers$/m)
    assert.match(r.stderr, /^Hint: are the members running\?/m)
    const j = await runCli(['health', '--home', home(t), '--peers', peers, '--timeout', '200', '--json'])
    assert.equal(j.exitCode, 1)
    const out = JSON.parse(j.stdout)
    assert.deepEqual([out.healthy, out.leaderId, out.quorum, out.members.length], [false, null, 2, 3])
  })
})

describe('dledger preferred (no member running)', () => {
  const peers = 'n0-127.0.0.1:1;n1-127.0.0.1:2;n2-127.0.0.1:3'

  it('an id that is not a member, or one named twice, exits 2', async (t) => {
    const h = home(t)
    assertUsage(await runCli(['preferred', 'set', 'n7', '--home', h, '--peers', peers]), /preferred leader: unknown member "n7" \(known: n0, n1, n2\)/)
    assertUsage(await runCli(['preferred', 'set', 'n1;n1', '--home', h, '--peers', peers]), /n1 is named twice/)
    assertUsage(await runCli(['preferred', 'set', ';', '--home', h, '--peers', peers]), /no member id given/)
  })

  it('with a profile, set and clear reach the profile even while the members are down, naming each one that did not take it', async (t) => {
    const h = home(t)
    assert.equal((await runCli(['init', '--home', h, '--peers', peers])).exitCode, 0)
    const set = await runCli(['preferred', 'set', 'n2,n1', '--home', h])
    assert.equal(set.exitCode, 0, set.stderr)
    assert.equal(set.stdout, 'preferred leaders n2;n1 on no member (kept in the profile)')
    assert.match(set.stderr, /^Warning: n0 did not take it: unreachable: connection refused \(it reads the profile when it starts again\)$/m)
    assert.deepEqual(JSON.parse(readFileSync(join(h, 'profile.json'), 'utf8')).preferredLeaderIds, ['n2', 'n1'])
    const clear = await runCli(['preferred', 'clear', '--home', h, '--json'])
    assert.equal(clear.exitCode, 0, clear.stderr)
    assert.deepEqual(JSON.parse(clear.stdout).ids, [])
    assert.deepEqual(JSON.parse(readFileSync(join(h, 'profile.json'), 'utf8')).preferredLeaderIds, [])
  })

  it('with --peers and no member answering, nothing took it: exit 1', async (t) => {
    const r = await runCli(['preferred', 'clear', '--home', home(t), '--peers', peers])
    assert.equal(r.exitCode, 1)
    assert.match(r.stderr, /^Error: no member took the preferred leaders \(n0: unreachable/m)
  })
})
