import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {buildSettings} from '../../src/core/settings.js'
import {silentLogger} from '../../src/node/logger.js'
import {startMember} from '../../src/node/member.js'
import {PREFERRED_FILE, PreferredStore} from '../../src/node/preferred-store.js'
import {NODE_HEADER} from '../../src/wire/frames.js'
import {freePorts, waitFor} from '../helpers/processes.js'
import {openSocket, tempDir} from './helpers.js'

const peers = new Set(['n0', 'n1', 'n2'])

describe('the run-time preferred leaders (preferred.json)', () => {
  it('without a record the configured list is used', (t) => {
    const store = new PreferredStore(tempDir(t))
    assert.deepEqual(store.resolve(['n1'], peers), {preferredLeaderIds: ['n1'], source: 'settings'})
  })

  it('a record made against the same configuration wins over it, and is written without a temp file left over', (t) => {
    const dir = tempDir(t)
    const store = new PreferredStore(dir)
    store.write({preferredLeaderIds: ['n2'], configured: ['n1']})
    assert.deepEqual(JSON.parse(readFileSync(join(dir, PREFERRED_FILE), 'utf8')), {preferredLeaderIds: ['n2'], configured: ['n1']})
    assert.equal(existsSync(join(dir, `${PREFERRED_FILE}.tmp`)), false)
    assert.deepEqual(new PreferredStore(dir).resolve(['n1'], peers), {preferredLeaderIds: ['n2'], source: 'record'})
  })

  it('an empty run-time choice clears the configured preferred leader', (t) => {
    const store = new PreferredStore(tempDir(t))
    store.write({preferredLeaderIds: [], configured: ['n1']})
    assert.deepEqual(store.resolve(['n1'], peers).preferredLeaderIds, [])
  })

  it('a changed configuration is the newer intent: it wins and the stale record is removed', (t) => {
    const dir = tempDir(t)
    const store = new PreferredStore(dir)
    store.write({preferredLeaderIds: ['n2'], configured: []})
    const r = store.resolve(['n0'], peers)
    assert.deepEqual(r.preferredLeaderIds, ['n0'])
    assert.equal(r.source, 'settings')
    assert.match(r.note ?? '', /changed since the run-time choice \(n2\)/)
    assert.equal(existsSync(join(dir, PREFERRED_FILE)), false)
  })

  it('a corrupt record or one naming non-members is ignored with a note', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, PREFERRED_FILE), '{"preferredLeaderIds": ')
    const corrupt = new PreferredStore(dir).resolve(['n1'], peers)
    assert.deepEqual(corrupt.preferredLeaderIds, ['n1'])
    assert.match(corrupt.note ?? '', /not a preferred-leader record/)
    writeFileSync(join(dir, PREFERRED_FILE), '{"preferredLeaderIds": ["n9"], "configured": []}')
    const stranger = new PreferredStore(dir).resolve([], peers)
    assert.deepEqual(stranger.preferredLeaderIds, [])
    assert.match(stranger.note ?? '', /not members: n9/)
  })

  it('a member persists setPreferredLeaders before answering and starts with it again', async (t) => {
    const [port] = await freePorts(1)
    const dir = tempDir(t)
    const settings = buildSettings({selfId: 'n0', peers: `n0-127.0.0.1:${port}`, timing: 'fast'})
    const first = await startMember({settings, dataDir: dir, log: silentLogger})
    t.after(() => first.stop())
    const sock = await openSocket(t, port, {[NODE_HEADER]: 'cli.1'})
    sock.send(JSON.stringify({kind: 'AdminRequest', reqId: 'p', op: 'setPreferredLeaders', ids: ['n0']}))
    const answer = await sock.next<{ok: boolean; result: unknown}>((f) => f.kind === 'AdminResponse' && f.reqId === 'p')
    assert.deepEqual(answer, {kind: 'AdminResponse', reqId: 'p', ok: true, result: {preferred: 'n0'}})
    assert.deepEqual(JSON.parse(readFileSync(join(dir, PREFERRED_FILE), 'utf8')), {preferredLeaderIds: ['n0'], configured: []})
    await first.stop()

    const again = await startMember({settings, dataDir: dir, log: silentLogger})
    t.after(() => again.stop())
    await waitFor('the restarted member to answer', () => again.status().role === 'LEADER')
    assert.equal(again.status().preferred, 'n0')
  })
})
