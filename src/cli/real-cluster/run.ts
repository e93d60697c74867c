/**
 * `dledger test SCRIPT` from start to end: parse the script (the simulator's parser), start a
 * local cluster in a home of its own, run the script on it, stop it, check every member's vote
 * logs and durable record for safety (src/cli/safety-check.ts), and build the report.
 * The cluster is stopped whatever happens — a failure, or Ctrl-C (`signal`).
 */
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parseScript, type Script} from '../../sim/script.js'
import {collectMemberDirs, readMemberHistory} from '../history-source.js'
import {type OclifDirs, resolvePaths} from '../paths.js'
import {checkHistories, renderCheckReport} from '../safety-check.js'
import type {TimelineModel} from '../timeline/model.js'
import {LocalCluster} from './local-cluster.js'
import {buildRealReport, realReportPassed, type RealTestReport} from './report.js'
import {RealScriptRunner} from './runner.js'

export interface RealTestOptions {
  scriptText: string
  /** the script's file name, for the report */
  scriptName: string
  nodes: number
  timing: string
  seed: number
  /** keep the home after a passing run (a failing run's home is always kept) */
  keep: boolean
  /** an empty or new directory; default: a new temporary directory */
  home?: string
  binPath: string
  dirs: OclifDirs
  /** Ctrl-C: stop the run and the cluster */
  signal: AbortSignal
  /** progress lines (stderr) */
  progress?: (line: string) => void
  /** also draw the run as a timeline page (`--html`) */
  timeline?: boolean
}

export interface RealTestOutcome {
  report: RealTestReport
  /** the safety check in `dledger check`'s words, shown when it found violations */
  checkText: string
  passed: boolean
  /** the run as a timeline page's model, when asked for */
  timeline?: TimelineModel
}

/** Parses the script for `nodes` members; throws the simulator's ScriptError on a bad one. */
export function parseTestScript(text: string, nodes: number): Script {
  return parseScript(
    text,
    Array.from({length: nodes}, (_, i) => `n${i}`),
  )
}

/** Runs the whole test. Throws (after stopping the cluster) when the cluster cannot start. */
export async function runRealTest(opts: RealTestOptions): Promise<RealTestOutcome> {
  const script = parseTestScript(opts.scriptText, opts.nodes)
  let home: string
  if (opts.home !== undefined) {
    if (existsSync(opts.home) && readdirSync(opts.home).length > 0) throw new HomeNotEmptyError(opts.home)
    home = opts.home
  } else home = mkdtempSync(join(tmpdir(), 'dledger-test-'))
  const paths = resolvePaths(home, opts.dirs)
  const cluster = new LocalCluster({paths, binPath: opts.binPath, nodes: opts.nodes, timing: opts.timing})
  const started = performance.now()
  let passed = false
  try {
    opts.progress?.(`starting ${opts.nodes} members in ${home}`)
    await cluster.start()
    if (opts.signal.aborted) throw new Error('interrupted')
    opts.progress?.(`running ${opts.scriptName} (${script.lines.length} lines)`)
    const runner = new RealScriptRunner(cluster, script, opts.seed, opts.signal)
    await runner.run()
    const t0WallMs = runner.startedAtWallMs()
    const durationMs = runner.now()
    const finalStatus = await cluster.status(500)
    await cluster.stop()
    const histories = collectMemberDirs([paths.dataRoot]).map(readMemberHistory)
    const check = checkHistories(histories)
    const report = buildRealReport({
      script: opts.scriptName,
      seed: opts.seed,
      nodes: opts.nodes,
      timing: opts.timing,
      durationMs,
      wallMs: performance.now() - started,
      t0WallMs,
      finalStatus,
      histories,
      check,
      hits: runner.hits,
      expectations: runner.expectations,
      scriptTimeline: runner.timeline,
      home,
      logs: paths.logDir,
      kept: true,
    })
    passed = realReportPassed(report) && !opts.signal.aborted
    report.kept = opts.keep || !passed
    let timeline: TimelineModel | undefined
    if (opts.timeline === true) {
      const {testRunTimeline} = await import('../timeline/load.js')
      timeline = testRunTimeline({
        title: `dledger test ${opts.scriptName} (seed ${opts.seed})`,
        records: histories.flatMap((h) => h.records.map((r) => r.record)),
        faults: runner.faults,
        members: cluster.ids,
        t0WallMs,
        durationMs,
      })
    }
    return {report, checkText: renderCheckReport(check), passed, timeline}
  } finally {
    await cluster.stop().catch(() => undefined)
    if (!opts.keep && (passed || opts.signal.aborted)) rmSync(home, {recursive: true, force: true})
  }
}

/** `--home` names a directory that holds something: the test would mix its cluster with it. */
export class HomeNotEmptyError extends Error {
  constructor(readonly home: string) {
    super(`--home ${home} is not empty`)
  }
}
