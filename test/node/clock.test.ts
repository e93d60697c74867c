import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {realClock, Ticker} from '../../src/node/clock.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the ticker', () => {
  it('wakes at least every tickMs when the core has no deadline', async (t) => {
    const clock = realClock()
    const at: number[] = []
    const ticker = new Ticker({clock, tickMs: 20, nextDeadlineMs: () => Number.POSITIVE_INFINITY, onTick: (now) => at.push(now)})
    t.after(() => ticker.stop())
    ticker.start()
    await sleep(210)
    ticker.stop()
    assert.ok(at.length >= 5 && at.length <= 12, `${at.length} ticks in 210 ms`)
  })

  it('never busy-loops on a deadline in the past', async (t) => {
    const clock = realClock()
    let ticks = 0
    const ticker = new Ticker({clock, tickMs: 10, nextDeadlineMs: () => 0, onTick: () => ticks++})
    t.after(() => ticker.stop())
    ticker.start()
    await sleep(100)
    ticker.stop()
    assert.ok(ticks <= 110, `${ticks} ticks in 100 ms (at most one per ms)`)
  })

  it('poke() wakes earlier when an input brings the deadline closer, and stop() ends the ticks', async (t) => {
    const clock = realClock()
    let deadline = Number.POSITIVE_INFINITY
    const at: number[] = []
    const ticker = new Ticker({
      clock,
      tickMs: 1000,
      nextDeadlineMs: () => deadline,
      onTick: (now) => {
        at.push(now)
        deadline = Number.POSITIVE_INFINITY // the core moves its deadline once the work is done
      },
    })
    t.after(() => ticker.stop())
    ticker.start()
    const pokedAt = clock.now()
    deadline = pokedAt + 30
    ticker.poke()
    await sleep(120)
    assert.equal(at.length, 1)
    assert.ok(at[0] - pokedAt >= 29 && at[0] - pokedAt < 100, `woke ${at[0] - pokedAt} ms after the poke`)
    ticker.stop()
    deadline = 0
    ticker.poke()
    await sleep(30)
    assert.equal(at.length, 1)
  })
})
