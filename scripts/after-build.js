// Run by `npm run build` after tsc: what lets a command start without paying for discovery
// (issue 13, docs/benchmarks.md).
// 1. oclif.manifest.json: oclif's own description of every command. Without it oclif imports
//    every command module on each run just to list them; with it, only the one that runs. It is
//    written from dist/ on every build, so it never goes stale (a stale one hides commands).
// 2. dist/member/: the member's light path (src/cli/member-main.ts) bundled by esbuild, so a
//    member parses a few files instead of about a hundred, and only the parts of ws it uses:
//    about 2 MB less resident and a quicker start for each member `up` spawns at once.
//    Code only a command needs (conf, tables) stays in chunks the member never loads.
//    dist/light/: the light path of the commands scripts run most (src/cli/light/run-light.ts),
//    bundled the same way.
// 3. dist/root-help.txt: oclif's rendering of `dledger --help` for a pipe (80 columns, no theme),
//    with the version line as a placeholder; bin/run.js prints it without loading oclif when
//    the output would be the same (see there).
import {execFileSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {build} from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const manifestFile = `${root}oclif.manifest.json`
const helpFile = `${root}dist/root-help.txt`
rmSync(manifestFile, {force: true})
rmSync(helpFile, {force: true})

const config = await Config.load({root, ignoreManifest: true})
const plugin = config.getPluginsList().find((p) => p.isRoot)
if (plugin === undefined || Object.keys(plugin.manifest.commands).length === 0) throw new Error('no commands found in dist/: run tsc first')
writeFileSync(manifestFile, `${JSON.stringify(plugin.manifest)}\n`)

// as deep as dist/node/, so `new URL('../../package.json', import.meta.url)` (the version) still
// finds package.json
const bundle = (entry, outdir, options) =>
  build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // names kept, so stack traces stay readable
    minifyWhitespace: true,
    minifySyntax: true,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
    ...options,
  })
// ws is CommonJS and requires Node's modules
const requireBanner = {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"}
const memberDir = `${root}dist/member`
rmSync(memberDir, {recursive: true, force: true})
await bundle(`${root}dist/cli/member-main.js`, memberDir, {banner: requireBanner})
// the light commands: dledger's modules and the packages they load (bundled, ws loads in about
// half the time, conf for `up` in a third); @inquirer/prompts, only for a picker on a terminal,
// loads from node_modules
const lightDir = `${root}dist/light`
rmSync(lightDir, {recursive: true, force: true})
await bundle(`${root}dist/cli/light/run-light.js`, lightDir, {banner: requireBanner, external: ['@inquirer/prompts', '@oclif/*']})

// rendered by oclif itself, in the environment the fast path is taken in
const env = {...process.env}
for (const k of Object.keys(env)) if (/^(OCLIF_|FORCE_COLOR$|DLEDGER_CONFIG_DIR$|DLEDGER_DISABLE_THEME$)/.test(k)) delete env[k]
env.DLEDGER_DISABLE_THEME = 'true'
const help = execFileSync(process.execPath, [`${root}bin/run.js`, '--help'], {cwd: root, env, encoding: 'utf8'})
if (!help.includes(config.userAgent)) throw new Error('root help without a version line')
writeFileSync(helpFile, help.replace(config.userAgent, '{{userAgent}}'))
