import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'

/** `dledger test SCRIPT`: a simulator script run against a real local cluster, then a safety check. */
export default class Test extends BaseCommand<typeof Test> {
  static override summary = "Run a fault script (the simulator's language) against a real local cluster, then check its history for safety"
  static override description = `Starts its own cluster of --nodes members in a new temporary home (or an empty --home) on free ports below 32768, with the --timing preset, waits for a leader, and runs each line of SCRIPT at its time on the real processes: kill = SIGKILL, restart = the same member again on its data directory, pause/resume = SIGSTOP/SIGCONT, partition/cut/isolate/heal/loss = each member's fault layer (\`dledger fault\`), transfer = \`dledger transfer-leader\`, elect = \`dledger elect --node\`, and expectations poll the status until they hold or their "within" window closes. The script language is \`dledger sim\`'s (see \`dledger sim --help\`); the same file runs in both.

Then it stops the cluster and checks every member's vote logs and durable record, as \`dledger check\` does: at most one leader per term, at most one accepted candidate per member per term, terms never going down. It prints the timeline, leader changes, failovers with their leaderless time, the expectations and where the logs are (--json: the report, in the shape of \`sim --json\`). --html FILE also draws the run as the page \`dledger timeline\` and \`sim --html\` write: a lane per member from its own vote log, with the script's kills, restarts, stops, pauses, partitions, heals and forced elections as markers; it is written whether the run passes or fails. The home is removed after a passing run unless --keep; a failing run keeps it.

Exit 0 when every expectation held and the check found no violation, 1 otherwise, 2 for a bad script or flag; Ctrl-C stops the cluster it started and exits 130.`

  static override examples = [
    {description: 'A partitioned leader in the minority', command: "printf 'at 1s partition leader | followers\\nat 1s expect term >= 2 within 4s\\nat 5s heal\\nat 5s expect leader any within 3s\\n' > p.txt && <%= config.bin %> <%= command.id %> p.txt"},
    {description: 'Five members, the report as JSON, the logs kept', command: '<%= config.bin %> <%= command.id %> scenario.txt --nodes 5 --json --keep'},
    {description: 'Kill the leader and draw the run as a timeline page', command: "printf 'at 1s kill leader\\nat 1s expect leader any within 4s\\nat 4s restart killed\\n' > kill.txt && <%= config.bin %> <%= command.id %> kill.txt --html kill.html"},
  ]

  static override enableJsonFlag = true
  /** its own cluster: no --peers or token; --home only from the command line (DLEDGER_HOME names the user's own cluster) */
  static override baseFlags = {home: {...BaseCommand.baseFlags.home, env: undefined, description: 'a new or empty directory for the cluster (default: a temporary one; DLEDGER_HOME is not used)'}} as typeof BaseCommand.baseFlags

  static override args = {script: Args.string({description: 'the fault script, "-" for stdin', required: true})}

  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'number of members (n0…)', default: 3, min: 1, max: 9}),
    timing: Flags.string({description: 'timing preset of the members', default: 'fast'}),
    seed: Flags.integer({char: 's', description: 'seed for choices the script leaves open (which follower); default: a random one, printed', min: 0}),
    keep: Flags.boolean({description: 'keep the home (profile, data directories with the vote logs, member logs) after a passing run'}),
    html: Flags.string({description: 'write the run as a timeline page to FILE (self-contained HTML, like `dledger timeline`), passing or not'}),
  }

  async run(): Promise<void> {
    const {existsSync, readFileSync} = await import('node:fs')
    const {dirname, join, resolve} = await import('node:path')
    const {UsageError} = await import('../errors.js')
    const {ScriptError} = await import('../../sim/script.js')
    const {HomeNotEmptyError, parseTestScript, runRealTest} = await import('../real-cluster/run.js')
    const {renderRealReport} = await import('../real-cluster/report.js')
    const {TIMING_PRESETS} = await import('../../core/settings.js')
    const flags = this.flags
    const name = this.args.script
    let text: string
    try {
      text = readFileSync(name === '-' ? 0 : name, 'utf8')
    } catch (error) {
      throw new UsageError(`cannot read the script ${name === '-' ? 'from stdin' : `"${name}"`}: ${(error as Error).message}`)
    }
    try {
      parseTestScript(text, flags.nodes)
    } catch (error) {
      if (error instanceof ScriptError) throw new UsageError(`${name === '-' ? 'script' : name}: ${error.message}`, {code: 'BAD_SCRIPT', hint: 'see "dledger sim --help" for the script syntax'})
      throw error
    }
    const timing = flags.timing.toLowerCase()
    if (TIMING_PRESETS[timing] === undefined) throw new UsageError(`--timing: unknown preset "${flags.timing}" (known: ${Object.keys(TIMING_PRESETS).join(', ')})`)
    // before the run, not after it: a page that cannot be written would throw the run away
    if (flags.html !== undefined && !existsSync(dirname(resolve(flags.html)))) throw new UsageError(`--html: no directory "${dirname(flags.html)}" for "${flags.html}"`, {code: 'UNWRITABLE_OUTPUT'})
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31)
    const abort = new AbortController()
    const onSigint = () => {
      if (!abort.signal.aborted) console.error('interrupted: stopping the cluster')
      abort.abort()
    }
    process.on('SIGINT', onSigint)
    process.on('SIGTERM', onSigint)
    let outcome
    try {
      outcome = await runRealTest({
        scriptText: text,
        scriptName: name,
        nodes: flags.nodes,
        timing,
        seed,
        keep: flags.keep,
        home: flags.home,
        binPath: join(this.config.root, 'bin', 'run.js'),
        dirs: {configDir: this.config.configDir, dataDir: this.config.dataDir},
        signal: abort.signal,
        progress: this.jsonEnabled() ? undefined : (line) => console.error(line),
        timeline: flags.html !== undefined,
      })
    } catch (error) {
      if (error instanceof HomeNotEmptyError) throw new UsageError(error.message, {hint: 'give a new or empty directory, or leave --home out for a temporary one'})
      if (abort.signal.aborted) this.exit(130)
      throw error
    } finally {
      process.off('SIGINT', onSigint)
      process.off('SIGTERM', onSigint)
    }
    if (abort.signal.aborted) this.exit(130)
    if (flags.html !== undefined && outcome.timeline !== undefined) (await import('../timeline/load.js')).writeTimelinePage(flags.html, outcome.timeline)
    if (!this.jsonEnabled()) this.log(renderRealReport(outcome.report, outcome.checkText) + (flags.html === undefined ? '' : `\ntimeline page:  ${flags.html}`))
    else this.logJson(outcome.report)
    if (!outcome.passed) this.exit(1)
  }
}
