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
  at 18s stop leader          # clean stop (SIGTERM): a leader hands off first, then goes down
  at 20s partition n0 | n1 n2 # symmetric cut between groups
  at 25s cut n1 -> n0         # one-way: messages from n1 to n0 are lost
  at 27s delay n0 -> n1 1.5s  # one-way: what n0 sends n1 from now on takes 1.5 s longer (0ms: normal)
  at 30s isolate leader
  at 40s heal                 # remove every cut, partition and delay
  at 41s loss 0.2             # drop probability from now on
  at 42s late 0.02            # probability that a message arrives 1-2.5 s late, after later ones
  at 45s transfer n2          # leadership transfer to n2 via the current leader
  at 50s elect n1             # force n1 to campaign for the next term now
  at 52s append 10            # a client appends 10 entries at the current leader
  at 53s pause leader for 5s  # SIGSTOP: handles nothing, its timers fire late (also: pause X, resume X)
  at 59s expect leader n2     # also: expect leader any|none, expect term >= 3, ... within 2s

Targets: a member id, several ids (n0,n1), leader, follower (one), followers (all), killed (restart only). Times take ms, s or m.
Checked after every step: at most one leader per term; a member's term never goes down (across restarts too); a durable vote never changes within a term; every leader holds durable votes from a quorum in its term; and for the ledger: a committed entry never changes or disappears, two logs agree up to any entry they share (index and term), a committed index never goes down, an acknowledged append is in every later leader's log.

