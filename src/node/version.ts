/** dledger's version, as a member reports it in its status and metrics (package.json). */
import {readFileSync} from 'node:fs'

export const VERSION = readVersion()

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version?: unknown}
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
