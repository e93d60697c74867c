import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {booleanFlag, integerFlag, parseFlags, stringFlag} from '../../src/cli/flag-table.js'
import {oclifFlags} from '../../src/cli/oclif-flags.js'

const table = {
  to: stringFlag({description: 'target'}),
  home: stringFlag({description: 'home', env: 'DLEDGER_HOME'}),
  preferred: booleanFlag({description: 'preferred', allowNo: true}),
  watch: booleanFlag({description: 'watch', default: false}),
  wait: integerFlag({description: 'wait', default: 0, min: 0}),
  nodes: integerFlag({description: 'nodes', min: 1, max: 99}),
  timing: stringFlag({description: 'preset', lowercaseOneOf: ['fast', 'default']}),
}

describe('the light parser reads a plain command line as oclif would', () => {
  it('takes both value forms, booleans and their --no- form, --json, the environment and the defaults', () => {
    assert.deepEqual(parseFlags(table, ['--to', 'n1', '--nodes=5', '--no-preferred', '--timing', 'FAST', '--json'], {json: true, env: {DLEDGER_HOME: '/h'}}), {
      to: 'n1',
      nodes: 5,
      preferred: false,
      timing: 'fast',
      json: true,
      home: '/h',
      watch: false,
      wait: 0,
    })
  })

  it('a flag given wins over its environment variable; an empty variable is no value', () => {
    assert.equal(parseFlags(table, ['--home', '/flag'], {env: {DLEDGER_HOME: '/env'}})?.home, '/flag')
    assert.equal(parseFlags(table, [], {env: {DLEDGER_HOME: ''}})?.home, undefined)
  })

  for (const argv of [
    ['--help'],
    ['-h'],
    ['n1'],
    ['--'],
    ['--bogus'],
    ['--to', 'n1', '--to', 'n2'],
    ['--to'],
    ['--to', '--json'],
    ['--to='],
    ['--no-watch'],
    ['--watch=true'],
    ['--nodes', '0'],
    ['--nodes', '100'],
    ['--nodes', '05'],
    ['--nodes', '1.5'],
    ['--wait', '-1'],
    ['--timing', 'slow'],
    ['--json'],
  ]) {
    it(`declines \`${argv.join(' ')}\`, so oclif parses it`, () => {
      assert.equal(parseFlags(table, argv, {env: {}}), null)
    })
  }

  it('declines a command line without a required flag', () => {
    assert.equal(parseFlags({id: stringFlag({description: 'id', required: true})}, [], {env: {}}), null)
  })
})

describe('the oclif flags built from a table', () => {
  it('carry the same defaults, bounds, environment and --no- form', () => {
    const flags = oclifFlags(table)
    assert.equal(flags.wait.default, 0)
    assert.equal(flags.home.env, 'DLEDGER_HOME')
    assert.equal(flags.preferred.allowNo, true)
    assert.equal(flags.to.default, undefined)
    assert.ok(!('default' in flags.nodes), 'no default key where the table has none')
  })

  it('check a preset case-insensitively, with oclif-style messages', async () => {
    const timing = oclifFlags(table).timing
    assert.equal(await timing.parse('Fast', {} as never, {} as never), 'fast')
    await assert.rejects(Promise.resolve(timing.parse('slow', {} as never, {} as never)), /Expected --timing=slow to be one of: fast, default/)
  })
})
