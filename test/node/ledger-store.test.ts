import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import type {LogEntry} from '../../src/core/push.js'
import {StartupError} from '../../src/node/errors.js'
import {encodeRecord, LedgerStore} from '../../src/node/ledger-store.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-ledger-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const entries = (n: number, from = 0, term = 1): LogEntry[] => Array.from({length: n}, (_, i) => ({index: from + i, term, body: `entry ${from + i} ✓`}))

/** A ledger of `n` entries written and closed; its data dir and its one segment file. */
function written(t: TestContext, n: number): {dir: string; file: string} {
  const dir = tempDir(t)
  const s = new LedgerStore(dir)
  s.load()
  s.append(entries(n))
  s.close()
  return {dir, file: segmentOf(dir)}
}

/** Flips every bit of the byte at `at` (negative: from the end). */
function flipByte(file: string, at: number): void {
  const data = readFileSync(file)
  const i = at < 0 ? data.length + at : at
  data[i] = (data[i] as number) ^ 0xff
  writeFileSync(file, data)
}

function segmentOf(dir: string): string {
  const names = readdirSync(join(dir, 'ledger'))
  assert.equal(names.length, 1)
  return join(dir, 'ledger', names[0] as string)
}

describe('the ledger files', () => {
  it('an empty data directory holds an empty ledger', (t) => {
    assert.deepEqual(new LedgerStore(tempDir(t)).load(), {entries: [], warnings: []})
  })

  it('appended entries are read back after a restart, bodies byte for byte', (t) => {
    const dir = tempDir(t)
    const s = new LedgerStore(dir)
    s.load()
    s.append(entries(3))
    s.append(entries(2, 3, 2))
    s.close()
    assert.deepEqual(new LedgerStore(dir).load().entries, [...entries(3), ...entries(2, 3, 2)])
  })

  it('a record holds index, term, length, body and a checksum', () => {
    const rec = encodeRecord({index: 5, term: 3, body: 'abc'})
    assert.equal(rec.length, 8 + 8 + 4 + 3 + 4)
    assert.equal(rec.readBigInt64LE(0), 5n)
    assert.equal(rec.readBigInt64LE(8), 3n)
    assert.equal(rec.readUInt32LE(16), 3)
    assert.equal(rec.toString('utf8', 20, 23), 'abc')
  })

  it('a truncation is durable: the dropped entries do not come back after a restart', (t) => {
    const dir = tempDir(t)
    const s = new LedgerStore(dir)
    s.load()
    s.append(entries(5))
    s.truncate(2)
    s.append(entries(1, 2, 2))
    s.close()
    assert.deepEqual(new LedgerStore(dir).load().entries.map((e) => [e.index, e.term]), [[0, 1], [1, 1], [2, 2]])
  })

  it('a torn last record is dropped with a warning, and the ledger continues after it', (t) => {
    const {dir, file} = written(t, 3)
    const whole = statSync(file).size
    appendFileSync(file, encodeRecord({index: 3, term: 1, body: 'half written'}).subarray(0, 15))
    const again = new LedgerStore(dir)
    const loaded = again.load()
    assert.equal(loaded.entries.length, 3)
    assert.equal(loaded.warnings.length, 1)
    assert.match(loaded.warnings[0] as string, /torn last record .* offset \d+/)
    assert.equal(statSync(file).size, whole)
    again.append(entries(1, 3))
    again.close()
    assert.equal(new LedgerStore(dir).load().entries.length, 4)
  })

  it('a last record with a bad checksum is a torn write too', (t) => {
    const {dir, file} = written(t, 2)
    flipByte(file, -6)
    const loaded = new LedgerStore(dir).load()
    assert.equal(loaded.entries.length, 1)
    assert.equal(loaded.warnings.length, 1)
  })

  it('corruption before the last record refuses start-up with one line naming the file and the offset', (t) => {
    const {dir, file} = written(t, 3)
    flipByte(file, 22) // inside the first record's body
    assert.throws(
      () => new LedgerStore(dir).load(),
      (e: unknown) => e instanceof StartupError && e.message === `the ledger is corrupt: ${file} at offset 0: checksum mismatch` && !e.message.includes('\n'),
    )
  })
})
