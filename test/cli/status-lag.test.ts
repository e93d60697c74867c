/** `status` warns when a member lags the leader's ledger by more than maxLeadershipTransferWaitIndex. */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {aggregateStatus, LAG_WARNING_ENTRIES, type Probe} from '../../src/cli/cluster-client.js'
import {parsePeers} from '../../src/core/settings.js'
import type {MemberStatus} from '../../src/wire/status.js'

const PEERS = parsePeers('n0-127.0.0.1:7001;n1-127.0.0.1:7002')

function up(id: string, fields: Partial<MemberStatus>): Probe {
  const peer = PEERS.find((p) => p.id === id)!
  const status = {
    id, address: peer.address, pid: 1, role: 'FOLLOWER', term: 3, leaderId: 'n0', votedFor: 'n0', ledgerEndIndex: -1, ledgerEndTerm: -1, committedIndex: -1,
    preferred: null, lastHeartbeatAgoMs: 40, error: null, group: 'default', knownMaxTermInGroup: 3, transferee: null, reachable: true,
    startedAt: '2026-11-25T18:00:00.000Z', uptimeMs: 1000, version: '0.1.0', ...fields,
  } as MemberStatus
  return {peer, ok: true, status}
}

describe('status and the ledger lag', () => {
  it('warns about a member more than maxLeadershipTransferWaitIndex entries behind the leader', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER', ledgerEndIndex: LAG_WARNING_ENTRIES + 5, ledgerEndTerm: 3}), up('n1', {ledgerEndIndex: 4, ledgerEndTerm: 3})])
    assert.ok(s.warnings.some((w) => w.startsWith(`n1 lags the leader by ${LAG_WARNING_ENTRIES + 1} entries`)), s.warnings.join('\n'))
  })

  it('does not warn about a member within the limit', () => {
    const s = aggregateStatus([up('n0', {role: 'LEADER', ledgerEndIndex: LAG_WARNING_ENTRIES, ledgerEndTerm: 3}), up('n1', {ledgerEndIndex: 0, ledgerEndTerm: 3})])
    assert.deepEqual(s.warnings.filter((w) => w.includes('lags')), [])
  })
})
