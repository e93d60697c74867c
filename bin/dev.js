#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Development entry point: runs the TypeScript in src/ through tsx, with no build step.
//
// oclif's development mode maps the `commands` directory from dist/ to src/ using tsconfig.json's
// rootDir/outDir. Our tsconfig.json is the type-check config (rootDir ".", no outDir; the build
// uses tsconfig.build.json), so that mapping finds nothing and oclif silently runs a stale dist/ —
// or reports "command not found" when dist/ is absent. Point oclif at the sources instead.
import {readFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
pjson.oclif.commands = './src/cli/commands'

// and past the manifest `npm run build` writes: it points at dist/
await execute({development: true, loadOptions: {root, pjson, ignoreManifest: true}})
