import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {describe, it} from 'node:test'

import {parsePeers, type Peer} from '../../src/core/settings.js'
import {
  aggregateStatus,
  clusterHealth,
  confirmedLeader,
  fetchClusterStatus,
  probeMember,
  quorumOf,
  renderStatus,
  STATUS_COLUMNS,
  UNAUTHORIZED,
  type MemberStatusReport,
  type Probe,
} from '../../src/cli/cluster-client.js'

const PEERS = parsePeers('n0-127.0.0.1:7001;n1-127.0.0.1:7002;n2-127.0.0.1:7003')
const peer = (id: string) => PEERS.find((p) => p.id === id) as Peer

function report(id: string, fields: Partial<MemberStatusReport> = {}): MemberStatusReport {
  return {
    id,
    address: peer(id)?.address ?? '127.0.0.1:1',
    pid: 1000 + Number(id.slice(1)),
    role: 'FOLLOWER',
    term: 3,
    leaderId: 'n0',
    votedFor: 'n0',
    ledgerEndIndex: -1,
    ledgerEndTerm: -1,
    committedIndex: -1,
    preferred: null,
    lastHeartbeatAgoMs: 40,
    error: null,
    group: 'default',
    knownMaxTermInGroup: 3,
    transferee: null,
    reachable: true,
    startedAt: '2026-11-25T18:00:00.000Z',
    uptimeMs: 1000,
    version: '0.1.0',
    ...fields,
  } as MemberStatusReport
}

const up = (id: string, fields: Partial<MemberStatusReport> = {}): Probe => ({peer: peer(id), ok: true, status: report(id, fields)})
const down = (id: string, error = 'unreachable: connection refused'): Probe => ({peer: peer(id), ok: false, error})
const healthy = () => [up('n0', {role: 'LEADER', lastHeartbeatAgoMs: null}), up('n1'), up('n2')]

