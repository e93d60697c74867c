#!/usr/bin/env node
// The front door. Most commands need the command framework (@oclif/core: about 160 files, as long
// to load as Node itself); three kinds of invocation do not, and skip it (issue 13, measured in
// docs/benchmarks.md). Each prints exactly what oclif would.
// - `--version` / `-v`: oclif's user agent, from package.json;
// - the root help (`--help`, `-h`, `help` or nothing) written to a pipe: oclif's own rendering,
//   kept by `npm run build` in dist/root-help.txt. A terminal (its width), OCLIF_COLUMNS,
//   FORCE_COLOR or a help theme still go through oclif;
// - `start`: a member (src/cli/member-main.ts, bundled in dist/member/) with the flags `up` and people pass; anything else
//   (`start --help`, a bad or unknown flag) goes to oclif for its usual message;
// - `status`, `leader`, `health`, `transfer-leader`, `elect`, `up`, `down` on a plain command line
//   (src/cli/light/run-light.ts, bundled in dist/light/): the same logic as their oclif commands;
//   anything else (help, a bad or unknown flag) goes to oclif.
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const argv = process.argv.slice(2)
const root = new URL('../', import.meta.url)

function packageJson() {
  return JSON.parse(readFileSync(new URL('package.json', root), 'utf8'))
}

function userAgent() {
  const pjson = packageJson()
  return `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`
}

function plainRootHelp() {
  if (!(argv.length === 0 || (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0])))) return null
  const env = process.env
  if (process.stdout.isTTY || env.OCLIF_COLUMNS || env.FORCE_COLOR !== undefined || env.DLEDGER_CONFIG_DIR) return null
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  if (existsSync(join(configHome, 'dledger', 'theme.json'))) return null
  try {
    return readFileSync(new URL('dist/root-help.txt', root), 'utf8')
  } catch {
    return null // not built yet: oclif renders it
  }
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${userAgent()}\n`)
} else {
  const help = plainRootHelp()
  if (help !== null) {
    process.stdout.write(help.replace('{{userAgent}}', userAgent()))
  } else {
    let done = false
    if (argv[0] === 'start') {
      // A member is a long-lived, mostly idle process that handles tiny messages: V8's optimizing
      // tiers and a large young generation buy it nothing but memory (see docs/benchmarks.md).
      const {setFlagsFromString} = await import('node:v8')
      setFlagsFromString('--lite-mode')
      setFlagsFromString('--max-semi-space-size=1')
      // Set this late, the cap above no longer bounds the young generation (V8 sized it at start):
      // keep it from doubling instead, and let V8's memory reducer compact a member 1 s after it
      // goes quiet rather than 8 s: about 3 MB less resident when idle, a few ms of GC once.
      setFlagsFromString('--semi-space-growth-factor=1')
      setFlagsFromString('--gc-memory-reducer-start-delay-ms=1000')
      const {runMemberFromArgv} = await import('../dist/member/member-main.js')
      done = await runMemberFromArgv(argv.slice(1))
    } else if (argv.length > 0) {
      const {runLightCommand} = await import('../dist/light/run-light.js')
      done = await runLightCommand(argv, fileURLToPath(root), packageJson().oclif.bin)
    }
    if (!done) {
      const {execute} = await import('@oclif/core')
      await execute({dir: import.meta.url})
    }
  }
}
