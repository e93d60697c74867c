/**
 * What a user meets when a command or flag is mistyped, when asking for the version, and shell
 * completion (issue 8, item 7): real `dledger` processes, as typed at a shell without a terminal.
 * Needs `npm run build` first (`npm test` does it).
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {promisify} from 'node:util'

import {processCluster, sandbox, statusOf} from '../helpers/cluster.js'
import {explain, waitFor, type CliResult} from '../helpers/processes.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}).version



/** Exit 2, nothing on stdout, exactly `Error: …` and `Hint: …` on stderr. */
function assertUsage(r: CliResult, error: RegExp, hint: RegExp): void {
  assert.equal(r.code, 2, explain(r))
  assert.equal(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 2, r.stderr)
  assert.match(lines[0], error)
  assert.match(lines[1], hint)
}

describe('did you mean', () => {
  it('a mistyped command exits 2 with the closest command as a hint, in the usual error style', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-dym-')
    assertUsage(await sb.run(['stauts']), /^Error: "stauts" is not a dledger command$/, /^Hint: did you mean "dledger status"\? See "dledger --help"\.$/)
    assertUsage(await sb.run(['transfer', '--to', 'n1']), /^Error: "transfer" is not a dledger command$/, /did you mean "dledger transfer-leader"\?/)
    assertUsage(await sb.run(['xyzzy']), /^Error: "xyzzy" is not a dledger command$/, /^Hint: See "dledger --help"\.$/)
    assertUsage(await sb.run(['status', 'extra']), /^Error: unexpected argument "extra" for "dledger status"$/, /^Hint: See "dledger status --help"\.$/)
    const json = await sb.run(['stauts', '--json'])
    assert.equal(json.code, 2, explain(json))
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {message: '"stauts" is not a dledger command', code: 'UNKNOWN_COMMAND', hint: 'did you mean "dledger status"? See "dledger --help".'},
    })
  })

  it('a mistyped flag exits 2 and the hint names the flag that exists', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-dym-')
    assertUsage(await sb.run(['status', '--jsn']), /^Error: Nonexistent flag: --jsn$/, /^Hint: did you mean --json\? See "dledger status --help"\.$/)
    assertUsage(await sb.run(['up', '--node', '5']), /^Error: Nonexistent flag: --node$/, /^Hint: did you mean --nodes\? See "dledger up --help"\.$/)
    assertUsage(await sb.run(['transfer-leader', '--too', 'n1']), /^Error: Nonexistent flag: --too$/, /^Hint: did you mean --to\? See "dledger transfer-leader --help"\.$/)
    assertUsage(await sb.run(['status', '--bogus']), /^Error: Nonexistent flag: --bogus$/, /^Hint: See "dledger status --help"\.$/)
  })
})

describe('dledger version', () => {
  it('-v, --version and `version` print the CLI version without a cluster, exit 0', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-dym-')
    for (const flag of ['-v', '--version']) {
      const r = await sb.run([flag])
      assert.equal(r.code, 0, explain(r))
      assert.match(r.stdout, new RegExp(`^dledger/${VERSION.replaceAll('.', '\\.')} `))
    }
    const r = await sb.run(['version'])
    assert.equal(r.code, 0, explain(r))
    assert.equal(r.stdout.trim(), `dledger ${VERSION} (node ${process.version}, ${process.platform}-${process.arch})`)
  })

  it("`version` also shows each member's version, and why a member did not answer", async (t) => {
    const c = await processCluster(t, 2, 'dledger-e2e-dym-')
    c.start(0)
    await waitFor('n0 to answer', () => statusOf(c.ports[0]), 10_000)
    const r = await c.sb.run(['version', '--peers', c.peers])
    assert.equal(r.code, 0, explain(r))
    assert.match(r.stdout, new RegExp(`^n0\\s+127\\.0\\.0\\.1:${c.ports[0]}\\s+${VERSION.replaceAll('.', '\\.')}$`, 'm'))
    assert.match(r.stdout, /^n1\s+\S+\s+unreachable: connection refused$/m)
    const json = JSON.parse((await c.sb.run(['version', '--peers', c.peers, '--json'])).stdout) as {version: string; members: {id: string; version: string | null; error: string | null}[]}
    assert.equal(json.version, VERSION)
    assert.deepEqual(
      json.members.map((m) => [m.id, m.version, m.error === null]),
      [
        ['n0', VERSION, true],
        ['n1', null, false],
      ],
    )
  })
})

describe('shell completion', () => {
  it('`autocomplete bash` writes a bash completion that completes commands and their flags', async (t) => {
    const sb = sandbox(t, 'dledger-e2e-dym-')
    const cache = join(sb.home, 'cache')
    const r = await sb.run(['autocomplete', 'bash'], {env: {DLEDGER_CACHE_DIR: cache}})
    assert.equal(r.code, 0, explain(r))
    assert.match(r.stdout, /dledger autocomplete script bash/)
    const script = join(cache, 'autocomplete', 'functions', 'bash', 'dledger.bash')
    const complete = async (...words: string[]) => {
      const cmd = `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dledger_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`
      const {stdout} = await promisify(execFile)('bash', ['-c', cmd], {timeout: 10_000})
      return stdout.split('\n').filter(Boolean)
    }
    assert.deepEqual(await complete('dledger', 'sta'), ['start', 'status'])
    assert.ok((await complete('dledger', 'status', '--')).includes('--watch'))
  })
})