describe('aggregateStatus', () => {
  it('a healthy cluster: the leader and its term, no warnings, members in spec §4 shape', () => {
    const s = aggregateStatus(healthy(), {group: 'default'})
    assert.equal(s.group, 'default')
    assert.equal(s.leaderId, 'n0')
    assert.equal(s.term, 3)
    assert.deepEqual(s.warnings, [])
    assert.deepEqual(Object.keys(s.members[1]), [
      'id',
      'address',
      'reachable',
      'pid',
      'role',
      'term',
      'leaderId',
      'votedFor',
      'ledgerEndIndex',
      'ledgerEndTerm',
      'committedIndex',
      'preferred',
      'lastHeartbeatAgoMs',
      'error',
      'faults',
    ])
    assert.equal(s.members[1].pid, 1001)
    assert.equal(confirmedLeader(s)?.id, 'n0')
  })

  it('the cluster leader is the one reported in the highest term', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER', term: 3}), up('n1', {term: 5, leaderId: 'n2'}), up('n2', {role: 'LEADER', term: 5, leaderId: 'n2'})])
    assert.equal(s.leaderId, 'n2')
    assert.equal(s.term, 5)
  })

  it('no member knows a leader: leaderId and term are null', () => {
    const s = aggregateStatus([up('n0', {role: 'CANDIDATE', leaderId: null}), up('n1', {role: 'CANDIDATE', leaderId: null}), down('n2')])
    assert.equal(s.leaderId, null)
    assert.equal(s.term, null)
    assert.equal(confirmedLeader(s), null)
  })

  it('only reachable members count: nothing reachable means no leader', () => {
    const s = aggregateStatus([down('n0'), down('n1'), down('n2')])
    assert.equal(s.leaderId, null)
    assert.equal(s.group, null)
    assert.equal(s.warnings.length, 3)
  })

  it('warns about two leaders in one term', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER', leaderId: 'n0'}), up('n1', {role: 'LEADER', leaderId: 'n1'}), up('n2')])
    assert.ok(s.warnings.includes('2 leaders in term 3: n0, n1'), s.warnings.join('\n'))
  })

  it('warns when members disagree on the leader', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER'}), up('n1'), up('n2', {leaderId: 'n1', term: 2})])
    assert.ok(s.warnings.includes('members disagree on the leader: n0, n1 say n0; n2 says n1'), s.warnings.join('\n'))
    assert.equal(s.leaderId, 'n0')
  })

  it('warns when members disagree on the preferred leader', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER', preferred: 'n2'}), up('n1', {preferred: 'n2'}), up('n2')])
    assert.ok(s.warnings.includes('members disagree on the preferred leader: n0, n1 say n2; n2 says none'), s.warnings.join('\n'))
  })

  it('an unreachable member is a row with its error and a warning; 401 says unauthorized', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER'}), up('n1'), down('n2', UNAUTHORIZED)])
    const n2 = s.members[2]
    assert.equal(n2.reachable, false)
    assert.equal(n2.pid, null)
    assert.equal(n2.role, null)
    assert.equal(n2.error, UNAUTHORIZED)
    assert.ok(s.warnings.includes(`n2 (127.0.0.1:7003): ${UNAUTHORIZED}`), s.warnings.join('\n'))
    assert.equal(s.leaderId, 'n0')
  })

  it('a leader reported by others that does not answer is the cluster leader, but not confirmed', () => {
    const s = aggregateStatus([down('n0'), up('n1'), up('n2')])
    assert.equal(s.leaderId, 'n0')
    assert.equal(s.term, 3)
    assert.equal(confirmedLeader(s), null)
    assert.ok(s.warnings.some((w) => w.startsWith('the leader n0 (term 3) is reported by other members but does not answer')))
  })

  it('in one term, a leader that confirms itself wins over a stale report', () => {
    const s = aggregateStatus([up('n0', {term: 4, leaderId: 'n2'}), up('n1', {role: 'LEADER', term: 4, leaderId: 'n1'}), up('n2', {term: 4, leaderId: 'n2'})])
    assert.equal(s.leaderId, 'n1')
  })

  it('learns the group from the members with --peers, and warns about a member of another group or id', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER'}), up('n1'), up('n2', {group: 'other', id: 'n7'})])
    assert.equal(s.group, 'default')
    assert.ok(s.warnings.includes('n2 (127.0.0.1:7003) is in group "other", not "default"'))
    assert.ok(s.warnings.includes('the member at 127.0.0.1:7003 says it is n7, not n2'))
  })

  it('a lone candidate: status warns first that there is no leader', () => {
    const s = aggregateStatus([up('n0', {role: 'CANDIDATE', leaderId: null, term: 7}), down('n1'), down('n2')])
    assert.equal(s.warnings[0], 'no leader: 1/3 members answer (n0 CANDIDATE in term 7), none leads')
  })

  it('a leader followed by less than a majority: status warns that there is no majority', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER'}), up('n1', {leaderId: null, role: 'CANDIDATE', term: 4}), down('n2')])
    assert.equal(s.warnings[0], 'no majority: n0 leads term 3, but only with 1/3 members (a majority is 2)')
  })
})

describe('clusterHealth', () => {
  it('healthy when the confirmed leader is followed in its term by a majority of all members', () => {
    const h = clusterHealth(aggregateStatus([up('n0', {role: 'LEADER'}), up('n1'), down('n2')]))
    assert.deepEqual(h, {healthy: true, leaderId: 'n0', term: 3, following: ['n0', 'n1'], quorum: 2, reason: 'n0 leads term 3 with 2/3 members (a majority is 2)'})
  })

  it('a follower of an older term does not count toward the majority', () => {
    const h = clusterHealth(aggregateStatus([up('n0', {role: 'LEADER'}), up('n1', {term: 2}), down('n2')]))
    assert.equal(h.healthy, false)
    assert.deepEqual(h.following, ['n0'])
  })

  it('unhealthy without a confirmed leader: nobody answers, or a stale report of a leader that does not answer', () => {
    assert.equal(clusterHealth(aggregateStatus([down('n0'), down('n1'), down('n2')])).reason, 'no leader: no member answers')
    const stale = clusterHealth(aggregateStatus([down('n0'), up('n1'), up('n2')]))
    assert.equal(stale.healthy, false)
    assert.equal(stale.leaderId, null)
  })

  it('a majority of five is three', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(quorumOf), [1, 2, 2, 3, 3])
  })
})

