/**
 * Spec S2: the core reads time and randomness only from its inputs, so the same inputs and the
 * same random stream replay exactly.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {MiniCluster, transferRequest} from './helpers.js'

/**
 * Three members: a cold start, a forced election, a client transfer, a crash of the leader. The
 * nodes are woken at their deadlines (next-deadline.test.ts shows that misses nothing).
 */
function scenario(seed: number): MiniCluster {
  const c = new MiniCluster(3, {seed, preferredLeaderIds: ['n2']})
  c.runUntilByDeadlines(3000)
  c.command('n1', (e, t) => e.revote(e.view.currTerm + 1, t))
  c.runUntilByDeadlines(6000)
  const [leader] = c.leaders()
  const target = leader === 'n0' ? 'n1' : 'n0'
  c.command(leader, (e, t) => e.receive(transferRequest({from: 'client', to: leader, transferId: leader, transfereeId: target, term: e.view.currTerm, reqId: 'client.1'}), t))
  c.runUntilByDeadlines(9000)
  for (const id of c.leaders()) c.down.add(id)
  c.runUntilByDeadlines(20000)
  return c
}

let seed5: string[] | null = null
function transcriptOfSeed5(): string[] {
  seed5 ??= scenario(5).transcript()
  return seed5
}

/** Runs `body` with every ambient source of time and randomness made to throw. */
function withoutAmbientTimeOrRandomness<T>(body: () => T): T {
  const saved = {now: Date.now, random: Math.random, perfNow: performance.now, Date: globalThis.Date}
  const forbidden = (what: string) => () => {
    throw new Error(`the core called ${what}`)
  }
  Date.now = forbidden('Date.now')
  Math.random = forbidden('Math.random')
  performance.now = forbidden('performance.now')
  globalThis.Date = new Proxy(saved.Date, {construct: forbidden('new Date')}) as DateConstructor
  try {
    return body()
  } finally {
    Date.now = saved.now
    Math.random = saved.random
    performance.now = saved.perfNow
    globalThis.Date = saved.Date
  }
}

test('the same inputs and random stream give the same outputs, step for step', () => {
  const a = transcriptOfSeed5()
  const b = scenario(5).transcript()
  assert.ok(a.length > 100)
  assert.deepEqual(a, b)
})

test('the random stream matters: another seed gives another run', () => {
  assert.notDeepEqual(transcriptOfSeed5(), scenario(6).transcript())
})

test('the core never reads the clock or Math.random: a whole run with them throwing', () => {
  const c = withoutAmbientTimeOrRandomness(() => scenario(9))
  assert.ok(c.log.length > 0)
  assert.ok(c.transcript().some((line) => line.includes('"ROLE_CHANGE"')))
})
