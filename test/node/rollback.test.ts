import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {rollbackProblem} from '../../src/node/rollback.js'
import {newestLoggedVote} from '../../src/node/vote-log.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-rollback-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

const line = (r: Record<string, unknown>) => `${JSON.stringify({ts: '2026-01-01T00:00:00.000Z', node: 'n0', ...r})}\n`

describe('rollback detection against the vote log', () => {
  it('finds the newest term and its vote across every rotation, in any order', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'vote.log.3'), line({term: 2, type: 'VOTE_RESPONSE', from: 'n0', voteResult: 'ACCEPT', responseTerm: 2}))
    writeFileSync(join(dir, 'vote.log.1'), line({term: 5, type: 'VOTE_HANDLED', candidate: 'n2', voteResult: 'ACCEPT', requestTerm: 5}) + '{"torn')
    writeFileSync(join(dir, 'vote.log'), line({term: 5, type: 'ROLE_CHANGE', from: 'CANDIDATE', to: 'FOLLOWER'}))
    const logged = newestLoggedVote(dir)
    assert.deepEqual({term: logged.term, votedFor: logged.votedFor, records: logged.records, file: logged.file}, {term: 5, votedFor: 'n2', records: 3, file: join(dir, 'vote.log.1')})
  })

  it('a rejected ballot is not a vote, nor is a ballot of its own that it did not vote for', (t) => {
    const dir = tempDir(t)
    writeFileSync(
      join(dir, 'vote.log'),
      line({term: 4, type: 'VOTE_HANDLED', candidate: 'n2', voteResult: 'REJECT_ALREADY_VOTED', requestTerm: 4}) +
        line({term: 4, type: 'VOTE_REQUEST', ledgerEndIndex: -1, ledgerEndTerm: -1, peers: 3}) +
        line({term: 4, type: 'VOTE_RESPONSE', from: 'n0', voteResult: 'REJECT_ALREADY_VOTED', responseTerm: 4}),
    )
    assert.equal(newestLoggedVote(dir).votedFor, null)
  })

  it("its own accepted ballot is a vote for itself; a peer's acceptance is not", (t) => {
    const dir = tempDir(t)
    writeFileSync(
      join(dir, 'vote.log'),
      line({term: 6, type: 'VOTE_RESPONSE', from: 'n1', voteResult: 'ACCEPT', responseTerm: 6}) + line({term: 6, type: 'VOTE_RESPONSE', from: 'n0', voteResult: 'ACCEPT', responseTerm: 6}),
    )
    assert.equal(newestLoggedVote(dir).votedFor, 'n0')
  })

  it('a record behind the log in term, missing its vote, voting for another, or missing altogether is a rollback; an equal or newer one is not', () => {
    const logged = {records: 3, term: 5, votedFor: 'n2', file: '/d/vote.log'}
    const problem = (currTerm: number, currVoteFor: string | null, exists = true) => rollbackProblem('/d/state.json', {currTerm, currVoteFor}, exists, logged)
    assert.match(problem(4, 'n1') ?? '', /^the term\/vote record \/d\/state\.json was rolled back: it holds term 4, vote n1, but the vote log \/d\/vote\.log shows term 5 and a vote for n2$/)
    assert.notEqual(problem(5, null), null)
    assert.notEqual(problem(5, 'n1'), null)
    assert.match(problem(0, null, false) ?? '', /is missing, but the vote log/)
    assert.equal(problem(5, 'n2'), null)
    assert.equal(problem(6, null), null)
    assert.equal(rollbackProblem('/d/state.json', {currTerm: 0, currVoteFor: null}, false, {records: 0, term: -1, votedFor: null, file: null}), null)
  })
})
