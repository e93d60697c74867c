import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

import {checkBaseline, MEMBER_RSS} from '../../bench/baseline.js'

describe('the start-up check of npm run bench:quick', () => {
  const withBaseline = (t: {after: (fn: () => void) => void}, ratios: Record<string, number>) => {
    const dir = mkdtempSync(join(tmpdir(), 'dledger-baseline-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    const file = join(dir, 'baseline.json')
    writeFileSync(file, JSON.stringify({recorded: '2026-11-29', ratios}))
    return pathToFileURL(file)
  }

  it('warns when a ratio is more than 25% above its record, and only then', (t) => {
    const file = withBaseline(t, {'dledger --version': 1.2, 'dledger leader': 3})
    const lines = checkBaseline({'dledger --version': 1.6, 'dledger leader': 3.7}, file)
    assert.deepEqual(lines, ['WARNING: dledger --version took 1.6× bare node, more than 25% above the 1.2× recorded on 2026-11-29 (docs/benchmarks.md)'])
  })

  it("warns about a member's idle RSS in MB", (t) => {
    const file = withBaseline(t, {[MEMBER_RSS]: 50})
    assert.match(checkBaseline({[MEMBER_RSS]: 64}, file)[0]!, /^WARNING: idle member RSS \(MB\) is 64, more than 25% above the 50 recorded/)
    assert.match(checkBaseline({[MEMBER_RSS]: 60}, file)[0]!, /^start-up ratios within 25%/)
  })

  it('says so, without failing, when there is no baseline', () => {
    const lines = checkBaseline({'dledger --help': 1}, pathToFileURL('/nonexistent/baseline.json'))
    assert.match(lines[0]!, /^WARNING: no start-up baseline to compare with/)
  })
})
