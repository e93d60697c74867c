/**
 * Hints that point the right way (issue 8, item 8), on real `dledger` processes: a --timeout too
 * short, nothing running, an address of another host, a member that already runs, and a port
 * held by an outgoing connection's source port; and the default ports kept out of Linux's
 * ephemeral range. Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {ephemeralPortRange} from '../../src/cli/port-owner.js'
import {processCluster, sandbox, statusOf} from '../helpers/cluster.js'
import {explain, freePortRange, waitFor, type CliResult} from '../helpers/processes.js'



/** The `Hint:` line of stderr. */
function hint(r: CliResult): string {
  return r.stderr.split('\n').find((l) => l.startsWith('Hint: ')) ?? ''
}

/** A loopback server that accepts connections and never answers; closed after the test. */
async function silentServer(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const s of sockets) s.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return (server.address() as import('node:net').AddressInfo).port
}

describe('hints', () => {
  it('members that answer too slowly for --timeout: raise --timeout, not "are they running?"', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-hints-')
    const port = await silentServer(t)
    const r = await sb.run(['status', '--peers', `n0-127.0.0.1:${port}`, '--timeout', '50'])
    assert.equal(r.code, 1, explain(r))
    assert.match(r.stdout, /unreachable: no answer within 50 ms/)
    assert.match(hint(r), /raise --timeout/)
    assert.doesNotMatch(hint(r), /running/)
  })

  it('leader with nothing running asks whether the members run, and does not suggest --wait', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-hints-')
    const r = await sb.run(['leader', '--peers', 'n0-127.0.0.1:1;n1-127.0.0.1:2'])
    assert.equal(r.code, 1, explain(r))
    assert.match(hint(r), /are the members running\?/)
    assert.doesNotMatch(hint(r), /--wait/)
  })

  it('up with an address of another host says to start that member there, not to pick other ports', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-hints-')
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine
    const port = await freePortRange(1)
    const r = await sb.run(['up', '--peers', `n0-127.0.0.1:${port};n1-192.0.2.1:20991`])
    assert.equal(r.code, 1, explain(r))
    assert.match(r.stderr, /^Error: n1's address 192\.0\.2\.1:20991 is not on this machine$/m)
    assert.match(hint(r), /run `dledger start --id n1` on the host of 192\.0\.2\.1:20991/)
    assert.doesNotMatch(hint(r), /--base-port/)
  })

  it('a member that already runs is named with its PID, by start and by up', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-hints-')
    const first = c.start(0)
    await waitFor('n0 to answer', () => statusOf(c.ports[0]), 10_000)
    const again = await c.sb.run(['start', '--id', 'n0', '--peers', c.peers, '--data-dir', join(c.sb.home, 'other')])
    assert.equal(again.code, 1, explain(again))
    assert.match(again.stderr, new RegExp(`^Error: n0 is already running on 127\\.0\\.0\\.1:${c.ports[0]} \\(pid ${first.pid}, group default\\)$`, 'm'))
    assert.match(hint(again), new RegExp(`kill ${first.pid}`))

    const up = await c.sb.run(['up', '--peers', c.peers])
    assert.equal(up.code, 1, explain(up))
    // found by its run record (\`start\` writes one) before any port is tried
    assert.match(up.stderr, new RegExp(`^Error: already running: n0 \\(pid ${first.pid}\\)`, 'm'))
  })

  it("a port held by an outgoing connection's source port is explained with the ephemeral range", async (t) => {
    const sb = sandbox(t, 'dledger-e2e-hints-')
    const port = await silentServer(t)
    // the OS gives this connection a source port from the ephemeral range
    const client = connect({port, host: '127.0.0.1'})
    client.on('error', () => undefined)
    t.after(() => void client.destroy())
    await new Promise<void>((resolve) => client.once('connect', () => resolve()))
    const source = client.localPort as number
    const [low, high] = ephemeralPortRange()
    assert.ok(source >= low && source <= high, `source port ${source} in ${low}-${high}`)

    const r = await sb.run(['up', '--peers', `n0-127.0.0.1:${source}`])
    assert.equal(r.code, 1, explain(r))
    assert.match(r.stderr, new RegExp(`^Error: port ${source} of n0 \\(127\\.0\\.0\\.1:${source}\\) is bound by a connection, not a listener: ${low}-${high} is this machine's ephemeral range`, 'm'))
    assert.match(hint(r), new RegExp(`pick ports below ${low} with --base-port`))
  })

  it("the default ports lie below Linux's ephemeral range", async (t) => {
    const sb = sandbox(t, 'dledger-e2e-hints-')
    const r = await sb.run(['init', '--nodes', '9'])
    assert.equal(r.code, 0, explain(r))
    const peers = JSON.parse(readFileSync(join(sb.home, 'profile.json'), 'utf8')).peers as string
    const ports = peers.split(';').map((p) => Number(p.split(':')[1]))
    assert.equal(ports[0], 20911)
    assert.ok(ports.every((p) => p < 32768), peers)
  })
})
