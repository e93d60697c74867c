/**
 * Golden scenarios (like etcd's datadriven tests): each test/sim/scenarios/*.txt is a `dledger sim`
 * script, a `----` line, then the run as `dledger sim` prints it (without the wall-time line).
 * Comment lines name the run: `# sim: --nodes 3 --seed 1 --duration 30s` (also --timing,
 * --preferred-leader, --loss, --delay-ms) and `# seeds: 1-30`, the other seeds whose run must
 * also pass every expectation without a violation. `UPDATE_GOLDEN=1 npm test` rewrites the
 * expected part from what the simulator prints now.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {test} from 'node:test'

import {parsePreferredLeaderIds} from '../../src/core/settings.js'
import {parseDelay, parseLoss, type SimOptions} from '../../src/sim/options.js'
import {buildReport, renderHuman} from '../../src/sim/report.js'
import {parseTime} from '../../src/sim/script.js'
import {Simulation} from '../../src/sim/simulation.js'
import {problemsOf} from '../../src/sim/swarm.js'

const DIR = new URL('./scenarios/', import.meta.url)
const SEPARATOR = '----'
const UPDATE = process.env.UPDATE_GOLDEN === '1'

interface Scenario {
  file: URL
  script: string
  expected: string
  options: SimOptions
  seeds: number[]
}

/** The `# sim:` flags of a scenario as simulator options. */
function optionsOf(flags: string, script: string): SimOptions {
  const args = flags.trim().split(/\s+/)
  const options: SimOptions = {nodes: 3, seed: 1, durationMs: 60_000, script, settings: {}}
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]]
    assert.ok(value !== undefined, `${flag} needs a value`)
    if (flag === '--nodes') options.nodes = Number(value)
    else if (flag === '--seed') options.seed = Number(value)
    else if (flag === '--duration') options.durationMs = parseTime(value)
    else if (flag === '--timing') options.settings = {...options.settings, timing: value}
    else if (flag === '--preferred-leader') options.settings = {...options.settings, preferredLeaderIds: parsePreferredLeaderIds(value)}
    else if (flag === '--loss') options.lossProbability = parseLoss(value)
    else if (flag === '--delay-ms') options.delayMs = parseDelay(value) ?? undefined
    else assert.fail(`unknown flag ${flag} in "# sim:"`)
  }
  return options
}

function load(name: string): Scenario {
  const file = new URL(name, DIR)
  const lines = readFileSync(file, 'utf8').split('\n')
  const cut = lines.indexOf(SEPARATOR)
  assert.ok(cut >= 0, `${name}: no "${SEPARATOR}" line between the script and the expected run`)
  const script = `${lines.slice(0, cut).join('\n')}\n`
  const expected = lines.slice(cut + 1).join('\n').trimEnd()
  const flags = /^# sim:(.*)$/m.exec(script)
  const range = /^# seeds: (\d+)-(\d+)$/m.exec(script)
  const seeds = range === null ? [] : Array.from({length: Number(range[2]) - Number(range[1]) + 1}, (_, i) => Number(range[1]) + i)
  return {file, script, expected, options: optionsOf(flags?.[1] ?? '', script), seeds}
}

/** The run as `dledger sim` prints it, but the wall-time line. */
function printed(options: SimOptions): string {
  const lines = renderHuman(buildReport(new Simulation(options).run(), 0)).split('\n')
  return lines.filter((l) => !l.startsWith('wall time:')).join('\n')
}

const names = readdirSync(DIR).filter((n) => n.endsWith('.txt')).sort()

test('there are golden scenarios', () => {
  assert.ok(names.length >= 6, names.join(', '))
})

for (const name of names) {
  test(`scenario ${name.replace(/\.txt$/, '')}`, () => {
    const s = load(name)
    const actual = printed(s.options)
    if (UPDATE) writeFileSync(s.file, `${s.script}${SEPARATOR}\n${actual}\n`)
    else assert.equal(actual, s.expected, `${name}: the run differs from the golden one (UPDATE_GOLDEN=1 npm test rewrites it after a deliberate change)`)
    const failing = s.seeds.map((seed) => [seed, problemsOf(new Simulation({...s.options, seed}).run())] as const).filter(([, p]) => p !== null)
    assert.deepEqual(failing, [], `${name}: seeds whose run fails`)
  })
}
