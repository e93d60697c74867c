/**
 * The role-change hook runner with real `/bin/sh` commands: the environment a hook sees, one run
 * at a time with only the newest waiting change kept, the timeout, and failures that are logged
 * but never thrown.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {createLogger} from '../../src/node/logger.js'
import {type RoleChange, type RoleHookOutcome, RoleHookRunner} from '../../src/node/role-hook.js'
import {tempDir} from './helpers.js'

function change(role: RoleChange['role'], term: number, extra: Partial<RoleChange> = {}): RoleChange {
  return {id: 'n1', group: 'g1', role, previousRole: 'CANDIDATE', term, leaderId: role === 'LEADER' ? 'n1' : 'n0', reason: 'test', ...extra}
}

function capture() {
  const lines: string[] = []
  return {lines, log: createLogger({level: 'debug', write: (l) => lines.push(l), timestamps: false})}
}

function runner(command: string, opts: {timeoutMs?: number} = {}) {
  const {lines, log} = capture()
  const hook = new RoleHookRunner({command, log, timeoutMs: opts.timeoutMs})
  const outcomes: RoleHookOutcome[] = []
  hook.onOutcome = (o) => outcomes.push(o)
  return {hook, lines, outcomes}
}

const readLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [])

describe('the role-change hook', () => {
  it('runs the command through /bin/sh with DLEDGER_ROLE, _TERM, _LEADER, _ID, _PREVIOUS_ROLE, _GROUP and _REASON', async (t) => {
    const file = join(tempDir(t), 'roles')
    const {hook, outcomes} = runner(`echo "$DLEDGER_ID|$DLEDGER_ROLE|$DLEDGER_TERM|$DLEDGER_LEADER|$DLEDGER_PREVIOUS_ROLE|$DLEDGER_GROUP|$DLEDGER_REASON" >> '${file}'`)
    hook.notify(change('LEADER', 4, {reason: 'elected with 2/3 votes'}))
    await hook.idle()
    hook.notify(change('FOLLOWER', 5, {previousRole: 'LEADER', leaderId: null}))
    await hook.idle()
    assert.deepEqual(readLines(file), ['n1|LEADER|4|n1|CANDIDATE|g1|elected with 2/3 votes', 'n1|FOLLOWER|5||LEADER|g1|test'])
    assert.deepEqual(
      outcomes.map((o) => [o.code, o.timedOut, o.error]),
      [
        [0, false, null],
        [0, false, null],
      ],
    )
  })

  it('runs one hook at a time and, while it runs, keeps only the newest change', async (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'roles')
    const running = join(dir, 'running')
    // fails if two runs ever overlap; each run takes ~150 ms
    const {hook} = runner(
      `if [ -e '${running}' ]; then echo OVERLAP >> '${file}'; fi; touch '${running}'; sleep 0.15; echo "$DLEDGER_ROLE $DLEDGER_TERM" >> '${file}'; rm -f '${running}'`,
    )
    hook.notify(change('LEADER', 1))
    assert.equal(hook.busy, true)
    for (let term = 2; term <= 20; term++) hook.notify(change(term % 2 === 0 ? 'FOLLOWER' : 'CANDIDATE', term))
    hook.notify(change('LEADER', 21))
    await hook.idle()
    // the first change, then only the last one: 19 waiting changes were coalesced away
    assert.deepEqual(readLines(file), ['LEADER 1', 'LEADER 21'])
    assert.equal(hook.counts.started, 2)
    assert.equal(hook.counts.coalesced, 19)
  })

  it('kills a hook (and what it started) that outlives its timeout, then runs the next change', async (t) => {
    const file = join(tempDir(t), 'roles')
    const {hook, lines, outcomes} = runner(`if [ "$DLEDGER_TERM" = 1 ]; then sleep 30 & wait; fi; echo "done $DLEDGER_TERM" >> '${file}'`, {timeoutMs: 200})
    const started = Date.now()
    hook.notify(change('LEADER', 1))
    hook.notify(change('FOLLOWER', 2))
    await hook.idle()
    assert.ok(Date.now() - started < 5000, 'the timeout ended the first run')
    assert.deepEqual(readLines(file), ['done 2'])
    assert.equal(outcomes[0].timedOut, true)
    assert.equal(outcomes[0].signal, 'SIGKILL')
    assert.equal(outcomes[1].code, 0)
    assert.equal(hook.counts.timedOut, 1)
    assert.ok(lines.some((l) => /did not finish within 200 ms; killing it/.test(l)), lines.join(''))
  })

  it('logs a failing command and its output without throwing, and keeps running later changes', async () => {
    const {hook, lines, outcomes} = runner(`echo "switching to $DLEDGER_ROLE"; echo oops >&2; exit 3`)
    hook.notify(change('LEADER', 1))
    await hook.idle()
    hook.notify(change('FOLLOWER', 2))
    await hook.idle()
    assert.deepEqual(
      outcomes.map((o) => o.code),
      [3, 3],
    )
    const text = lines.join('')
    assert.match(text, /INFO.*hook: switching to LEADER/)
    assert.match(text, /WARN.*hook: oops/)
    assert.match(text, /role-change hook \(CANDIDATE -> LEADER, term 1\) exited with 3/)
    assert.equal(hook.counts.failed, 2)
  })

  it('reports a shell that cannot start as an outcome, not an exception', async () => {
    const {lines} = capture()
    const hook = new RoleHookRunner({command: 'true', shell: '/nonexistent/sh', log: createLogger({level: 'debug', write: (l) => lines.push(l)})})
    const outcomes: RoleHookOutcome[] = []
    hook.onOutcome = (o) => outcomes.push(o)
    hook.notify(change('LEADER', 1))
    await hook.idle()
    assert.equal(outcomes.length, 1)
    assert.match(outcomes[0].error ?? '', /ENOENT/)
    assert.match(lines.join(''), /could not run/)
  })

  it('close() drops a waiting change, lets the running hook finish within the grace, and ignores later changes', async (t) => {
    const file = join(tempDir(t), 'roles')
    const {hook} = runner(`sleep 0.1; echo "$DLEDGER_TERM" >> '${file}'`)
    hook.notify(change('LEADER', 1))
    hook.notify(change('FOLLOWER', 2))
    await hook.close(2000)
    hook.notify(change('LEADER', 3))
    await hook.idle()
    assert.deepEqual(readLines(file), ['1'])
  })

  it('close() kills a running hook that outlives the grace', async (t) => {
    const file = join(tempDir(t), 'roles')
    const {hook} = runner(`sleep 30; echo late >> '${file}'`)
    hook.notify(change('LEADER', 1))
    const started = Date.now()
    await hook.close(100)
    await hook.idle()
    assert.ok(Date.now() - started < 3000)
    assert.equal(hook.busy, false)
    assert.deepEqual(readLines(file), [])
  })
})
