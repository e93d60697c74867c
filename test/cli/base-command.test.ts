import assert from 'node:assert/strict'
import {Writable} from 'node:stream'
import {describe, it} from 'node:test'
import {format, stripVTControlCharacters} from 'node:util'

import {Args, Errors, Flags} from '@oclif/core'

import {BaseCommand, describeError} from '../../src/cli/base-command.js'
import {EXIT, OperationError, UsageError} from '../../src/cli/errors.js'
import {canPrompt, renderTable, spinner} from '../../src/cli/output.js'

const ROOT = new URL('../../', import.meta.url)

/** A command used only here, to run BaseCommand's flag parsing and error mapping in-process. */
class Probe extends BaseCommand<typeof Probe> {
  static override enableJsonFlag = true
  static override args = {mode: Args.string({required: true})}
  static override flags = {timeout: Flags.integer({min: 1, default: 5})}

  async run(): Promise<{mode: string; home: string | null; timeout: number}> {
    const {mode} = this.args
    if (mode === 'usage') throw new UsageError('missing TARGET', {hint: 'pass a node id'})
    if (mode === 'operation') throw new OperationError('no leader elected', {code: 'NO_LEADER'})
    if (mode === 'crash') throw new Error('boom')
    return {mode, home: this.flags.home ?? null, timeout: this.flags.timeout}
  }
}

/** Runs Probe with console output captured and process.exitCode restored. */
async function runProbe(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const saved = {log: console.log, error: console.error, exitCode: process.exitCode}
  console.log = (...a: unknown[]) => void out.push(format(...a))
  console.error = (...a: unknown[]) => void err.push(format(...a))
  try {
    const result = await Probe.run(argv, ROOT.pathname)
    return {exit: 0, result, stdout: out.join('\n'), stderr: err.join('\n')}
  } catch (error) {
    const exit = (error as {oclif?: {exit?: number}}).oclif?.exit
    return {exit, error, stdout: out.join('\n'), stderr: err.join('\n')}
  } finally {
    console.log = saved.log
    console.error = saved.error
    process.exitCode = saved.exitCode
  }
}

describe('renderTable', () => {
  it('prints kubectl-style plain columns: no borders, no colour, no trailing spaces', async () => {
    const text = await renderTable(
      ['ID', 'ADDRESS', 'ROLE', 'TERM'],
      [
        ['n1', 'ws://127.0.0.1:7001', 'leader', '3'],
        ['n2', 'ws://127.0.0.1:7002', 'follower', '3'],
      ],
    )
    assert.equal(
      text,
      [
        'ID  ADDRESS              ROLE      TERM',
        'n1  ws://127.0.0.1:7001  leader    3',
        'n2  ws://127.0.0.1:7002  follower  3',
      ].join('\n'),
    )
    assert.equal(stripVTControlCharacters(text), text, 'no ANSI escapes')
  })

  it('prints only the header when there are no rows', async () => {
    assert.equal(await renderTable(['ID', 'ROLE'], []), 'ID  ROLE')
  })
})

describe('error classes', () => {
  it('a UsageError exits 2 and keeps its hint', () => {
    const e = new UsageError('missing TARGET', {hint: 'pass a node id'})
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'UsageError')
    assert.equal(e.exitCode, EXIT.USAGE)
    assert.equal(e.code, 'USAGE_ERROR')
    assert.equal(e.hint, 'pass a node id')
  })

  it('an OperationError exits 1, takes a custom code and keeps its cause', () => {
    const cause = new Error('ECONNREFUSED')
    const e = new OperationError('member n2 is unreachable', {code: 'UNREACHABLE', cause})
    assert.equal(e.name, 'OperationError')
    assert.equal(e.exitCode, EXIT.FAILURE)
    assert.equal(e.code, 'UNREACHABLE')
    assert.equal(e.hint, undefined)
    assert.equal(e.cause, cause)
  })

  it('describeError maps oclif parse errors to exit 2 on one line, anything unknown to exit 1', () => {
    const parse = new Error('Parsing --timeout \n\tExpected an integer but received: x\nSee more help with --help')
    assert.deepEqual(describeError(parse, 'dledger status'), {
      exitCode: 2,
      message: '--timeout: Expected an integer but received: x',
      code: 'USAGE_ERROR',
      hint: 'See "dledger status --help".',
    })
    assert.deepEqual(describeError(new Error('socket hang up')), {
      exitCode: 1,
      message: 'socket hang up',
      code: 'ERROR',
      hint: null,
    })
    assert.equal(describeError(new Errors.CLIError('bad', {exit: 1})).exitCode, 1)
  })
})

