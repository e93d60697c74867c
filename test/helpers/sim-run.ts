/**
 * A known simulated run for the timeline tests: three members, the leader killed at 3 s and
 * restarted at 6 s, a forced election at 8 s; `sim --json --trace --html` of the built CLI, its
 * report, trace and page written into the sandbox.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Sandbox} from './processes.js'

export interface SimRunReport {
  durationMs: number
  leaderChanges: {atMs: number; leaderId: string; term: number}[]
  failovers: {atMs: number; leaderlessMs: number; from: string; to: string | null; recovered: boolean}[]
  timeline: {atMs: number; kind: string; text: string}[]
}

export interface KillRun {
  report: SimRunReport
  reportFile: string
  traceFile: string
  htmlFile: string
}

export const KILL_SCRIPT = 'at 3s kill leader\nat 6s restart killed\nat 8s elect n0\n'

export async function simKillRun(sb: Sandbox): Promise<KillRun> {
  const script = join(sb.home, 'kill.txt')
  writeFileSync(script, KILL_SCRIPT)
  const traceFile = join(sb.home, 'run.jsonl')
  const htmlFile = join(sb.home, 'run.html')
  const r = await sb.run(['sim', '--seed', '7', '--timing', 'fast', '--duration', '10s', '--script', script, '--json', '--trace', traceFile, '--html', htmlFile])
  assert.equal(r.code, 0, r.stderr)
  const reportFile = join(sb.home, 'run.json')
  writeFileSync(reportFile, r.stdout)
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as SimRunReport
  assert.equal(report.failovers.length, 1, 'the run has the one failover the tests look at')
  return {report, reportFile, traceFile, htmlFile}
}
