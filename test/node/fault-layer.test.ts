/**
 * The fault layer (issue 10, item 1): on peer traffic only, set by an authenticated admin request,
 * visible in status, written to the vote log, volatile.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {adminRequest} from '../../src/cli/member-client.js'
import {FaultLayer, handleFaultsOp} from '../../src/node/fault-layer.js'
import {describeFaults, type FaultState} from '../../src/wire/faults.js'
import {httpGet, waitFor} from '../helpers/processes.js'
import {startCluster, waitForOneLeader} from './helpers.js'

const cutOff = (ids: string[]): FaultState => ({dropTo: ids, dropFrom: ids, loss: 0, delayMs: null})
const healthy: FaultState = {dropTo: [], dropFrom: [], loss: 0, delayMs: null}

describe('the fault layer', () => {
  it('drops to and from the peers it names, loses with its probability, and delays within its range', async () => {
    let r = 0.5
    const layer = new FaultLayer(() => r)
    layer.set({dropTo: ['n1'], dropFrom: ['n2'], loss: 0.4, delayMs: null})
    assert.equal(layer.dropsOutbound('n1'), true)
    assert.equal(layer.dropsInbound('n2'), true)
    assert.equal(layer.dropsInbound('n1'), false, 'a one-way cut drops one direction only')
    assert.equal(layer.dropsOutbound('n2'), false, 'random 0.5 is above loss 0.4')
    r = 0.1
    assert.equal(layer.dropsOutbound('n2'), true, 'random 0.1 is below loss 0.4')
    layer.set({...healthy, delayMs: [30, 30]})
    const sent: number[] = []
    const t0 = performance.now()
    const alive = setTimeout(() => undefined, 1000) // the layer's own timer does not hold the process open
    await new Promise<void>((resolve) =>
      layer.send('n1', () => {
        sent.push(performance.now() - t0)
        resolve()
      }),
    )
    clearTimeout(alive)
    assert.ok(sent[0] >= 25, `delayed ${sent[0]} ms`)
    layer.set(healthy)
    assert.equal(layer.current(), null, 'no fault reads as null')
    const members = new FaultLayer(() => 0, new Set(['n0', 'n1']))
    members.set({...healthy, loss: 1})
    assert.equal(members.dropsOutbound('n1'), true)
    assert.equal(members.dropsOutbound('cli.42'), false, 'a client (a transfer asked by the CLI) is never affected')
  })

  it('the faults op refuses ids that are not peers, and records a change once', () => {
    const layer = new FaultLayer()
    const recorded: string[] = []
    const ctx = {selfId: 'n0', peerIds: new Set(['n0', 'n1', 'n2']), by: 'test', record: (d: string) => recorded.push(d), log: {info: () => undefined}}
    assert.deepEqual(handleFaultsOp(layer, cutOff(['n9']), ctx), {ok: false, code: 'UNKNOWN_MEMBER', error: 'not a peer of n0: n9'})
    assert.equal(handleFaultsOp(layer, cutOff(['n1']), ctx).ok, true)
    handleFaultsOp(layer, cutOff(['n1']), ctx)
    assert.deepEqual(recorded, ['cut off n1'])
    assert.equal(describeFaults({dropTo: ['n1'], dropFrom: [], loss: 0.2, delayMs: [20, 80]}), 'drop to n1; loss 0.2; delay 20-80ms')
  })

  it('a member cut off by the admin op loses its leadership, shows the faults in /status and its vote log, and a heal lets it rejoin', async (t) => {
    const {members, ports, dir} = await startCluster(t, 3, {token: 'sekrit'})
    const {leaderId, term} = await waitForOneLeader(members)
    const i = Number(leaderId.slice(1))
    const others = ['n0', 'n1', 'n2'].filter((id) => id !== leaderId)
    const at = (k: number) => ({id: `n${k}`, host: '127.0.0.1', port: ports[k]})

    // without the token the request is refused before it reaches the member
    await assert.rejects(adminRequest(at(i), {op: 'faults', set: cutOff(others)}), /401|unauthorized/i)
    for (let k = 0; k < 3; k++) {
      const set = k === i ? cutOff(others) : cutOff([leaderId])
      const r = await adminRequest(at(k), {op: 'faults', set}, {token: 'sekrit'})
      assert.equal(r.ok, true, JSON.stringify(r))
    }
    await waitFor('a new leader among the others, in a higher term', () => {
      const s = members.filter((m) => m.settings.selfId !== leaderId).map((m) => m.status())
      return s.some((x) => x.role === 'LEADER' && x.term > term)
    })
    await waitFor('the cut-off leader steps down', () => members[i].status().role !== 'LEADER')

    // status is served whatever the faults (never on peer traffic only)
    const body = JSON.parse((await httpGet(ports[i], '/status', {token: 'sekrit'})).body) as {faults: FaultState | null}
    assert.deepEqual(body.faults, cutOff(others))
    const log = readFileSync(join(dir, leaderId, 'vote.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {type: string; faults?: string})
    assert.ok(log.some((e) => e.type === 'FAULTS' && e.faults === `cut off ${others.join(',')}`), 'the partition is in the vote log')

    for (let k = 0; k < 3; k++) await adminRequest(at(k), {op: 'faults', set: healthy}, {token: 'sekrit'})
    await waitForOneLeader(members)
    assert.equal(members[i].status().faults, null)
  })
})
