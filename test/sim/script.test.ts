/**
 * The fault script parser: the example parses to the right actions, and every error
 * names its line.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'

import {formatTime, parseScript, parseTime, ScriptError} from '../../src/sim/script.js'

const IDS = ['n0', 'n1', 'n2']

const EXAMPLE = `
at 10s kill leader          # crash: volatile state lost, durable record kept
at 17s restart n0
at 20s partition n0 | n1 n2 # symmetric cut between two groups
at 25s cut n1 -> n0         # one-way: messages from n1 to n0 are lost
at 30s isolate leader
at 40s heal                 # remove every cut and partition
at 41s loss 0.2             # drop probability from now on
at 45s transfer n2          # leadership transfer to n2 via the current leader
at 50s elect n1             # force n1 to campaign for the next term now
at 59s expect leader n2     # also: 'expect leader any|none', 'expect term >= 3', '... within 2s'
`

test("the issue's example script parses, with line numbers and times", () => {
  const {lines} = parseScript(EXAMPLE, IDS)
  assert.deepEqual(
    lines.map((l) => [l.line, l.atMs, l.action]),
    [
      [2, 10_000, {type: 'kill', targets: {kind: 'leader'}}],
      [3, 17_000, {type: 'restart', targets: {kind: 'ids', ids: ['n0']}}],
      [4, 20_000, {type: 'partition', groups: [{kind: 'ids', ids: ['n0']}, {kind: 'ids', ids: ['n1', 'n2']}]}],
      [5, 25_000, {type: 'cut', from: {kind: 'ids', ids: ['n1']}, to: {kind: 'ids', ids: ['n0']}}],
      [6, 30_000, {type: 'isolate', targets: {kind: 'leader'}}],
      [7, 40_000, {type: 'heal'}],
      [8, 41_000, {type: 'loss', probability: 0.2}],
      [9, 45_000, {type: 'transfer', target: {kind: 'ids', ids: ['n2']}}],
      [10, 50_000, {type: 'elect', target: {kind: 'ids', ids: ['n1']}}],
      [11, 59_000, {type: 'expect', expectation: {kind: 'leader', leader: ['n2']}, withinMs: 0}],
    ],
  )
})

test('targets: ids, lists, keywords, and killed for restart', () => {
  const {lines} = parseScript(
    ['at 1s kill n0,n1', 'at 1s kill n0, n2', 'at 2s kill follower', 'at 3s isolate followers', 'at 4s restart killed', 'at 5s partition leader | followers', 'at 6s cut n0,n1->n2'].join('\n'),
    IDS,
  )
  assert.deepEqual(
    lines.map((l) => l.action),
    [
      {type: 'kill', targets: {kind: 'ids', ids: ['n0', 'n1']}},
      {type: 'kill', targets: {kind: 'ids', ids: ['n0', 'n2']}},
      {type: 'kill', targets: {kind: 'follower'}},
      {type: 'isolate', targets: {kind: 'followers'}},
      {type: 'restart', targets: {kind: 'killed'}},
      {type: 'partition', groups: [{kind: 'leader'}, {kind: 'followers'}]},
      {type: 'cut', from: {kind: 'ids', ids: ['n0', 'n1']}, to: {kind: 'ids', ids: ['n2']}},
    ],
  )
})

test('delay: a one-way extra delay per link, 0 ends it', () => {
  const {lines} = parseScript(['at 1s delay leader -> n1,n2 1.5s', 'at 2s delay n0 -> followers 0ms'].join('\n'), IDS)
  assert.deepEqual(
    lines.map((l) => l.action),
    [
      {type: 'delay', from: {kind: 'leader'}, to: {kind: 'ids', ids: ['n1', 'n2']}, extraMs: 1500},
      {type: 'delay', from: {kind: 'ids', ids: ['n0']}, to: {kind: 'followers'}, extraMs: 0},
    ],
  )
})

test('late: the probability that a message arrives LATE_MS late', () => {
  const {lines} = parseScript('at 1s late 0.02\nat 2s late 5%', IDS)
  assert.deepEqual(
    lines.map((l) => l.action),
    [
      {type: 'late', probability: 0.02},
      {type: 'late', probability: 0.05},
    ],
  )
})

test('expectations: leader any|none|ids, term comparisons, within', () => {
  const {lines} = parseScript(
    [
      'at 1s expect leader any',
      'at 1s expect leader none within 500ms',
      'at 1s expect leader n0,n1 within 2s',
      'at 1s expect term >= 3',
      'at 1s expect term=2 within 1.5s',
      'at 1s expect term != 0',
    ].join('\n'),
    IDS,
  )
  assert.deepEqual(
    lines.map((l) => l.action),
    [
      {type: 'expect', expectation: {kind: 'leader', leader: 'any'}, withinMs: 0},
      {type: 'expect', expectation: {kind: 'leader', leader: 'none'}, withinMs: 500},
      {type: 'expect', expectation: {kind: 'leader', leader: ['n0', 'n1']}, withinMs: 2000},
      {type: 'expect', expectation: {kind: 'term', op: '>=', value: 3}, withinMs: 0},
      {type: 'expect', expectation: {kind: 'term', op: '==', value: 2}, withinMs: 1500},
      {type: 'expect', expectation: {kind: 'term', op: '!=', value: 0}, withinMs: 0},
    ],
  )
})

test('lines run in time order; same-time lines keep their order; comments and blank lines are skipped', () => {
  const {lines} = parseScript('# header\n\nat 2s heal\nat 1s loss 0.1   # later line, earlier time\n   \nat 2s loss 0\n', IDS)
  assert.deepEqual(
    lines.map((l) => [l.line, l.atMs]),
    [
      [4, 1000],
      [3, 2000],
      [6, 2000],
    ],
  )
})

test('times take ms, s or m', () => {
  assert.equal(parseTime('250ms'), 250)
  assert.equal(parseTime('10s'), 10_000)
  assert.equal(parseTime('1.5s'), 1500)
  assert.equal(parseTime('2m'), 120_000)
  assert.equal(parseTime('0ms'), 0)
  assert.equal(parseTime('1m30s'), 90_000)
  assert.equal(parseTime('1s500ms'), 1500)
  assert.throws(() => parseTime('10'), /needs a unit: ms, s or m/)
  assert.throws(() => parseTime('10h'), /invalid time "10h"/)
  assert.throws(() => parseTime('-1s'), /invalid time/)
  assert.equal(formatTime(1500), '1.5s')
  assert.equal(formatTime(120_000), '2m')
  assert.equal(formatTime(250), '250ms')
})

/** [script, line, message] */
const ERRORS: [string, number, RegExp][] = [
  ['at 1s kill leader\nkill leader', 2, /expected "at TIME ACTION"/],
  ['at 1s heal\n\nat soon heal', 3, /invalid time "soon"/],
  ['at 10 heal', 1, /needs a unit/],
  ['at 1s', 1, /missing action after "at 1s"/],
  ['# c\nat 1s explode n0', 2, /unknown action "explode" \(expected kill, restart, stop, pause, resume, partition, cut, delay, isolate, heal, loss, late, transfer, elect, append or expect\)/],
  ['at 1s kill', 1, /kill needs a target/],
  ['at 1s kill n7', 1, /unknown member "n7" \(members: n0, n1, n2\)/],
  ['at 1s kill killed', 1, /"killed" is a target of restart only/],
  ['at 1s kill leader,n0', 1, /"leader" cannot be combined/],
  ['at 1s partition n0 n1 n2', 1, /partition needs at least two groups/],
  ['at 1s partition n0 | ', 1, /partition group 2 is empty/],
  ['at 1s partition n0 n1 | n1 n2', 1, /member n1 is in two partition groups/],
  ['at 1s cut n0 n1', 1, /cut needs "FROM -> TO"/],
  ['at 1s cut n0 ->', 1, /cut needs "FROM -> TO"/],
  ['at 1s delay n0 -> n1', 1, /delay needs "FROM -> TO TIME"/],
  ['at 1s delay n0 1500ms', 1, /delay needs "FROM -> TO TIME"/],
  ['at 1s delay n0 -> n1 1500', 1, /needs a unit/],
  ['at 1s late', 1, /late needs a probability/],
  ['at 1s late 2', 1, /late probability must be between 0 and 1 \(got "2"\)/],
  ['at 1s heal now', 1, /"heal" takes no arguments/],
  ['at 1s loss', 1, /loss needs a probability/],
  ['at 1s loss 1.5', 1, /between 0 and 1 \(got "1.5"\)/],
  ['at 1s loss lots', 1, /between 0 and 1/],
  ['at 1s transfer n0,n1', 1, /transfer takes one member/],
  ['at 1s elect followers', 1, /elect takes one member/],
  ['at 1s expect leader', 1, /expect takes "leader any\|none\|ID\[,ID\]" or "term OP N"/],
  ['at 1s expect leader n9', 1, /unknown member "n9"/],
  ['at 1s expect term >= three', 1, /expect term needs a whole number/],
  ['at 1s expect leader any within', 1, /"within" needs a time/],
  ['at 1s expect leader any within 2', 1, /needs a unit/],
  ['at 1s expect votes 3', 1, /expect takes/],
]

for (const [text, line, message] of ERRORS) {
  test(`error on line ${line}: ${JSON.stringify(text.split('\n')[line - 1])}`, () => {
    assert.throws(
      () => parseScript(text, IDS),
      (error: unknown) => {
        assert.ok(error instanceof ScriptError, String(error))
        assert.equal(error.line, line)
        assert.match(error.message, new RegExp(`^line ${line}: `))
        assert.match(error.message, message)
        return true
      },
    )
  })
}
