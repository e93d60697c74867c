import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// Runs the built CLI (`npm test` builds first), as a user would.
it('`dledger --help` exits 0 and names the CLI', async () => {
  const {stdout} = await run(process.execPath, ['bin/run.js', '--help'], {
    cwd: ROOT,
    env: {...process.env, CI: 'true', NODE_ENV: 'production'},
    timeout: 20_000,
  })
  assert.match(stdout, /dledger/)
  assert.match(stdout, /USAGE/)
})
