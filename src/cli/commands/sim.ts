import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {OperationError, UsageError} from '../errors.js'
import {timingFlags, timingOverrides} from '../timing-flags.js'

/**
 * `dledger sim`: the real election core in simulated time, on a simulated network and disk, with
 * faults injected by a script. Checks the safety invariants after every step and reports leader
 * changes, failovers and violations. Exit 1 on a violation or a failed expectation, 2 on bad
 * usage (a bad script names its line).
 */
export default class Sim extends BaseCommand<typeof Sim> {
  static override summary = 'Run the election core in simulated time with injected faults'
  static override description = `Runs N members (1-51) of the real election core on a simulated clock, network and disk, chosen by one seed: the same seed, script and flags give the same run, byte for byte. A script injects faults, one per line ('#' starts a comment):

  at 10s kill leader          # crash: volatile state lost, durable record kept
  at 17s restart n0           # also: restart killed
  at 20s partition n0 | n1 n2 # symmetric cut between groups
  at 25s cut n1 -> n0         # one-way: messages from n1 to n0 are lost
  at 30s isolate leader
  at 40s heal                 # remove every cut and partition
  at 41s loss 0.2             # drop probability from now on
  at 45s transfer n2          # leadership transfer to n2 via the current leader
  at 50s elect n1             # force n1 to campaign for the next term now
  at 59s expect leader n2     # also: expect leader any|none, expect term >= 3, ... within 2s

Targets: a member id, several ids (n0,n1), leader, follower (one), followers (all), killed (restart only). Times take ms, s or m.
Checked after every step: at most one leader per term; a member's term never goes down (across restarts too); a durable vote never changes within a term; every leader holds durable votes from a quorum in its term.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --nodes 5 --seed 7 --duration 2m',
    '<%= config.bin %> <%= command.id %> --seed 42 --script faults.txt --json',
    "printf 'at 10s kill leader\\nat 20s expect leader any\\n' | <%= config.bin %> <%= command.id %> --script - --trace run.jsonl",
    '<%= config.bin %> <%= command.id %> --timing fast --script faults.txt --html run.html',
    '<%= config.bin %> <%= command.id %> --timing fast --loss 0.1 --delay-ms 1-20 --duration 30s',
  ]

  static override enableJsonFlag = true

  /** A simulated cluster has no home, peers or token: none of the global flags apply. */
  // the cast keeps BaseCommand's flag typing for the commands that do have them; sim reads none
  static override baseFlags = {} as typeof BaseCommand.baseFlags

  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'number of members (n0…), 1-51', min: 1, max: 51, default: 3}),
    seed: Flags.integer({char: 's', description: 'seed of the run (default: a random one, printed)', min: 0}),
    duration: Flags.string({
      char: 'd',
      description: 'simulated time to run, e.g. 90s, 10m [default: 60s, or long enough for the script]',
    }),
    script: Flags.string({description: 'fault script file, "-" for stdin'}),
    loss: Flags.string({description: 'message loss probability from the start, 0-1 [default: 0]'}),
    'delay-ms': Flags.string({description: 'per-message delay range in ms, A-B (or A) [default: 1-5]'}),
    trace: Flags.string({description: 'write every message and event to FILE as JSON lines'}),
    html: Flags.string({description: 'write the run as a timeline page to FILE (self-contained HTML, like `dledger timeline`)'}),
    ...timingFlags,
  }

  public async run(): Promise<void> {
    const flags = this.flags
    const [{readFileSync}, {randomInt}, {performance}] = await Promise.all([import('node:fs'), import('node:crypto'), import('node:perf_hooks')])
    const {parseScript, parseTime, ScriptError, MAX_TIME_MS} = await import('../../sim/script.js')
    const {Simulation, SimulationError} = await import('../../sim/simulation.js')
    const {buildReport, renderHuman, reportPassed} = await import('../../sim/report.js')
    const {SettingsError} = await import('../../core/settings.js')

    const ids = Array.from({length: flags.nodes}, (_, i) => `n${i}`)
    const seed = flags.seed ?? randomInt(0, 2 ** 31)
    const loss = flags.loss === undefined ? 0 : parseLoss(flags.loss)
    const delayMs = flags['delay-ms'] === undefined ? undefined : parseDelay(flags['delay-ms'])

    let durationMs: number | undefined
    if (flags.duration !== undefined) {
      try {
        durationMs = parseTime(flags.duration)
      } catch (error) {
        throw new UsageError(`--duration: ${(error as Error).message}`)
      }
    }

    let script = {lines: [] as import('../../sim/script.js').ScriptLine[]}
    if (flags.script !== undefined) {
      let text: string
      try {
        text = readFileSync(flags.script === '-' ? 0 : flags.script, 'utf8')
      } catch (error) {
        throw new UsageError(`cannot read the script ${flags.script === '-' ? 'from stdin' : `"${flags.script}"`}: ${(error as Error).message}`)
      }
      try {
        script = parseScript(text, ids)
      } catch (error) {
        if (error instanceof ScriptError)
          throw new UsageError(`${flags.script === '-' ? 'script' : flags.script}: ${error.message}`, {code: 'BAD_SCRIPT', hint: 'see "dledger sim --help" for the script syntax'})
        throw error
      }
    }
    const end = (l: (typeof script.lines)[number]) => l.atMs + (l.action.type === 'expect' ? l.action.withinMs : 0)
    if (durationMs === undefined) {
      const last = script.lines.reduce((m, l) => Math.max(m, end(l)), 0)
      durationMs = Math.min(MAX_TIME_MS, Math.max(60_000, last === 0 ? 0 : last + 1000))
    } else {
      const late = script.lines.find((l) => end(l) > (durationMs as number))
      if (late !== undefined)
        throw new UsageError(`${flags.script}: line ${late.line}: ${late.text} ends after the run (--duration ${flags.duration})`, {
          code: 'BAD_SCRIPT',
          hint: 'raise --duration or move the line earlier',
        })
    }

    const trace = flags.trace === undefined ? undefined : await openTrace(flags.trace)
    const html = flags.html === undefined ? undefined : (await import('../timeline/load.js')).simTimelineWriter(flags.html, trace?.write)
    const started = performance.now()
    let sim: InstanceType<typeof Simulation>
    try {
      sim = new Simulation({
        nodes: flags.nodes,
        seed,
        durationMs,
        script,
        lossProbability: loss,
        delayMs,
        settings: timingOverrides(flags),
        trace: html?.trace ?? trace?.write,
      })
      sim.run()
    } catch (error) {
      trace?.close()
      if (error instanceof SettingsError) throw new UsageError(error.problems.join('; '))
      if (error instanceof SimulationError) throw new OperationError(error.message, {code: 'SIMULATION_STUCK'})
      throw error
    }
    trace?.close()
    const report = buildReport(sim, performance.now() - started)
    html?.finish(report)
    if (this.jsonEnabled()) this.logJson(report)
    else this.log(renderHuman(report))
    if (!reportPassed(report)) this.exit(1)
  }
}

function parseLoss(text: string): number {
  const t = text.trim()
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t)
  const p = pct ? Number(pct[1]) / 100 : /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN
  if (!(p >= 0 && p <= 1)) throw new UsageError(`--loss must be a probability between 0 and 1 (got "${text}")`)
  return p
}

function parseDelay(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text)
  if (m === null) throw new UsageError(`--delay-ms must be A-B or A in whole milliseconds, e.g. 1-5 (got "${text}")`)
  const a = Number(m[1])
  const b = m[2] === undefined ? a : Number(m[2])
  if (b < a) throw new UsageError(`--delay-ms: the upper bound ${b} is below the lower bound ${a}`)
  if (b > 600_000) throw new UsageError(`--delay-ms: at most 600000 ms (got ${b})`)
  return [a, b]
}

/** A synchronous, buffered JSON-lines writer (keeps the run deterministic and the file complete). */
async function openTrace(file: string): Promise<{write: (line: object) => void; close: () => void}> {
  const {openSync, writeSync, closeSync} = await import('node:fs')
  let fd: number
  try {
    fd = openSync(file, 'w')
  } catch (error) {
    throw new UsageError(`cannot write the trace file "${file}": ${(error as Error).message}`)
  }
  let buf: string[] = []
  let size = 0
  const flush = () => {
    if (buf.length === 0) return
    writeSync(fd, buf.join(''))
    buf = []
    size = 0
  }
  return {
    write: (line) => {
      const s = `${JSON.stringify(line)}\n`
      buf.push(s)
      size += s.length
      if (size >= 1 << 20) flush()
    },
    close: () => {
      flush()
      closeSync(fd)
    },
  }
}
