import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {tokenMatches} from '../../src/node/server.js'
import {httpGet} from '../helpers/processes.js'
import {openSocket, parseMetrics, startCluster} from './helpers.js'

describe('the member HTTP server', () => {
  it('the token compare never throws, whatever the lengths', () => {
    assert.equal(tokenMatches('Bearer s3cret', 's3cret'), true)
    assert.equal(tokenMatches('bearer s3cret', 's3cret'), true)
    assert.equal(tokenMatches('Bearer s3cre', 's3cret'), false)
    assert.equal(tokenMatches('Bearer s3cret-and-more', 's3cret'), false)
    assert.equal(tokenMatches('s3cret', 's3cret'), false)
    assert.equal(tokenMatches(undefined, 's3cret'), false)
    assert.equal(tokenMatches(['Bearer s3cret'], 's3cret'), false)
    fc.assert(fc.property(fc.string(), fc.string({minLength: 1}), (h, tok) => typeof tokenMatches(`Bearer ${h}`, tok) === 'boolean'))
  })

  it('with a token: 401 without it on every route and upgrade but /healthz', async (t) => {
    const {ports, members} = await startCluster(t, 1, {token: 's3cret'})
    const [port] = ports
    for (const path of ['/status', '/metrics', '/ws', '/nope']) {
      assert.equal((await httpGet(port, path)).status, 401, path)
      assert.equal((await httpGet(port, path, {token: 'wrong'})).status, 401, path)
    }
    assert.equal((await httpGet(port, '/healthz')).status, 200)
    await assert.rejects(openSocket(t, port), /401/)
    await assert.rejects(openSocket(t, port, {authorization: 'Bearer wrong'}), /401/)

    const status = await httpGet(port, '/status', {token: 's3cret'})
    assert.equal(status.status, 200)
    assert.deepEqual(JSON.parse(status.body), {...members[0].status(), uptimeMs: JSON.parse(status.body).uptimeMs, lastHeartbeatAgoMs: JSON.parse(status.body).lastHeartbeatAgoMs})
    const sock = await openSocket(t, port, {authorization: 'Bearer s3cret'})
    sock.send(JSON.stringify({kind: 'AdminRequest', reqId: 'a1', op: 'status'}))
    const resp = await sock.next<{ok: boolean; result: {id: string}}>((f) => f.kind === 'AdminResponse')
    assert.equal(resp.ok, true)
    assert.equal(resp.result.id, 'n0')
    const metrics = parseMetrics((await httpGet(port, '/metrics', {token: 's3cret'})).body)
    assert.ok((metrics.get('dledger_unauthorized_requests_total') ?? 0) >= 10)
  })

  it('without a token: open routes, 404 for unknown paths, 426 for plain GET on the WebSocket path', async (t) => {
    const {ports} = await startCluster(t, 1)
    const [port] = ports
    assert.equal((await httpGet(port, '/status')).status, 200)
    assert.equal((await httpGet(port, '/healthz')).body, 'ok\n')
    assert.equal((await httpGet(port, '/nope')).status, 404)
    assert.equal((await httpGet(port, '/ws')).status, 426)
    const metrics = await httpGet(port, '/metrics')
    assert.match(metrics.body, /^# HELP dledger_info/m)
    assert.match(metrics.body, /^dledger_term \d+$/m)
    assert.match(metrics.body, /^dledger_role\{role="LEADER"\} [01]$/m)
  })
})
