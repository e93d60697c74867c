/**
 * The CLI's WebSocket client and the `logs -f` follower against members running in this process:
 * tokens, unreachable members, admin answers, log pushes, and a follower that survives its
 * member stopping and starting again.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {adminRequest, connectMember, MemberClientError} from '../../src/cli/member-client.js'
import {LogFollower} from '../../src/cli/vote-log-source.js'
import {buildSettings} from '../../src/core/settings.js'
import {silentLogger} from '../../src/node/logger.js'
import {type RunningMember, startMember} from '../../src/node/member.js'
import type {VoteLogRecord} from '../../src/wire/frames.js'
import {freePorts, waitFor} from '../helpers/processes.js'
import {startCluster, tempDir, waitForOneLeader} from '../node/helpers.js'

const at = (port: number) => ({id: 'n0', host: '127.0.0.1', port})

describe('member-client', () => {
  it('refuses without the token, says when nobody listens, and answers admin requests with it', async (t) => {
    const c = await startCluster(t, 1, {token: 'tok'})
    await waitForOneLeader(c.members)
    const port = c.ports[0]

    await assert.rejects(connectMember(at(port)), (e: MemberClientError) => e.code === 'UNAUTHORIZED' && /n0: unauthorized/.test(e.message))
    const [free] = await freePorts(1)
    await assert.rejects(connectMember(at(free)), (e: MemberClientError) => e.code === 'UNREACHABLE' && /connection refused/.test(e.message))

    const status = await adminRequest(at(port), {op: 'status'}, {token: 'tok'})
    assert.equal(status.ok, true)
    assert.equal((status.result as {id: string; role: string}).role, 'LEADER')
    const wrongGroup = await adminRequest(at(port), {op: 'status'}, {token: 'tok', group: 'other'})
    assert.equal(wrongGroup.ok, false)
    assert.equal(wrongGroup.code, 'UNKNOWN_GROUP')
  })

  it('receives log pushes after subscribeLog, and rejects what is pending when the member stops', async (t) => {
    const c = await startCluster(t, 1)
    await waitForOneLeader(c.members)
    const conn = await connectMember(at(c.ports[0]))
    t.after(() => conn.close())
    const pushed: VoteLogRecord[] = []
    conn.onLogEvent((r) => pushed.push(r))
    const answer = await conn.admin({op: 'subscribeLog', tail: 5, types: ['ROLE_CHANGE']})
    assert.equal(answer.ok, true)
    const tail = (answer.result as {events: VoteLogRecord[]}).events
    assert.ok(tail.some((r) => r.type === 'ROLE_CHANGE' && r.to === 'LEADER'), JSON.stringify(tail))

    assert.equal((await conn.admin({op: 'stepDown'})).ok, true)
    await waitFor('a pushed ROLE_CHANGE', () => pushed.some((r) => r.type === 'ROLE_CHANGE' && r.from === 'LEADER'), 5000)
    assert.ok(pushed.every((r) => r.type === 'ROLE_CHANGE'))

    const closed = new Promise<string>((resolve) => conn.onClose(resolve))
    await c.members[0].stop()
    assert.match(await closed, /connection closed \(1001/)
    await assert.rejects(conn.admin({op: 'status'}), (e: MemberClientError) => e.code === 'CLOSED')
  })
})

describe('the logs -f follower', () => {
  it('follows a member across its restart and prints each record once', async (t) => {
    const [port] = await freePorts(1)
    const dataDir = tempDir(t)
    const settings = buildSettings({selfId: 'n0', peers: `n0-127.0.0.1:${port}`, timing: 'fast'})
    let member: RunningMember = await startMember({settings, dataDir, log: silentLogger})
    t.after(() => member.stop())
    await waitForOneLeader([member])

    const records: VoteLogRecord[] = []
    const notices: string[] = []
    const follower = new LogFollower({
      members: [at(port)],
      client: {},
      onRecord: (r) => records.push(r),
      onNotice: (id, text) => notices.push(`${id}: ${text}`),
      minBackoffMs: 20,
      maxBackoffMs: 100,
    })
    t.after(() => follower.close())
    const first = await follower.start()
    const history = first.get('n0')
    assert.ok(history?.ok && history.records.some((r) => r.type === 'ROLE_CHANGE' && r.to === 'LEADER'))
    follower.markSeen(history.records)
    follower.live()
    assert.equal(follower.connected, 1)

    await member.stop()
    await waitFor('the follower to notice', () => notices.some((n) => /n0: connection closed.*reconnecting/.test(n)), 5000)
    member = await startMember({settings, dataDir, log: silentLogger})
    await waitFor('the follower to follow again', () => notices.includes('n0: following again') && follower.connected === 1, 5000)
    // the restarted member elects itself again; the follower prints that once, and nothing from before
    await waitFor('the new election', () => records.some((r) => r.type === 'ROLE_CHANGE' && r.to === 'LEADER'), 5000)
    const keys = records.map((r) => JSON.stringify(r))
    assert.equal(new Set(keys).size, keys.length, 'no record twice')
    const lastHistoryMs = Math.max(...history.records.map((r) => Date.parse(r.ts)))
    assert.ok(records.every((r) => Date.parse(r.ts) >= lastHistoryMs), 'nothing from the history again')
  })
})