Swarm runs: --swarm builds a whole random run from the seed alone — the member count (unless --nodes fixes it), message delays and loss, preferred leaders, a fault script and client appends (\`fast\` timing; the last phase heals the cluster and expects a leader within 5s). A failing seed replays with one command, e.g. \`dledger sim --swarm --seed 77\`. --seeds A-B sweeps a range, prints progress on stderr and exits 1 listing every failing seed with its replay command. --print-script prints a swarm run's script (and the flags of the equivalent plain run) without running it.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --nodes 5 --seed 7 --duration 2m',
    '<%= config.bin %> <%= command.id %> --seed 42 --script faults.txt --json',
    "printf 'at 10s kill leader\\nat 20s expect leader any\\n' | <%= config.bin %> <%= command.id %> --script - --trace run.jsonl",
    '<%= config.bin %> <%= command.id %> --timing fast --script faults.txt --html run.html',
    '<%= config.bin %> <%= command.id %> --timing fast --loss 0.1 --delay-ms 1-20 --duration 30s',
    '<%= config.bin %> <%= command.id %> --swarm --seed 77',
    '<%= config.bin %> <%= command.id %> --swarm --seeds 1-10000',
    '<%= config.bin %> <%= command.id %> --swarm --seed 77 --print-script > run.txt',
  ]

  static override enableJsonFlag = true

  /** A simulated cluster has no home, peers or token: none of the global flags apply. */
  // the cast keeps BaseCommand's flag typing for the commands that do have them; sim reads none
  static override baseFlags = {} as typeof BaseCommand.baseFlags

  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'number of members (n0…), 1-51 [default: 3; with --swarm: drawn from the seed]', min: 1, max: 51}),
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
    swarm: Flags.boolean({description: 'build the whole run (members, delays, loss, preferred leaders, faults) from the seed', helpGroup: 'SWARM'}),
    seeds: Flags.string({description: 'with --swarm: run every seed of the range A-B, e.g. 1-10000', helpGroup: 'SWARM'}),
    'print-script': Flags.boolean({description: "with --swarm: print the run's script instead of running it", helpGroup: 'SWARM'}),
    ...timingFlags,
  }

  public async run(): Promise<void> {
    const flags = this.flags
    if (flags.swarm) return this.runSwarm()
    if (flags.seeds !== undefined || flags['print-script'])
      throw new UsageError(`--${flags.seeds === undefined ? 'print-script' : 'seeds'} works only with --swarm`, {hint: 'add --swarm, e.g. "dledger sim --swarm --seeds 1-100"'})
    const [{readFileSync}, {randomInt}] = await Promise.all([import('node:fs'), import('node:crypto')])
    const {parseScript, parseTime, ScriptError, MAX_TIME_MS} = await import('../../sim/script.js')
    const {parseDelay, parseLoss} = await import('../../sim/options.js')

    const nodes = flags.nodes ?? 3
    const ids = Array.from({length: nodes}, (_, i) => `n${i}`)
    const seed = flags.seed ?? randomInt(0, 2 ** 31)
    const loss = flags.loss === undefined ? 0 : parseLoss(flags.loss)
    if (Number.isNaN(loss)) throw new UsageError(`--loss must be a probability between 0 and 1, e.g. 0.1 or 10% (got "${flags.loss}")`)
    let delayMs: [number, number] | undefined
    if (flags['delay-ms'] !== undefined) {
      const parsed = parseDelay(flags['delay-ms'])
      if (parsed === null) throw new UsageError(`--delay-ms must be A-B or A in whole milliseconds, e.g. 1-5 (got "${flags['delay-ms']}")`)
      delayMs = parsed
    }

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
    await this.simulate({nodes, seed, durationMs, script, lossProbability: loss, delayMs, settings: timingOverrides(flags)})
  }

  /** One run: build it (every option checked by the simulator's one validator), run it, report it. */
  private async simulate(options: import('../../sim/options.js').SimOptions, replay?: string): Promise<void> {
    const {performance} = await import('node:perf_hooks')
    const {Simulation, SimulationError, SimOptionsError} = await import('../../sim/simulation.js')
    const {buildReport, renderHuman, reportPassed} = await import('../../sim/report.js')
    const {SettingsError} = await import('../../core/settings.js')
    const trace = this.flags.trace === undefined ? undefined : await openTrace(this.flags.trace)
    const html = this.flags.html === undefined ? undefined : (await import('../timeline/load.js')).simTimelineWriter(this.flags.html, trace?.write)
    const started = performance.now()
    let sim: InstanceType<typeof Simulation>
    try {
      sim = new Simulation({...options, trace: html?.trace ?? trace?.write})
      sim.run()
    } catch (error) {
      trace?.close()
      if (error instanceof SettingsError) throw new UsageError(error.problems.join('; '))
      if (error instanceof SimOptionsError) throw new UsageError(error.problems.map(flagWording).join('; '))
      if (error instanceof SimulationError) throw new OperationError(error.message, {code: 'SIMULATION_STUCK', ...(replay ? {hint: `replay: ${replay}`} : {})})
      throw error
    }
    trace?.close()
    const report = buildReport(sim, performance.now() - started)
    html?.finish(report)
    const passed = reportPassed(report)
    if (this.jsonEnabled()) this.logJson(replay === undefined ? report : {...report, replay})
    else this.log(renderHuman(report) + (replay === undefined || passed ? '' : `\nreplay:         ${replay}`))
    if (!passed) this.exit(1)
  }

  /** `--swarm`: one seed's whole run, its script (`--print-script`), or a sweep over `--seeds`. */
  private async runSwarm(): Promise<void> {
    const flags = this.flags
    const conflicts = (['script', 'loss', 'delay-ms', 'duration'] as const).filter((f) => flags[f] !== undefined).map((f) => `--${f}`)
    if (Object.keys(timingOverrides(flags)).length > 0) conflicts.push('the timing flags')
    if (conflicts.length > 0)
      throw new UsageError(`--swarm builds the whole run from the seed; drop ${conflicts.join(', ')}`, {
        hint: 'print a swarm run with --print-script, edit it, and run it with --script',
      })
    if (flags.seed !== undefined && flags.seeds !== undefined) throw new UsageError('give either --seed or --seeds, not both')
    const swarm = await import('../../sim/swarm.js')
    const config = flags.nodes === undefined ? {} : {nodes: flags.nodes}
    if (flags.seeds !== undefined) {
      if (flags['print-script']) throw new UsageError('--print-script prints one run: give --seed, not --seeds')
      if (flags.trace !== undefined) throw new UsageError('--trace records one run: give --seed, not --seeds')
      if (flags.html !== undefined) throw new UsageError('--html draws one run: give --seed, not --seeds')
      return this.sweep(flags.seeds, config)
    }
    const {randomInt} = await import('node:crypto')
    const seed = flags.seed ?? randomInt(0, 2 ** 31)
    const run = swarm.swarmRun(seed, config)
    if (flags['print-script']) {
      this.log(run.script.trimEnd())
      return
    }
    await this.simulate(run.options, run.replay)
  }

  private async sweep(range: string, config: {nodes?: number}): Promise<void> {
    const swarm = await import('../../sim/swarm.js')
    let from: number
    let to: number
    try {
      ;[from, to] = swarm.parseSeedRange(range)
    } catch (error) {
      throw new UsageError(`--seeds: ${(error as Error).message}`)
    }
    const total = to - from + 1
    const every = Math.max(1, Math.ceil(total / 20))
    const failures = swarm.sweep(from, to, config, (done, failed) => {
      // on stderr also with --json, which keeps stdout for the result
      if (done % every === 0 || done === total) process.stderr.write(`swarm: ${done}/${total} seeds, ${failed} failing\n`)
    })
    const result = {from, to, seeds: total, nodes: config.nodes ?? null, failures}
    if (this.jsonEnabled()) this.logJson(result)
    else this.log(swarm.describeSweep(from, to, failures))
    if (failures.length > 0) this.exit(1)
  }
}

/** The simulator's messages name its options; the user typed flags. */
function flagWording(problem: string): string {
  return problem
    .replace(/^nodes /, '--nodes ')
    .replace(/^durationMs /, '--duration ')
    .replace(/^delay range /, '--delay-ms ')
    .replace(/^delay /, '--delay-ms ')
    .replace(/^loss probability /, '--loss ')
    .replace(/^seed /, '--seed ')
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
