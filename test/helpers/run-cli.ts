/**
 * Runs a dledger command in-process (toolchain notes §7): captures console.log/console.error (what
 * `this.log`, `--json` and BaseCommand's errors use), restores process.exitCode, and reports the
 * exit code oclif would have used. Not @oclif/test's runCommand, which swallows node:test's
 * event stream on Node 20.
 */
import {format} from 'node:util'

import {run} from '@oclif/core'

export interface RunCliResult<T = unknown> {
  /** 0 on success, else the exit code carried by the error */
  exitCode: number
  result?: T
  error?: Error & {oclif?: {exit?: number}}
  stdout: string
  stderr: string
}

const PACKAGE_JSON = new URL('../../package.json', import.meta.url).href

export async function runCli<T = unknown>(argv: string[], env: Record<string, string | undefined> = {}): Promise<RunCliResult<T>> {
  const out: string[] = []
  const err: string[] = []
  const saved = {log: console.log, error: console.error, exitCode: process.exitCode}
  const savedEnv: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries({NODE_ENV: 'test', ...env})) {
    savedEnv[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  console.log = (...a: unknown[]) => void out.push(format(...a))
  console.error = (...a: unknown[]) => void err.push(format(...a))
  try {
    const result = (await run(argv, PACKAGE_JSON)) as T
    return {exitCode: 0, result, stdout: out.join('\n'), stderr: err.join('\n')}
  } catch (error) {
    const e = error as Error & {oclif?: {exit?: number}}
    return {exitCode: e.oclif?.exit ?? 1, error: e, stdout: out.join('\n'), stderr: err.join('\n')}
  } finally {
    console.log = saved.log
    console.error = saved.error
    process.exitCode = saved.exitCode
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
