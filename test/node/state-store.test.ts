import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {StartupError} from '../../src/node/errors.js'
import {StateStore} from '../../src/node/state-store.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-store-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

describe('the term/vote record (spec S1)', () => {
  it('a missing record means term 0 and no vote', (t) => {
    assert.deepEqual(new StateStore(tempDir(t)).load(), {currTerm: 0, currVoteFor: null})
  })

  it('is written as one JSON record and read back', (t) => {
    const dir = tempDir(t)
    new StateStore(dir).write({currTerm: 7, currVoteFor: 'n2'})
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')), {currTerm: 7, currVoteFor: 'n2'})
    assert.deepEqual(new StateStore(dir).load(), {currTerm: 7, currVoteFor: 'n2'})
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temp file is left behind')
  })

  it('a crash mid-write (a leftover temp file) leaves the old record, and the temp file is ignored', (t) => {
    const dir = tempDir(t)
    new StateStore(dir).write({currTerm: 4, currVoteFor: 'n1'})
    writeFileSync(join(dir, 'state.json.tmp'), '{"currTerm":5,"curr') // torn: the rename never happened
    assert.deepEqual(new StateStore(dir).load(), {currTerm: 4, currVoteFor: 'n1'})
    assert.equal(existsSync(join(dir, 'state.json.tmp')), false)
  })

  for (const [what, body] of [
    ['is not JSON', '{"currTerm":3,'],
    ['is empty', ''],
    ['is an array', '[3, "n1"]'],
    ['has a negative term', '{"currTerm":-1,"currVoteFor":null}'],
    ['has a fractional term', '{"currTerm":1.5,"currVoteFor":null}'],
    ['has a term of the wrong type', '{"currTerm":"3","currVoteFor":null}'],
    ['has a vote of the wrong type', '{"currTerm":3,"currVoteFor":7}'],
    ['has no vote field', '{"currTerm":3}'],
  ] as const) {
    it(`a record that ${what} stops start-up with an error naming the file`, (t) => {
      const dir = tempDir(t)
      writeFileSync(join(dir, 'state.json'), body)
      assert.throws(
        () => new StateStore(dir).load(),
        (error: unknown) => error instanceof StartupError && error.message.includes(join(dir, 'state.json')) && !error.message.includes('\n') && error.hint !== undefined,
      )
    })
  }

  it('an unreadable record (a directory in its place) stops start-up naming the file', (t) => {
    const dir = tempDir(t)
    mkdirSync(join(dir, 'state.json'))
    assert.throws(() => new StateStore(dir).load(), (error: unknown) => error instanceof StartupError && error.message.includes(join(dir, 'state.json')))
  })

  it('a failed write throws (the member then sends nothing) and leaves no temp file', (t) => {
    const dir = tempDir(t)
    const store = new StateStore(dir)
    store.write({currTerm: 2, currVoteFor: 'n0'})
    rmSync(join(dir, 'state.json'))
    mkdirSync(join(dir, 'state.json', 'x'), {recursive: true}) // the rename cannot replace a directory
    assert.throws(() => store.write({currTerm: 3, currVoteFor: 'n1'}))
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [])
  })

  it('two stores writing one record never share a temp file (each write names its own)', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'state.json.tmp'), 'someone else\'s half-written record')
    new StateStore(dir).write({currTerm: 1, currVoteFor: 'n0'})
    assert.equal(readFileSync(join(dir, 'state.json.tmp'), 'utf8'), 'someone else\'s half-written record')
    assert.deepEqual(new StateStore(dir).load(), {currTerm: 1, currVoteFor: 'n0'})
  })

  it('a record above MAX_TERM stops start-up: it was never written by a member', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'state.json'), JSON.stringify({currTerm: Number.MAX_SAFE_INTEGER, currVoteFor: null}))
    assert.throws(() => new StateStore(dir).load(), /above the largest term/)
  })

  it('control characters of a corrupt record are escaped in the message', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'state.json'), '\u001b]0;owned\u0007{')
    assert.throws(
      () => new StateStore(dir).load(),
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      (error: unknown) => error instanceof StartupError && !/[\u0000-\u001f]/.test(error.message) && error.message.includes('\\x1b'),
    )
  })
})