describe('renderStatus', () => {
  it("prints the spec's columns, one row per member, then the warnings", async () => {
    const text = await renderStatus(aggregateStatus([up('n0', {role: 'LEADER', lastHeartbeatAgoMs: null}), up('n1'), down('n2')]))
    const lines = text.split('\n')
    assert.deepEqual(lines[0].split(/\s+/), STATUS_COLUMNS)
    assert.match(lines[1], /^n0\s+127\.0\.0\.1:7001\s+LEADER\s+3\s+n0\s+n0\s+-1\/-1\s+-\s+-\s+-\s+ok$/)
    assert.match(lines[2], /^n1\s+127\.0\.0\.1:7002\s+FOLLOWER\s+3\s+n0\s+n0\s+-1\/-1\s+40ms ago\s+-\s+-\s+ok$/)
    assert.match(lines[3], /^n2\s+127\.0\.0\.1:7003(\s+-){8}\s+unreachable: connection refused$/)
    assert.match(lines[4], /^warning: /)
  })
})

/** A fake member answering /status on 127.0.0.1 (or with a token, 401 without it). */
async function fakeMember(handler: (auth: string | undefined) => {status: number; body: string} | 'hang'): Promise<{peer: Peer; server: Server}> {
  const server = createServer((req, res) => {
    const out = handler(req.headers.authorization)
    if (out === 'hang') return
    res.writeHead(out.status, {'content-type': 'application/json'}).end(out.body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  return {peer: parsePeers(`n0-127.0.0.1:${port}`)[0], server}
}

describe('probeMember', () => {
  it('reads a member status', async (t) => {
    const {peer: p, server} = await fakeMember(() => ({status: 200, body: JSON.stringify(report('n0', {role: 'LEADER'}))}))
    t.after(() => server.close())
    const probe = await probeMember(p, {timeoutMs: 1000})
    assert.equal(probe.ok, true)
    assert.equal(probe.ok && probe.status.role, 'LEADER')
  })

  it('sends the token; a 401 becomes "unauthorized"', async (t) => {
    const {peer: p, server} = await fakeMember((auth) =>
      auth === 'Bearer tok' ? {status: 200, body: JSON.stringify(report('n0'))} : {status: 401, body: '{"error":"unauthorized"}'},
    )
    t.after(() => server.close())
    assert.equal((await probeMember(p, {token: 'tok'})).ok, true)
    const denied = await probeMember(p, {token: 'wrong'})
    assert.deepEqual(denied.ok ? null : [denied.error, denied.httpStatus], [UNAUTHORIZED, 401])
  })

  it('a member that does not answer in time is unreachable after the timeout', async (t) => {
    const {peer: p, server} = await fakeMember(() => 'hang')
    t.after(() => {
      server.closeAllConnections()
      server.close()
    })
    const started = Date.now()
    const probe = await probeMember(p, {timeoutMs: 150})
    assert.ok(Date.now() - started < 1000)
    assert.equal(probe.ok ? null : probe.error, 'unreachable: no answer within 150 ms')
  })

  it('a refused connection and a malformed answer are reported as such', async (t) => {
    const {peer: p, server} = await fakeMember(() => ({status: 200, body: '{"role": 7}'}))
    t.after(() => server.close())
    const bad = await probeMember(p)
    assert.match(bad.ok ? '' : bad.error, /^invalid \/status answer/)
    const closed = parsePeers('n0-127.0.0.1:1')[0]
    const refused = await probeMember(closed)
    assert.equal(refused.ok ? null : refused.error, 'unreachable: connection refused')
  })

  it('fetchClusterStatus asks every member in parallel', async (t) => {
    const servers = await Promise.all([0, 1, 2].map(() => fakeMember(() => 'hang')))
    t.after(() => {
      for (const {server} of servers) {
        server.closeAllConnections()
        server.close()
      }
    })
    const peers = servers.map(({peer: p}, i) => ({...p, id: `n${i}`}))
    const started = Date.now()
    const s = await fetchClusterStatus({peers, group: null}, {timeoutMs: 200})
    assert.ok(Date.now() - started < 550, 'three timeouts overlap')
    assert.equal(s.members.filter((m) => !m.reachable).length, 3)
  })
})
