// Loaded with `node --import` by tests that check which way a command ran: at exit, appends
// `<command words> → oclif|light` to the file named by DLEDGER_TEST_OCLIF_PROBE, "oclif" when
// @oclif/core was loaded in this process. Writes nothing to the command's own output.
import {appendFileSync} from 'node:fs'
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
const file = process.env.DLEDGER_TEST_OCLIF_PROBE
if (file) {
  process.on('exit', () => {
    const oclif = Object.keys(require.cache).some((k) => k.includes('/@oclif/core/'))
    appendFileSync(file, `${process.argv.slice(2).join(' ')} → ${oclif ? 'oclif' : 'light'}\n`)
  })
}
