/**
 * The member runtime end to end: real `dledger start` processes on 127.0.0.1 with the fast
 * timing preset, killed with SIGKILL and restarted, read through their own `GET /status`.
 * Needs `npm run build` first (`npm test` does it). Every child is killed by PID and every temp
 * dir removed in t.after, also when a test fails.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {exited, oneLeader, processCluster, statusOf} from '../helpers/cluster.js'
import {httpGet, openWs, waitFor} from '../helpers/processes.js'

describe('dledger start (real processes)', () => {
  it('3 members: one leader; kill -9 of it elects another in a higher term; it rejoins as follower; without followers the leader becomes CANDIDATE in its term', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-member-')
    for (let i = 0; i < 3; i++) c.start(i)
    const first = await oneLeader(c, [0, 1, 2])
    const old = first.leader

    await c.kill9(old)
    // the durable record survives kill -9: the old leader voted for itself in its term
    const record = JSON.parse(readFileSync(join(c.dataDir(old), 'state.json'), 'utf8'))
    assert.deepEqual(record, {currTerm: first.term, currVoteFor: `n${old}`})
    assert.equal(existsSync(join(c.dataDir(old), 'state.json.tmp')), false)

    const rest = [0, 1, 2].filter((i) => i !== old)
    const second = await oneLeader(c, rest)
    assert.ok(second.term > first.term, `new term ${second.term} > ${first.term}`)

    // the restarted member rejoins as a follower and the term does not move
    c.start(old)
    const rejoined = await oneLeader(c, [0, 1, 2])
    assert.deepEqual(rejoined, second)
    assert.equal((await statusOf(c.ports[old]))?.role, 'FOLLOWER')

    // both followers die: the leader loses its heartbeat quorum and becomes CANDIDATE, same term
    const followers = [0, 1, 2].filter((i) => i !== second.leader)
    await Promise.all(followers.map((i) => c.kill9(i)))
    const alone = await waitFor('the lone leader to become CANDIDATE', async () => {
      const s = await statusOf(c.ports[second.leader])
      return s?.role === 'CANDIDATE' ? s : false
    }, 10_000)
    assert.equal(alone.term, second.term)
    await new Promise((r) => setTimeout(r, 500)) // several failed ballots later, still the same term
    assert.equal((await statusOf(c.ports[second.leader]))?.term, second.term)
  })

  it('5 members elect exactly one leader', async (t) => {
    const c = await processCluster(t, 5, 'dledger-e2e-member-')
    for (let i = 0; i < 5; i++) c.start(i)
    const {leader, term} = await oneLeader(c, [0, 1, 2, 3, 4])
    const st = await Promise.all(c.ports.map((p) => statusOf(p)))
    assert.deepEqual(st.map((s) => s?.role === 'LEADER'), [0, 1, 2, 3, 4].map((i) => i === leader))
    assert.ok(st.every((s) => s?.term === term))
  })

  it('a single member with a token: 401 without it, garbage and oversized frames leave it serving, SIGTERM exits 0, and it restarts as leader in the same term', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-member-')
    const token = 's3cret-token'
    const port = c.ports[0]
    const child = c.start(0, ['--token', token])
    const first = await waitFor('the single member to lead', async () => {
      const s = await statusOf(port, token)
      return s?.role === 'LEADER' ? s : false
    })

    assert.equal((await httpGet(port, '/status')).status, 401)
    assert.equal((await httpGet(port, '/metrics', {token: 'wrong'})).status, 401)
    assert.equal((await httpGet(port, '/healthz')).status, 200)
    await assert.rejects(openWs(port), /401/)

    const ws = await openWs(port, {authorization: `Bearer ${token}`})
    ws.send('garbage{')
    ws.send('{"kind":"Gossip"}')
    ws.send(JSON.stringify({kind: 'VoteRequest', group: 'default', remoteId: 'n0', localId: 'mallory', code: 200, leaderId: 'mallory', term: 1000, reqId: 'm', ledgerEndIndex: 0, ledgerEndTerm: 0}))
    const big = await openWs(port, {authorization: `Bearer ${token}`})
    const bigClosed = new Promise<number>((r) => big.once('close', (code) => r(code)))
    big.send(Buffer.alloc(2 * 1024 * 1024, 0x61))
    assert.equal(await bigClosed, 1009)
    ws.close()

    const metrics = await waitFor('the drops in /metrics', async () => {
      const body = (await httpGet(port, '/metrics', {token})).body
      return /dledger_dropped_messages_total\{reason="non_member"\} 1/.test(body) ? body : false
    })
    assert.match(metrics, /dledger_dropped_messages_total\{reason="malformed"\} 1/)
    assert.match(metrics, /dledger_dropped_messages_total\{reason="unknown_kind"\} 1/)
    assert.match(metrics, /dledger_dropped_messages_total\{reason="oversized"\} 1/)
    const still = await statusOf(port, token)
    assert.equal(still?.role, 'LEADER')
    assert.equal(still?.term, first.term, 'the non-member ballot for term 1000 had no effect')

    // a second member on the same port: one clear line (without the token it cannot learn which member holds it)
    const clash = await c.sb.run(['start', '--id', 'n0', '--peers', c.peers, '--data-dir', join(c.sb.home, 'other'), '--timing', 'fast'])
    assert.notEqual(clash.code, 0)
    assert.match(clash.stderr, new RegExp(`^Error: port ${port} of n0 \\(127\\.0\\.0\\.1:${port}\\) is already in use by a dledger member that wants a token`, 'm'))
    const named = await c.sb.run(['start', '--id', 'n0', '--peers', c.peers, '--data-dir', join(c.sb.home, 'other'), '--timing', 'fast'], {env: {DLEDGER_TOKEN: token}})
    assert.match(named.stderr, new RegExp(`^Error: n0 is already running on 127\\.0\\.0\\.1:${port} \\(pid ${child.pid}`, 'm'))

    child.kill('SIGTERM')
    assert.deepEqual(await exited(child), {code: 0, signal: null})
    const log = readFileSync(join(c.dataDir(0), 'vote.log'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
    assert.ok(log.some((e) => e.type === 'ROLE_CHANGE' && e.to === 'LEADER' && e.term === first.term))

    c.start(0, [], {DLEDGER_TOKEN: token})
    const again = await waitFor('the restarted member to lead', async () => {
      const s = await statusOf(port, token)
      return s?.role === 'LEADER' ? s : false
    })
    assert.equal(again.term, first.term)
  })

  it('a corrupt state.json refuses start-up with one line naming the file', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-member-')
    mkdirSync(c.dataDir(0), {recursive: true})
    const file = join(c.dataDir(0), 'state.json')
    writeFileSync(file, '{"currTerm": 3, "currVoteFor": ')
    const r = await c.sb.run(['start', '--id', 'n0', '--peers', c.peers, '--data-dir', c.dataDir(0), '--timing', 'fast'])
    assert.notEqual(r.code, 0)
    const naming = r.stderr.split('\n').filter((l) => l.includes(file))
    assert.equal(naming.length, 1, r.stderr)
    assert.match(naming[0], /corrupt/)
    assert.equal(await statusOf(c.ports[0]), null, 'nothing listens')
  })
})
