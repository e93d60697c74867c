import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {WebSocketServer} from 'ws'

import {buildSettings} from '../../src/core/settings.js'
import type {DurableState} from '../../src/core/types.js'
import {silentLogger} from '../../src/node/logger.js'
import {StartupError, startMember} from '../../src/node/member.js'
import {StateStore} from '../../src/node/state-store.js'
import {MAX_FRAME_BYTES, NODE_HEADER} from '../../src/wire/frames.js'
import {freePorts, httpGet, waitFor} from '../helpers/processes.js'
import {openSocket, parseMetrics, startCluster, tempDir, waitForOneLeader} from './helpers.js'

const vote = (over: Record<string, unknown> = {}) =>
  JSON.stringify({kind: 'VoteRequest', group: 'default', remoteId: 'n0', localId: 'n1', code: 200, leaderId: 'n1', term: 99, reqId: `x.${Math.random()}`, ledgerEndIndex: -1, ledgerEndTerm: -1, ...over})

describe('the member runtime', () => {
  it('three members elect exactly one leader, persist its term and vote, and log the election', async (t) => {
    const {members, dir} = await startCluster(t, 3)
    const {leaderId, term} = await waitForOneLeader(members)
    assert.ok(term >= 1)
    for (const m of members) {
      const record = JSON.parse(readFileSync(join(dir, m.settings.selfId, 'state.json'), 'utf8'))
      assert.equal(record.currTerm, m.status().term)
    }
    const lines = readFileSync(join(dir, leaderId, 'vote.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
    const won = lines.find((e) => e.type === 'ROLE_CHANGE' && e.to === 'LEADER')
    assert.ok(won, 'the leader logged its ROLE_CHANGE')
    assert.match(won.reason, /elected with \d\/3 votes/)
    assert.match(won.ts, /^\d{4}-\d\d-\d\dT/)
  })

  it('garbage, unknown kinds, a 2 MiB frame, non-members and another group are dropped and counted; the member keeps serving', async (t) => {
    const {members, ports} = await startCluster(t, 3)
    const {leaderId, term} = await waitForOneLeader(members)
    const port = ports[0]

    const client = await openSocket(t, port)
    client.send('this is not json')
    client.send('{"kind":"AppendEntries","reqId":"1"}')
    client.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]))
    client.send(vote({localId: 'intruder', leaderId: 'intruder'})) // not a member
    client.send(vote({term: 'high'})) // wrong type
    // a member-named connection whose frames claim another sender
    const liar = await openSocket(t, port, {[NODE_HEADER]: 'n2'})
    liar.send(vote({localId: 'n1'}))
    // another group: answered UNKNOWN_GROUP (as DLedger does), counted, no effect on the term
    const peer = await openSocket(t, port, {[NODE_HEADER]: 'n1'})
    peer.send(vote({group: 'other', reqId: 'g1'}))
    const answer = await peer.next<{code: number; reqId: string}>((f) => f.kind === 'VoteResponse')
    assert.equal(answer.reqId, 'g1')
    assert.equal(answer.code, 400)
    // oversized: the socket is closed with 1009, the member stays up
    const big = await openSocket(t, port)
    big.send('x'.repeat(2 * 1024 * 1024))
    assert.equal(await big.closed, 1009)

    const status = await httpGet(port, '/status')
    assert.equal(status.status, 200)
    const metrics = await waitFor('the drops to be counted', async () => {
      const m = parseMetrics((await httpGet(port, '/metrics')).body)
      return m.get('dledger_dropped_messages_total{reason="oversized"}') === 1 ? m : false
    })
    assert.equal(metrics.get('dledger_dropped_messages_total{reason="malformed"}'), 2)
    assert.equal(metrics.get('dledger_dropped_messages_total{reason="binary"}'), 1, 'a binary frame is dropped unread')
    assert.equal(metrics.get('dledger_dropped_messages_total{reason="unknown_kind"}'), 1)
    assert.equal(metrics.get('dledger_dropped_messages_total{reason="non_member"}'), 2)
    assert.equal(metrics.get('dledger_dropped_messages_total{reason="wrong_group"}'), 1)
    assert.equal(metrics.get('dledger_internal_errors_total'), 0)
    const after = await waitForOneLeader(members)
    assert.deepEqual(after, {leaderId, term}, 'nothing disturbed the election')
    // the garbage socket is still usable: the member answers an admin request on it
    client.send(JSON.stringify({kind: 'AdminRequest', reqId: 's', op: 'status'}))
    assert.equal((await client.next<{ok: boolean}>((f) => f.kind === 'AdminResponse')).ok, true)
  })

  it('the largest entry that fits one push reaches every follower; a byte more is refused, as it never could', async (t) => {
    const {members, ports} = await startCluster(t, 3)
    const {leaderId} = await waitForOneLeader(members)
    const toLeader = await openSocket(t, ports[Number(leaderId.slice(1))], {[NODE_HEADER]: 'cli.1'})
    const append = async (reqId: string, body: string) => {
      toLeader.send(JSON.stringify({kind: 'AdminRequest', reqId, op: 'append', bodies: [body]}))
      return toLeader.next<{ok: boolean; code?: string; error?: string}>((f) => f.kind === 'AdminResponse' && f.reqId === reqId)
    }
    // a JSON string of MAX_FRAME_BYTES - 4096 bytes: its quotes and the body
    const largest = 'a'.repeat(MAX_FRAME_BYTES - 4096 - 2)
    const refused = await append('big', `${largest}a`)
    assert.equal(refused.code, 'UNEXPECTED_ARGUMENT', refused.error)
    assert.match(refused.error ?? '', /one push to a follower carries at most/)
    const accepted = await append('fits', largest)
    assert.equal(accepted.ok, true, accepted.error)
    await waitFor('the entry on every member', () => members.every((m) => m.status().ledgerEndIndex === 0), 15_000)
  })

  it("a connection from a configured peer reads a leader's window of large pushes without the client's 1 MiB/s throttle", async (t) => {
    const {members, ports} = await startCluster(t, 2)
    await waitForOneLeader(members)
    const metrics = async () => parseMetrics((await httpGet(ports[0], '/metrics')).body)
    const malformed = 'dledger_dropped_messages_total{reason="malformed"}'
    const before = (await metrics()).get(malformed) ?? 0
    const asPeer = await openSocket(t, ports[0], {[NODE_HEADER]: 'n1'})
    // three frames of 900 KiB in one second: past a client's budget, within a peer's
    for (let i = 0; i < 3; i++) asPeer.send(`"${'x'.repeat(900 * 1024)}"`)
    await waitFor('the three frames read', async () => (await metrics()).get(malformed) === before + 3)
    assert.equal((await metrics()).get('dledger_inbound_throttled_total') ?? 0, 0)
  })

  it('admin requests: status, stepDown, revote, preferred leaders and a log subscription', async (t) => {
    const {members, ports} = await startCluster(t, 3)
    const first = await waitForOneLeader(members)
    const leaderIndex = Number(first.leaderId.slice(1))
    const followerIndex = (leaderIndex + 1) % 3
    const toLeader = await openSocket(t, ports[leaderIndex], {[NODE_HEADER]: 'cli.1'})
    const toFollower = await openSocket(t, ports[followerIndex], {[NODE_HEADER]: 'cli.2'})
    let n = 0
    const ask = async (sock: typeof toLeader, body: Record<string, unknown>) => {
      const reqId = `r${++n}`
      sock.send(JSON.stringify({kind: 'AdminRequest', reqId, ...body}))
      return sock.next<{ok: boolean; code?: string; result?: Record<string, unknown>}>((f) => f.kind === 'AdminResponse' && f.reqId === reqId)
    }
    const sub = await ask(toLeader, {op: 'subscribeLog', tail: 5})
    assert.equal(sub.ok, true)
    assert.ok(Array.isArray(sub.result?.events))
    assert.equal((await ask(toLeader, {op: 'setPreferredLeaders', ids: ['nobody']})).code, 'UNKNOWN_MEMBER')
    assert.deepEqual((await ask(toLeader, {op: 'setPreferredLeaders', ids: []})).result, {preferred: null})
    assert.equal((await ask(toLeader, {op: 'status', group: 'other'})).code, 'UNKNOWN_GROUP')
    assert.equal((await ask(toLeader, {op: 'revote', term: 0})).code, 'UNEXPECTED_ARGUMENT')
    assert.equal((await ask(toLeader, {op: 'explode'})).ok, false)
    assert.equal((await ask(toFollower, {op: 'stepDown'})).code, 'NOT_LEADER')

    assert.equal((await ask(toLeader, {op: 'stepDown'})).ok, true)
    const roleChange = await toLeader.next<{event: {type: string; to: string}}>((f) => f.kind === 'LogEvent' && (f.event as {type: string}).type === 'ROLE_CHANGE')
    assert.equal(roleChange.event.to, 'CANDIDATE')
    const second = await waitFor('a new leadership in a higher term', () => {
      const st = members.map((m) => m.status())
      const leader = st.find((s) => s.role === 'LEADER' && s.term > first.term)
      return leader && st.every((s) => s.leaderId === leader.id && s.term === leader.term) ? leader : false
    })

    const revote = await ask(toFollower, {op: 'revote'})
    assert.equal(revote.ok, true)
    assert.equal(revote.result?.term, second.term + 1)
    await waitFor('the forced election to settle', () => members.every((m) => m.status().leaderId !== null && m.status().term >= second.term + 1))
  })

  it('a client leadership transfer is answered on the client socket once the transferee leads', async (t) => {
    const {members, ports} = await startCluster(t, 3)
    const first = await waitForOneLeader(members)
    const leaderIndex = Number(first.leaderId.slice(1))
    const transferee = `n${(leaderIndex + 1) % 3}`
    const cli = await openSocket(t, ports[leaderIndex], {[NODE_HEADER]: 'cli.7'})
    cli.send(
      JSON.stringify({
        kind: 'LeadershipTransferRequest',
        group: 'default',
        remoteId: first.leaderId,
        localId: 'cli.7',
        code: 200,
        leaderId: first.leaderId,
        term: first.term,
        reqId: 't1',
        transferId: first.leaderId,
        transfereeId: transferee,
        takeLeadershipLedgerIndex: -1,
      }),
    )
    const resp = await cli.next<{code: number; term: number; leaderId: string}>((f) => f.kind === 'LeadershipTransferResponse' && f.reqId === 't1', 5000)
    assert.equal(resp.code, 200)
    assert.equal(resp.leaderId, transferee)
    assert.ok(resp.term > first.term)
    const after = await waitForOneLeader(members)
    assert.equal(after.leaderId, transferee)
  })

  it('a leader stopped with handoff first hands leadership to a live follower', async (t) => {
    const {members, dir} = await startCluster(t, 3)
    const first = await waitForOneLeader(members)
    const leader = members.find((m) => m.settings.selfId === first.leaderId)!
    const rest = members.filter((m) => m !== leader)
    // the leader learns its followers are live when it decides a heartbeat round, and it sends the
    // next round only after deciding the last: a follower that hears a second heartbeat was
    // counted live (a hand-off target) by the round before, however slow the machine is
    for (const m of rest) {
      // the time since the last heartbeat only grows between two heartbeats: a drop is a new one
      let previousAgoMs: number | null = null
      await waitFor(`${m.settings.selfId} to hear a second heartbeat`, () => {
        const st = m.status()
        if (st.lastHeartbeatAgoMs === null || st.leaderId !== first.leaderId) return false
        const renewed = previousAgoMs !== null && st.lastHeartbeatAgoMs < previousAgoMs
        previousAgoMs = st.lastHeartbeatAgoMs
        return renewed
      }, 10_000, 10)
    }
    const stoppedAt = performance.now()
    await leader.stop({handoff: true})
    const handedOffMs = performance.now() - stoppedAt
    const after = await waitForOneLeader(rest, 2000)
    assert.ok(after.term > first.term)
    const events = readFileSync(join(dir, first.leaderId, 'vote.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
    const done = events.find((e) => e.type === 'LEADERSHIP_TRANSFER' && e.phase === 'COMPLETED')
    assert.ok(done, `the transfer completed before the stop (${handedOffMs.toFixed(0)} ms)`)
    assert.equal(done.transferee, after.leaderId)
  })

  it('a write failure of the term/vote record sends nothing and stops the member', async (t) => {
    const [port, peerPort] = await freePorts(2)
    // a fake peer n1 that records what reaches it
    const http = createServer()
    const wss = new WebSocketServer({server: http})
    const received: string[] = []
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined)
      ws.on('message', (d) => received.push(d.toString()))
    })
    await new Promise<void>((r) => http.listen(peerPort, '127.0.0.1', r))
    t.after(() => {
      for (const c of wss.clients) c.terminate()
      wss.close()
      http.close()
    })
    const dir = tempDir(t)
    const real = new StateStore(dir)
    let writes = 0
    const store = {
      file: real.file,
      load: () => real.load(),
      write: (s: DurableState) => {
        if (++writes > 1) throw new Error('EIO: disk on fire')
        real.write(s)
      },
    }
    const member = await startMember({
      settings: buildSettings({selfId: 'n0', peers: `n0-127.0.0.1:${port};n1-127.0.0.1:${peerPort}`, timing: 'fast'}),
      dataDir: dir,
      stateStore: store,
      log: silentLogger,
    })
    t.after(() => member.stop())
    const cause = await member.closed
    assert.ok(cause instanceof Error)
    assert.match(cause.message, /state\.json.*EIO/)
    assert.deepEqual(received.filter((f) => f.includes('VoteRequest')), [], 'no ballot left before its vote was durable')
    await assert.rejects(httpGet(port, '/healthz', {timeoutMs: 500}), 'the member no longer listens')
  })

  it('start-up errors: a port in use is one clear line; a corrupt record names the file', async (t) => {
    const {ports, peers} = await startCluster(t, 1)
    const dir = tempDir(t)
    await assert.rejects(
      startMember({settings: buildSettings({selfId: 'n0', peers, timing: 'fast'}), dataDir: join(dir, 'again'), log: silentLogger}),
      (error: unknown) => error instanceof StartupError && error.message === `port ${ports[0]} on 127.0.0.1 is already in use` && error.hint !== undefined,
    )
    const [free] = await freePorts(1)
    const corrupt = join(dir, 'corrupt')
    mkdirSync(corrupt)
    writeFileSync(join(corrupt, 'state.json'), '{"currTerm": "x"')
    await assert.rejects(
      startMember({settings: buildSettings({selfId: 'n0', peers: `n0-127.0.0.1:${free}`, timing: 'fast'}), dataDir: corrupt, log: silentLogger}),
      (error: unknown) => error instanceof StartupError && error.message.includes(join(corrupt, 'state.json')),
    )
    assert.equal((await httpGet(free, '/healthz').catch(() => null)), null, 'nothing listens after a refused start')
    // a data directory that cannot be created (a file is in the way)
    writeFileSync(join(dir, 'a-file'), '')
    await assert.rejects(
      startMember({settings: buildSettings({selfId: 'n0', peers: `n0-127.0.0.1:${free}`, timing: 'fast'}), dataDir: join(dir, 'a-file', 'n0'), log: silentLogger}),
      (error: unknown) => error instanceof StartupError && error.message.startsWith('cannot create the data directory'),
    )
  })
})
