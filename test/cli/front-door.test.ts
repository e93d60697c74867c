import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {parseStartArgv} from '../../src/cli/member-main.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const env: NodeJS.ProcessEnv = {...process.env, CI: 'true', NODE_ENV: 'production'}
delete env.OCLIF_COLUMNS
delete env.FORCE_COLOR

/** The built CLI, as a user runs it (through bin/run.js's front door). */
const dledger = (args: string[]) => run(process.execPath, ['bin/run.js', ...args], {cwd: ROOT, env, timeout: 20_000})
/** The same arguments straight to oclif, past the front door. */
const oclif = (args: string[]) =>
  run(process.execPath, ['--input-type=module', '-e', `const {execute} = await import('@oclif/core'); await execute({dir: ${JSON.stringify(`${ROOT}bin/run.js`)}, args: ${JSON.stringify(args)}})`], {
    cwd: ROOT,
    env,
    timeout: 20_000,
  })

describe("bin/run.js's front door (commands that skip loading oclif)", () => {
  for (const args of [['--version'], ['-v'], ['--help'], ['-h'], ['help'], []]) {
    it(`\`dledger ${args.join(' ')}\` prints exactly what oclif prints`, async () => {
      const [fast, slow] = await Promise.all([dledger(args), oclif(args)])
      assert.equal(fast.stdout, slow.stdout)
      assert.match(fast.stdout, /dledger\/\d+\.\d+\.\d+ /)
    })
  }

  it('a member that cannot start says so as oclif would: same lines, same exit code', async () => {
    const args = ['start', '--id', 'n0', '--peers', 'n0-127.0.0.1:1;n1-127.0.0.1:2', '--heartbeat-ms', '5']
    const failed = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: {code: number; stdout: string; stderr: string}) => e)
    const [fast, slow] = await Promise.all([failed(dledger(args)), failed(oclif(args))])
    assert.deepEqual({code: fast.code, stdout: fast.stdout, stderr: fast.stderr}, {code: slow.code, stdout: slow.stdout, stderr: slow.stderr})
    assert.equal(fast.code, 2)
    assert.match(fast.stderr, /^Error: heartbeatIntervalMs must be greater than 10 \(got 5\)$/m)
  })

  it('`start --help` still goes to oclif', async () => {
    const {stdout} = await dledger(['start', '--help'])
    assert.match(stdout, /^USAGE\n {2}\$ dledger start --id <value>/m)
  })
})

describe("the member's light path reads only plain `start` command lines", () => {
  it('takes the flags `up` passes, and what people type', () => {
    assert.deepEqual(parseStartArgv(['--id', 'n1', '--home', '/h', '--on-role-change', 'echo hi'], {}), {
      id: 'n1',
      home: '/h',
      'on-role-change': 'echo hi',
      handoff: true,
      'accept-rolled-back-state': false,
    })
    assert.deepEqual(parseStartArgv(['--id=n0', '--peers', 'n0-127.0.0.1:1', '--timing', 'FAST', '--heartbeat-ms', '50', '--no-handoff'], {}), {
      id: 'n0',
      peers: 'n0-127.0.0.1:1',
      timing: 'fast',
      'heartbeat-ms': 50,
      handoff: false,
      'accept-rolled-back-state': false,
    })
  })

  it('reads --home, --peers and the token from the environment like oclif, flags first', () => {
    const flags = parseStartArgv(['--id', 'n0', '--home', '/flag'], {DLEDGER_HOME: '/env', DLEDGER_PEERS: 'n0-h:1', DLEDGER_TOKEN: 't', DLEDGER_X: 'y'})
    assert.deepEqual(flags, {id: 'n0', home: '/flag', peers: 'n0-h:1', token: 't', handoff: true, 'accept-rolled-back-state': false})
  })

  for (const argv of [
    ['--help'],
    ['--id', 'n0', '-h'],
    ['--group', 'g'],
    ['--id', 'n0', '--id', 'n1'],
    ['--id', 'n0', '--bogus'],
    ['--id', 'n0', '--heartbeat-ms', '0'],
    ['--id', 'n0', '--heartbeat-ms', '1.5'],
    ['--id', 'n0', '--timing', 'slow'],
    ['--id', 'n0', '--token', 'secret'],
    ['--id', 'n0', '--token-file', 'f'],
    ['--id'],
    ['--id', ''],
    ['n0'],
  ]) {
    it(`leaves \`start ${argv.join(' ')}\` to oclif`, () => {
      assert.equal(parseStartArgv(argv, {}), null)
    })
  }
})
