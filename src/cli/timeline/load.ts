/**
 * Getting a timeline onto disk: from a file of a simulated or tested run (`--from`), from vote-log
 * records gathered elsewhere, and the collector `dledger sim --html` hands its trace to.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {basename} from 'node:path'

import type {VoteLogRecord} from '../../wire/frames.js'
import {UsageError} from '../errors.js'
import {buildTimeline, type FaultInput, type TimelineModel} from './model.js'
import {renderTimelinePage} from './render.js'
import {fromJsonLines, fromSimReport, isSimReport, reportFrame} from './sources.js'

/** Reads `--from FILE`: a `sim --json` report, a `sim --trace` JSONL file, or a vote.log. */
export function timelineFromFile(file: string): TimelineModel {
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (error) {
    throw new UsageError(`--from: cannot read "${file}": ${(error as Error).message}`, {code: 'UNREADABLE_INPUT'})
  }
  const title = `dledger timeline of ${file === '-' ? 'stdin' : basename(file)}`
  let whole: unknown
  try {
    whole = JSON.parse(text)
  } catch {
    whole = undefined
  }
  if (isSimReport(whole)) return buildTimeline(fromSimReport(whole, title))
  const lines = fromJsonLines(text)
  if (lines.records.length === 0 && lines.faults.length === 0) {
    throw new UsageError(`--from: "${file}" holds no vote-log record and no sim trace or report`, {
      code: 'NO_EVENTS',
      hint: 'pass a `dledger sim --json` report, a `dledger sim --trace` file or a vote.log',
    })
  }
  return buildTimeline({title, clock: lines.simulated ? 'simulated' : 'wall', records: lines.records, faults: lines.faults, ...(lines.simulated ? {startMs: 0} : {})})
}

/** The timeline of vote logs (a live or stopped cluster's members); `endMs`: draw up to then (a live page: now). */
export function timelineFromRecords(records: readonly VoteLogRecord[], members: readonly string[], title: string, endMs?: number): TimelineModel {
  return buildTimeline({title, clock: 'wall', records, members, endMs})
}

/**
 * The page of a `dledger test` run: the members' own vote logs (roles, ballots, votes) with the
 * script's faults, which are in ms from the script's start (`t0WallMs` on the wall clock). The
 * page begins with the first election, before the script, and ends with the script.
 */
export function testRunTimeline(opts: {title: string; records: readonly VoteLogRecord[]; faults: readonly FaultInput[]; members: readonly string[]; t0WallMs: number; durationMs: number}): TimelineModel {
  const faults = opts.faults.map((f) => ({...f, atMs: f.atMs + opts.t0WallMs}))
  return buildTimeline({title: opts.title, clock: 'wall', records: opts.records, faults, members: opts.members, endMs: opts.t0WallMs + opts.durationMs})
}

/** Writes the page; a UsageError (exit 2) when the file cannot be written. */
export function writeTimelinePage(file: string, model: TimelineModel): void {
  try {
    writeFileSync(file, renderTimelinePage(model))
  } catch (error) {
    throw new UsageError(`cannot write "${file}": ${(error as Error).message}`, {code: 'UNWRITABLE_OUTPUT'})
  }
}

/**
 * What `dledger sim --html FILE` hooks into its run: `trace` receives every trace line (and passes
 * it on to the `--trace` writer, if any); `finish(report)` writes the page once the report is built.
 * Only events and faults are kept in memory, not the (many) message lines.
 */
export function simTimelineWriter(file: string, next?: (line: object) => void): {trace: (line: object) => void; finish: (report: object) => void} {
  const kept: string[] = []
  return {
    trace: (line) => {
      next?.(line)
      const kind = (line as {kind?: unknown}).kind
      if (kind !== 'message' && kind !== 'persist') kept.push(JSON.stringify(line))
    },
    finish: (report) => {
      const lines = fromJsonLines(kept.join('\n'))
      const frame = isSimReport(report) ? reportFrame(report) : {members: []}
      const seed = (report as {seed?: unknown}).seed
      const model = buildTimeline({
        title: `dledger sim${typeof seed === 'number' ? ` --seed ${seed}` : ''}`,
        clock: 'simulated',
        records: lines.records,
        faults: lines.faults,
        members: frame.members,
        startMs: 0,
        endMs: frame.endMs,
      })
      writeTimelinePage(file, model)
    },
  }
}