describe('BaseCommand', () => {
  it('parses the global flags (--home from DLEDGER_HOME) and returns the result', async () => {
    const saved = process.env.DLEDGER_HOME
    process.env.DLEDGER_HOME = '/tmp/dledger-home'
    try {
      const r = await runProbe(['ok', '--timeout', '7'])
      assert.equal(r.exit, 0)
      assert.deepEqual(r.result, {mode: 'ok', home: '/tmp/dledger-home', timeout: 7})
    } finally {
      if (saved === undefined) delete process.env.DLEDGER_HOME
      else process.env.DLEDGER_HOME = saved
    }
  })

  it('a UsageError prints "Error:" and "Hint:" on stderr and exits 2', async () => {
    const r = await runProbe(['usage'])
    assert.equal(r.exit, 2)
    assert.equal(r.stderr, 'Error: missing TARGET\nHint: pass a node id')
    assert.equal(r.stdout, '')
  })

  it('an OperationError with --json prints {"error":…} on stdout and still exits 1', async () => {
    const r = await runProbe(['operation', '--json'])
    assert.equal(r.exit, 1)
    assert.deepEqual(JSON.parse(r.stdout), {error: {message: 'no leader elected', code: 'NO_LEADER', hint: null}})
    assert.equal(r.stderr, '')
  })

  it('an unexpected error exits 1', async () => {
    const r = await runProbe(['crash'])
    assert.equal(r.exit, 1)
    assert.match(r.stderr, /^Error: boom$/m)
  })

  it("oclif's own flag errors exit 2, with --json too (oclif alone would exit 1)", async () => {
    const plain = await runProbe(['ok', '--timeout', '0'])
    assert.equal(plain.exit, 2)
    assert.match(plain.stderr, /^Error: --timeout: Expected an integer greater than or equal to 1/)
    const json = await runProbe(['ok', '--nope', '--json'])
    assert.equal(json.exit, 2)
    assert.equal(JSON.parse(json.stdout).error.code, 'USAGE_ERROR')
    const missing = await runProbe([])
    assert.equal(missing.exit, 2)
    assert.match(missing.stderr, /^Error: Missing 1 required arg/)
  })
})

describe('output helpers', () => {
  it('canPrompt is false with --json or without a terminal', () => {
    assert.equal(canPrompt({json: true}), false)
    if (!process.stdin.isTTY) assert.equal(canPrompt({}), false)
  })

  it('spinner writes nothing when its stream is not a TTY', () => {
    const chunks: string[] = []
    const stream = new Writable({write: (c, _e, cb) => void (chunks.push(String(c)), cb())})
    const s = spinner('electing', stream as unknown as NodeJS.WriteStream).start()
    s.update('still electing')
    s.stop('done')
    assert.deepEqual(chunks, [])
  })

  it('spinner draws on a TTY stream and erases its line on stop', () => {
    const chunks: string[] = []
    const stream = Object.assign(new Writable({write: (c, _e, cb) => void (chunks.push(String(c)), cb())}), {
      isTTY: true,
    })
    const s = spinner('electing', stream as unknown as NodeJS.WriteStream).start()
    s.update('still electing')
    s.stop('elected n2')
    assert.match(chunks[0], /electing$/)
    assert.match(chunks.join(''), /still electing/)
    assert.deepEqual(chunks.slice(-2), ['\r\u001B[2K', 'elected n2\n'])
  })
})
