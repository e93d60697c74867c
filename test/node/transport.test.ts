import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import {describe, it} from 'node:test'

import fc from 'fast-check'
import {WebSocketServer} from 'ws'

import {parsePeers} from '../../src/core/settings.js'
import {RESPONSE_CODES, type VoteRequest} from '../../src/core/types.js'
import {BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelayMs, type PeerResponse, Transport} from '../../src/node/transport.js'
import {freePorts, waitFor} from '../helpers/processes.js'

function voteTo(remoteId: string, reqId: string): VoteRequest {
  return {kind: 'VoteRequest', group: 'default', remoteId, localId: 'n0', code: 200, leaderId: 'n0', term: 1, reqId, ledgerEndIndex: -1, ledgerEndTerm: -1}
}

describe('the peer transport', () => {
  it('full-jitter backoff stays within [0, min(cap, base × 2^attempt)) (property)', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({min: 0, max: 1, maxExcluded: true, noNaN: true}), (attempt, r) => {
        const d = backoffDelayMs(attempt, () => r)
        return d >= 0 && d < Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) + 1e-9 && Number.isInteger(d)
      }),
    )
  })

  it('members spawned together retry a refused peer within a few ms, then back off to the cap', () => {
    assert.ok(backoffDelayMs(0, () => 0.999) < 10)
    assert.ok(backoffDelayMs(1, () => 0.999) < 20)
    assert.ok(backoffDelayMs(30, () => 0.999) > BACKOFF_CAP_MS * 0.99)
  })

  it('a request to a peer that is not connected is answered at once with NETWORK_ERROR', async (t) => {
    const [port] = await freePorts(1) // nobody listens there
    const got: PeerResponse[] = []
    const transport = new Transport({
      selfId: 'n0',
      group: 'default',
      peers: parsePeers(`n0-127.0.0.1:1;n1-127.0.0.1:${port}`),
      rpcTimeoutMs: 5000,
      pingIntervalMs: 1000,
      onResponse: (r) => got.push(r),
      onDropped: () => undefined,
    })
    t.after(() => transport.close())
    transport.start()
    transport.send(voteTo('n1', 'r1'))
    assert.equal(got.length, 1, 'answered synchronously, without waiting for a timeout')
    assert.equal(got[0].code, RESPONSE_CODES.NETWORK_ERROR)
    assert.equal(got[0].reqId, 'r1')
  })

  it('a silent peer: the request times out after rpcTimeoutMs; a lost connection answers the rest at once', async (t) => {
    const [port] = await freePorts(1)
    const http = createServer()
    const wss = new WebSocketServer({server: http})
    const sockets = new Set<import('ws').WebSocket>()
    wss.on('connection', (ws) => {
      sockets.add(ws)
      ws.on('error', () => undefined)
    }) // accepts, never answers
    await new Promise<void>((r) => http.listen(port, '127.0.0.1', r))
    t.after(() => {
      for (const s of sockets) s.terminate()
      wss.close()
      http.close()
    })
    const got: {r: PeerResponse; at: number}[] = []
    const transport = new Transport({
      selfId: 'n0',
      group: 'default',
      peers: parsePeers(`n0-127.0.0.1:1;n1-127.0.0.1:${port}`),
      rpcTimeoutMs: 150,
      pingIntervalMs: 1000,
      onResponse: (r) => got.push({r, at: performance.now()}),
      onDropped: () => undefined,
    })
    t.after(() => transport.close())
    transport.start()
    await waitFor('the connection', () => transport.isConnected('n1'), 3000, 5)
    const sentAt = performance.now()
    transport.send(voteTo('n1', 'slow'))
    await waitFor('the timeout', () => got.length === 1, 3000, 5)
    assert.equal(got[0].r.code, RESPONSE_CODES.NETWORK_ERROR)
    assert.ok(got[0].at - sentAt >= 140, `timed out after ${got[0].at - sentAt} ms`)

    const lostSentAt = performance.now()
    transport.send(voteTo('n1', 'lost'))
    for (const s of sockets) s.terminate()
    await waitFor('the connection loss', () => got.length === 2, 3000, 5)
    assert.equal(got[1].r.reqId, 'lost')
    assert.ok(got[1].at - lostSentAt < 140, `answered on the loss after ${got[1].at - lostSentAt} ms, not by the timeout`)
  })
})
