/**
 * bin/run.js runs status, leader, health, transfer-leader, elect, up and down without oclif on a
 * plain command line (src/cli/light/run-light.ts). Each is run here both ways on real members,
 * through the front door and straight to oclif, and must print the same bytes with the same exit
 * code; a probe loaded into the process (test/helpers/oclif-probe.js) says which way it ran.
 */
import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {oneLeader, processCluster, type ProcessCluster, sandbox} from '../helpers/cluster.js'
import {type CliResult, freePortRange, freePorts, REPO_ROOT, type Sandbox} from '../helpers/processes.js'

const PROBE = join(REPO_ROOT, 'test', 'helpers', 'oclif-probe.js')

interface BothWays {
  light: CliResult
  oclif: CliResult
}

/** Runs `dledger args` through the front door, and asserts which way it ran (the light path unless `expect` says oclif). */
async function frontDoor(sb: Sandbox, args: string[], expect: 'light' | 'oclif' = 'light'): Promise<CliResult> {
  const probe = join(sb.home, 'probe.txt')
  rmSync(probe, {force: true})
  const r = await sb.run(args, {nodeArgs: ['--import', PROBE], env: {DLEDGER_TEST_OCLIF_PROBE: probe}})
  const ran = readFileSync(probe, 'utf8').split('\n').find((l) => l.startsWith(`${args.join(' ')} → `))
  assert.equal(ran?.split(' → ')[1], expect, `\`dledger ${args.join(' ')}\` ran through ${ran}`)
  return r
}

/** Runs `dledger args` through the front door and then past it, straight to oclif. */
async function bothWays(sb: Sandbox, args: string[], expect: 'light' | 'oclif' = 'light'): Promise<BothWays> {
  const light = await frontDoor(sb, args, expect)
  return {light, oclif: await sb.run(args, {pastFrontDoor: true})}
}

const outcome = (r: CliResult, normalize: (s: string) => string = (s) => s) => ({code: r.code, stdout: normalize(r.stdout), stderr: normalize(r.stderr)})

/** Asserts the same exit code and the same bytes on stdout and stderr, after `normalize` (what changes from one run to the next). */
function assertSame(r: BothWays, normalize?: (s: string) => string): void {
  assert.deepEqual(outcome(r.light, normalize), outcome(r.oclif, normalize))
}

/**
 * bothWays on a live cluster, asserted with assertSame. An election between the two runs (a
 * stalled machine, fast timing) changes what a correct command prints, so a differing pair is
 * run again, up to three times: a real difference between the two paths differs every time.
 */
async function assertSameOnLiveCluster(sb: Sandbox, args: () => string[] | Promise<string[]>, normalize?: (s: string) => string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const r = await bothWays(sb, await args())
    if (attempt === 3 || JSON.stringify(outcome(r.light, normalize)) === JSON.stringify(outcome(r.oclif, normalize))) return assertSame(r, normalize)
  }
}

/** A member's last heartbeat is a few ms ago, a different few each time. */
const heartbeats = (s: string) => s.replace(/\d+ms ago +/g, 'Xms ago ').replace(/"lastHeartbeatAgoMs": \d+/g, '"lastHeartbeatAgoMs": X')
/** After a change of leader: which member, which term and how long it took differ from one run to the next. */
const handover = (s: string) =>
  heartbeats(s)
    .replace(/\bn\d\b/g, 'nX')
    .replace(/term \d+/g, 'term T')
    .replace(/"(term|previousTerm|tookMs|visibleMs)": [\d.]+/g, '"$1": X')
    .replace(/[\d.]+ ms/g, 'X ms')

async function cluster(t: TestContext): Promise<ProcessCluster> {
  const c = await processCluster(t, 3, 'dledger-light-')
  for (const i of [0, 1, 2]) c.start(i)
  await oneLeader(c, [0, 1, 2])
  return c
}

