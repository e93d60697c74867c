/**
 * `dledger timeline` on a real cluster's vote logs: after the leader is killed with SIGKILL (it
 * logs nothing about its end), the page still says who led which term and how long the cluster had
 * no leader — read from the followers' heartbeat timeouts. Real processes, fast timing, a temp home.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {it} from 'node:test'

import {trackUpMembers} from '../helpers/cluster.js'
import {freePorts, peersFor, Sandbox, waitFor} from '../helpers/processes.js'

interface StatusJson {
  leaderId: string | null
  term: number | null
  members: {id: string; pid: number | null}[]
}

it('names the leader of each term and the leaderless gap after a kill -9 of the leader', async (t) => {
  const sb = new Sandbox('dledger-timeline-e2e-')
  t.after(async () => {
    trackUpMembers(sb)
    await sb.run(['down', '--timeout', '3000']).catch(() => undefined)
    await sb.cleanup()
  })
  const up = await sb.run(['up', '--peers', peersFor(await freePorts(3)), '--timing', 'fast'])
  trackUpMembers(sb)
  assert.equal(up.code, 0, up.stderr)
  const status = async () => JSON.parse((await sb.run(['status', '--json'])).stdout) as StatusJson
  const before = await waitFor('a leader', async () => {
    const s = await status()
    return s.leaderId !== null ? s : null
  })
  const old = before.members.find((m) => m.id === before.leaderId)
  assert.ok(old?.pid)
  process.kill(old.pid, 'SIGKILL')
  const after = await waitFor('a new leader', async () => {
    const s = await status()
    return s.leaderId !== null && s.leaderId !== before.leaderId ? s : null
  })

  const out = join(sb.home, 'kill.html')
  const r = await sb.run(['timeline', '-o', out, '--json'])
  assert.equal(r.code, 0, r.stderr)
  const tl = JSON.parse(r.stdout) as {
    members: string[]
    terms: {term: number; leaderId: string | null}[]
    leaders: {node: string; term: number; fromMs: number; toMs: number}[]
    gaps: {fromMs: number; toMs: number; durationMs: number; open: boolean}[]
  }
  assert.deepEqual(tl.members, ['n0', 'n1', 'n2'])
  const led = new Map(tl.terms.map((x) => [x.term, x.leaderId]))
  assert.equal(led.get(before.term as number), before.leaderId)
  assert.equal(led.get(after.term as number), after.leaderId)
  const failover = tl.gaps.filter((g) => g.fromMs > 0)
  assert.equal(failover.length, 1, JSON.stringify(tl.gaps))
  assert.ok(failover[0].durationMs > 0 && !failover[0].open, JSON.stringify(failover))
  // the killed leader's band ends where the gap begins; the new leader's band begins where it ends
  const oldBand = tl.leaders.find((l) => l.node === before.leaderId && l.term === before.term)
  const newBand = tl.leaders.find((l) => l.node === after.leaderId && l.term === after.term)
  assert.equal(oldBand?.toMs, failover[0].fromMs, JSON.stringify(tl.leaders))
  assert.equal(newBand?.fromMs, failover[0].fromMs + failover[0].durationMs, JSON.stringify(tl.leaders))
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/)
})
