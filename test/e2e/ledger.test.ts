/**
 * The ledger end to end: real `dledger start` processes (fast timing, OS-chosen ports, a temp
 * home), `dledger append` and `dledger read` as a user runs them, the ledger files on disk.
 * Needs `npm run build` first. Every child is killed by PID and the home removed in t.after.
 */
import assert from 'node:assert/strict'
import {appendFileSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {exited, oneLeader, processCluster, statusOf} from '../helpers/cluster.js'
import {explain, freePorts, Sandbox, waitFor} from '../helpers/processes.js'

function voteLogRecords(dataDir: string): Record<string, unknown>[] {
  try {
    return readFileSync(join(dataDir, 'vote.log'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  } catch {
    return []
  }
}

function segment(dataDir: string): string {
  const dir = join(dataDir, 'ledger')
  const names = readdirSync(dir).filter((n) => n.endsWith('.seg'))
  assert.equal(names.length, 1)
  return join(dir, names[0] as string)
}

describe('the ledger (real processes)', () => {
  it('a member that missed appends cannot win the election after the leader dies (REJECT_SMALL_LEDGER_END_INDEX), and catches up', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-ledger-')
    for (let i = 0; i < 3; i++) c.start(i)
    const first = await oneLeader(c, [0, 1, 2])
    const append = async (args: string[]) => {
      const r = await c.sb.run(['append', ...args, '--peers', c.peers, '--json'])
      assert.equal(r.code, 0, explain(r))
      return JSON.parse(r.stdout) as {leaderId: string; entries: {index: number; term: number}[]}
    }
    // entries of the leader's term on every member, so the voters' check is the index one
    assert.deepEqual((await append(['first', '--count', '3'])).entries.map((e) => e.index), [0, 1, 2])
    const stale = [0, 1, 2].find((i) => i !== first.leader) as number
    const other = [0, 1, 2].find((i) => i !== first.leader && i !== stale) as number
    await waitFor('the stale member to hold the first entries', async () => (await statusOf(c.ports[stale]))?.ledgerEndIndex === 2)
    await c.kill9(stale)
    const more = await append(['more', '--count', '10'])
    assert.equal(more.entries.at(-1)?.index, 12)

    // the leader dies; the stale member comes back first and campaigns alone, then the other
    // member comes back: it refuses the stale ballots on the ledger check and wins with their vote
    await c.kill9(first.leader)
    await c.kill9(other)
    c.start(stale)
    await waitFor('the stale member to campaign', async () => (await statusOf(c.ports[stale]))?.role === 'CANDIDATE')
    c.start(other)
    const second = await oneLeader(c, [stale, other])
    assert.equal(second.leader, other, `the member with the longer log leads\n${c.diag()}`)
    const refused = voteLogRecords(c.dataDir(other)).filter((r) => r.type === 'VOTE_HANDLED' && r.candidate === `n${stale}` && r.voteResult === 'REJECT_SMALL_LEDGER_END_INDEX')
    assert.ok(refused.length > 0, `no REJECT_SMALL_LEDGER_END_INDEX for n${stale} in n${other}'s vote log\n${c.diag()}`)

    // entries of earlier terms commit with the new leader's first entry (DLedger master, CommitIndexTest)
    assert.equal((await append(['after'])).entries[0]?.index, 13)
    // the stale member catches up from the leader, and reads show the same committed entries
    await waitFor('the stale member to catch up', async () => (await statusOf(c.ports[stale]))?.committedIndex === 13, 10_000)
    const read = await c.sb.run(['read', '--node', `n${stale}`, '--peers', c.peers, '--json'])
    assert.equal(read.code, 0, explain(read))
    const bodies = (JSON.parse(read.stdout) as {entries: {body: string}[]}).entries.map((e) => e.body)
    assert.deepEqual(bodies, [...Array(3).fill('first'), ...Array(10).fill('more'), 'after'])
  })

  it('a torn last record is dropped with a warning at start-up; corruption before it refuses to start, naming the file and offset', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-ledger-')
    c.start(0)
    await oneLeader(c, [0])
    const r = await c.sb.run(['append', 'a', '--count', '3', '--peers', c.peers])
    assert.equal(r.code, 0, explain(r))
    await c.kill9(0)

    const file = segment(c.dataDir(0))
    appendFileSync(file, Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 1, 0])) // a record cut short by the crash
    c.start(0)
    await waitFor('the member to lead with 3 entries', async () => {
      const s = await statusOf(c.ports[0])
      return s?.role === 'LEADER' && s.ledgerEndIndex === 2
    })
    assert.match(c.children[0]!.output(), /dropped a torn last record of the ledger at .* offset \d+/)
    await c.kill9(0)

    const data = readFileSync(file)
    data[21] = (data[21] as number) ^ 0xff // the first record's body
    writeFileSync(file, data)
    const child = c.start(0)
    const {code} = await exited(child)
    assert.equal(code, 1)
    assert.match(child.output(), new RegExp(`the ledger is corrupt: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset 0: checksum mismatch`))
  })

  it('a transfer to a member that missed entries waits for its catch-up, then it leads with the whole log', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-ledger-')
    for (let i = 0; i < 3; i++) c.start(i)
    const first = await oneLeader(c, [0, 1, 2])
    const lagging = [0, 1, 2].find((i) => i !== first.leader) as number
    await c.kill9(lagging)
    const r = await c.sb.run(['append', '--size', '1000', '--count', '300', '--peers', c.peers])
    assert.equal(r.code, 0, explain(r))
    c.start(lagging)
    await waitFor('the restarted member to follow', async () => (await statusOf(c.ports[lagging]))?.role === 'FOLLOWER')
    const transfer = await c.sb.run(['transfer-leader', '--to', `n${lagging}`, '--peers', c.peers, '--json'])
    assert.equal(transfer.code, 0, explain(transfer))
    const s = await statusOf(c.ports[lagging])
    assert.equal(s?.role, 'LEADER')
    assert.equal(s?.ledgerEndIndex, 299)
  })

  it('append and read: bad arguments exit 2, no leader exits 1 with NO_LEADER', async (t) => {
    const sb = new Sandbox('dledger-e2e-ledger-')
    t.after(() => sb.cleanup())
    const [port] = await freePorts(1)
    const peers = `n0-127.0.0.1:${port}`
    const nothing = await sb.run(['append', '--peers', peers])
    assert.equal(nothing.code, 2, explain(nothing))
    assert.match(nothing.stderr, /nothing to append/)
    const both = await sb.run(['append', 'x', '--size', '3', '--peers', peers])
    assert.equal(both.code, 2, explain(both))
    const backwards = await sb.run(['read', '--from', '5', '--to', '1', '--peers', peers])
    assert.equal(backwards.code, 2, explain(backwards))
    const noLeader = await sb.run(['append', 'x', '--peers', peers, '--json'])
    assert.equal(noLeader.code, 1, explain(noLeader))
    assert.match(noLeader.stdout + noLeader.stderr, /NO_LEADER/)
  })
})
