// ESLint flat config. Besides the recommended rules it enforces the architecture's dependency
// rule: every import points toward src/core, which imports nothing outside itself and never
// touches the real clock, randomness, timers or I/O; src/sim and src/wire import only core.
import {builtinModules} from 'node:module'

import js from '@eslint/js'
import {defineConfig} from 'eslint/config'
import tseslint from 'typescript-eslint'

/** `../sim`, `../../sim/x.js`, … : a relative import that leaves the current layer. */
const layer = (...names) => `^(\\.\\./)+(${names.join('|')})(/|$)`

/** `start` and its light path (bin/run.js runs a member without oclif): the CLI modules that run a member. */
const MEMBER_RUNNERS = ['src/cli/commands/start.ts', 'src/cli/member-main.ts']

/** The CLI modules that speak the simulator's script language (src/sim/script.ts) on real members. */
const SCRIPT_USERS = ['src/cli/real-cluster/**/*.ts', 'src/cli/faults.ts', 'src/cli/commands/test.ts', 'src/cli/commands/pause.ts']

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'))

/**
 * The core's state and the modules that mutate it are private to src/core (and its rule tests):
 * everything else drives an Elector through its inputs and reads its snapshot or frozen view.
 */
const coreInternals = {
  regex: '(^|/)core/(member-state|leader-heartbeats|candidacy|transfer|step)(\\.js)?$',
  message: 'MemberState and the modules that change it are private to src/core: drive the Elector through its inputs and read its snapshot or view.',
}

export default defineConfig(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'tmp/**', 'bench/results/**']},
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: {console: 'readonly', process: 'readonly', URL: 'readonly'},
    },
  },
  {
    // The election core is pure and deterministic: time and randomness are injected.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'ws'].map((name) => ({
            name,
            message: 'src/core is pure: no I/O, timers or sockets. The runtime (src/node) does that.',
          })),
          patterns: [
            {
              group: ['node:*', 'fs/*', 'timers/*', 'ws/*'],
              message: 'src/core is pure: no I/O, timers or sockets. The runtime (src/node) does that.',
            },
            {
              regex: layer('sim', 'node', 'wire', 'cli'),
              message: 'src/core imports nothing outside itself; the other layers import core.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].map(
          (name) => ({name, message: 'src/core has no timers: timeouts are inputs (tick(nowMs)) and deadlines are outputs.'}),
        ),
        {name: 'process', message: 'src/core is pure: pass configuration in, do not read the process.'},
        {name: 'performance', message: 'src/core reads time only from its inputs (nowMs).'},
      ],
      'no-restricted-properties': [
        'error',
        {object: 'Date', property: 'now', message: 'src/core reads time only from its inputs (nowMs).'},
        {object: 'Math', property: 'random', message: 'src/core takes an injected random generator.'},
      ],
      'no-restricted-syntax': [
        'error',
        {selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'src/core reads time only from its inputs (nowMs).'},
        {selector: 'ImportExpression', message: 'src/core uses static imports of its own modules only.'},
      ],
    },
  },
  {
    // The simulator and the wire schema build on core only.
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{regex: layer('node', 'cli', 'wire'), message: 'src/sim imports only src/core.'}, coreInternals]},
      ],
    },
  },
  {
    files: ['src/wire/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{regex: layer('node', 'cli', 'sim'), message: 'src/wire imports only src/core.'}, coreInternals]},
      ],
    },
  },
  {
    // The runtime composes core, wire and real I/O; it never reaches up into the CLI.
    files: ['src/node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{regex: layer('cli', 'sim'), message: 'src/node imports core, wire and real I/O only.'}, coreInternals]},
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'test/sim/**/*.ts', 'test/node/**/*.ts', 'test/cli/**/*.ts', 'test/e2e/**/*.ts', 'test/helpers/**/*.ts'],
    rules: {'no-restricted-imports': ['error', {patterns: [coreInternals]}]},
  },
  // The CLI talks to members only through src/wire: it runs src/node only for `start`, and src/sim
  // only for `sim` and for the script language that `dledger test`, `fault` and `pause` share with
  // it (architecture.md: script.ts and its runner are shared with `dledger test`). Static and
  // dynamic imports alike (the commands import lazily).
  ...cliLayerRules('src/cli/**/*.ts', ['node', 'sim'], [...MEMBER_RUNNERS, 'src/cli/commands/sim.ts', ...SCRIPT_USERS]),
  ...cliLayerRules(MEMBER_RUNNERS, ['sim']),
  ...cliLayerRules(['src/cli/commands/sim.ts', ...SCRIPT_USERS], ['node']),
)

/** The blocks that keep `files` from importing the layers `banned`, statically or with `import()`. */
function cliLayerRules(files, banned, ignores = []) {
  files = Array.isArray(files) ? files : [files]
  const message = `src/cli talks to members through src/wire; it imports src/node only to run a member (commands/start.ts, member-main.ts) and src/sim only in commands/sim.ts and the script language's users (architecture.md, the dependency rule).`
  // \u002F is "/": esquery's regex literals end at the first slash
  const dynamic = `ImportExpression[source.value=/^(\\.\\.\\u002F)+(${banned.join('|')})\\u002F/]`
  return [
    {
      files,
      ignores,
      rules: {
        'no-restricted-imports': ['error', {patterns: [coreInternals, {regex: layer(...banned), message}]}],
        'no-restricted-syntax': ['error', {selector: dynamic, message}],
      },
    },
  ]
}