describe('status, leader and health without oclif print what oclif prints', () => {
  it('on a running cluster, as tables, lines and JSON', async (t) => {
    const c = await cluster(t)
    for (const args of [['status'], ['status', '--json'], ['leader'], ['leader', '--json'], ['health'], ['health', '--json', '--timeout', '1000']])
      await assertSameOnLiveCluster(c.sb, () => [...args, '--peers', c.peers], heartbeats)
  })

  it('on an unreachable cluster: the same error lines, JSON error objects and exit 1', async (t) => {
    const sb = sandbox(t, 'dledger-light-')
    const [port] = await freePorts(1)
    const peers = `n0-127.0.0.1:${port}`
    for (const args of [['status'], ['status', '--json'], ['leader'], ['leader', '--json'], ['health'], ['health', '--json']]) {
      const r = await bothWays(sb, [...args, '--peers', peers])
      assertSame(r)
      assert.equal(r.light.code, 1)
    }
  })

  it('without a profile or --peers: the same usage error, exit 2', async (t) => {
    const sb = sandbox(t, 'dledger-light-')
    const r = await bothWays(sb, ['leader'])
    assertSame(r)
    assert.equal(r.light.code, 2)
    assert.match(r.light.stderr, /^Error: no cluster profile in /)
  })

  it('leaves help, unknown flags and invalid values to oclif', async (t) => {
    const sb = sandbox(t, 'dledger-light-')
    const cases: [string[], number][] = [
      [['status', '--bogus'], 2],
      [['leader', '--timeout', '0'], 2],
      [['health', '--wait', '-1'], 2],
      [['status', 'extra'], 2],
      [['leader', '--help'], 0],
      // oclif takes a repeated boolean; the light path leaves it to oclif all the same
      [['status', '--json', '--json'], 1],
    ]
    for (const [args, code] of cases) {
      const r = await bothWays(sb, [...args, '--peers', 'n0-127.0.0.1:1'], 'oclif')
      assertSame(r)
      assert.equal(r.light.code, code, `${args.join(' ')}: ${r.light.stderr}`)
    }
  })
})

describe('transfer-leader and elect without oclif print what oclif prints', () => {
  it('a transfer to the leader itself, a transfer, and a forced election, with and without --json', async (t) => {
    const c = await cluster(t)
    await assertSameOnLiveCluster(c.sb, async () => ['transfer-leader', '--to', `n${(await oneLeader(c, [0, 1, 2])).leader}`, '--peers', c.peers])
    for (const json of [[], ['--json']]) {
      // each way hands leadership to a follower, so each changes hands once
      for (const args of [['transfer-leader', '--to'], ['elect', '--node']]) {
        const before = await oneLeader(c, [0, 1, 2])
        const light = await frontDoor(c.sb, [...args, `n${(before.leader + 1) % 3}`, ...json, '--peers', c.peers])
        const mid = await oneLeader(c, [0, 1, 2])
        const oclif = await c.sb.run([...args, `n${(mid.leader + 1) % 3}`, ...json, '--peers', c.peers], {pastFrontDoor: true})
        assertSame({light, oclif}, handover)
        assert.equal(light.code, 0, light.stderr)
      }
    }
  })

  it('an unknown member id: the same usage error, exit 2', async (t) => {
    const c = await cluster(t)
    for (const args of [['transfer-leader', '--to', 'n9'], ['elect', '--node', 'n9', '--json']]) {
      const r = await bothWays(c.sb, [...args, '--peers', c.peers])
      assertSame(r)
      assert.equal(r.light.code, 2)
    }
  })
})

describe('up and down without oclif print what oclif prints', () => {
  it('starting a cluster, refusing to start it twice, stopping one member and all', async (t) => {
    const sb = sandbox(t, 'dledger-light-')
    const up = ['up', '--nodes', '3', '--base-port', String(await freePortRange(3)), '--timing', 'fast']
    const light = await frontDoor(sb, up)
    assert.equal(light.code, 0, light.stderr)
    const twice = await bothWays(sb, ['up'])
    assertSame(twice)
    assert.equal(twice.light.code, 1)
    const unknown = await bothWays(sb, ['down', '--id', 'n9'])
    assertSame(unknown)
    assert.equal(unknown.light.code, 2)
    const downLight = await frontDoor(sb, ['down', '--json'])
    // the same again, through oclif, from the same state
    rmSync(join(sb.home, 'profile.json'))
    const oclif = await sb.run(up, {pastFrontDoor: true})
    const downOclif = await sb.run(['down', '--json'], {pastFrontDoor: true})
    // other members, PIDs and terms; the same table
    const pids = (s: string) => handover(s).replace(/LEADER {2}|FOLLOWER/g, 'ROLE    ').replace(/\b\d+\b/g, 'N')
    assertSame({light, oclif}, pids)
    assertSame({light: downLight, oclif: downOclif}, pids)
    assertSame(await bothWays(sb, ['down']))
  })
})
