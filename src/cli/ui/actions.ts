/**
 * The buttons of `dledger ui`, carried out by the workflows the CLI already has: transfer-leader,
 * elect, and the network faults isolate and heal run as the commands themselves (a child
 * `dledger … --json`, so their retries, checks, token and error codes are the commands'),
 * stop/kill/restart use local-members.ts on this home's run records. Only members recorded in
 * this home are ever signalled.
 */
import {spawn} from 'node:child_process'

import type {Peer} from '../../core/settings.js'
import type {FaultResult} from '../fault-command.js'
import type {ElectResult} from '../forced-election.js'
import {electLine, transferLine, type TransferResult} from '../leadership.js'
import {findMembers, isRecordedMember, spawnMember, stopMembers} from '../local-members.js'
import {checkPortFree} from '../port-owner.js'
import type {DledgerPaths} from '../paths.js'

const UI_ACTIONS = ['transfer', 'elect', 'stop', 'kill', 'restart', 'isolate', 'heal'] as const
export type UiAction = (typeof UI_ACTIONS)[number]

/** Whether an action is on one member (all but heal, which clears every member's faults). */
export function onMember(action: UiAction): boolean {
  return action !== 'heal'
}

/** What a button did: one line for the page, and whether it worked. */
export interface ActionOutcome {
  ok: boolean
  message: string
}

export interface ActionContext {
  paths: DledgerPaths
  peers: readonly Peer[]
  /** `--peers` when the cluster did not come from the home's profile */
  peersFlag?: string
  token?: string
  /** bin/run.js of this CLI */
  binPath: string
  /** how long a clean stop may take before SIGKILL */
  stopTimeoutMs?: number
}

/** Whether a value names an action. */
export function isUiAction(value: unknown): value is UiAction {
  return typeof value === 'string' && (UI_ACTIONS as readonly string[]).includes(value)
}

/** Carries out one button press (`id`: the member; none for heal). Never throws: a failure is `{ok: false, message}`. */
export async function runAction(action: UiAction, id: string | null, ctx: ActionContext): Promise<ActionOutcome> {
  if (action === 'heal') return runCli(['fault', 'heal'], ctx)
  const peer = ctx.peers.find((p) => p.id === id)
  if (id === null || peer === undefined) return {ok: false, message: `unknown member "${id ?? ''}" (members: ${ctx.peers.map((p) => p.id).join(', ')})`}
  try {
    switch (action) {
      case 'transfer':
        return await runCli(['transfer-leader', '--to', id], ctx)
      case 'elect':
        return await runCli(['elect', '--node', id], ctx)
      case 'isolate':
        return await runCli(['fault', 'isolate', id], ctx)
      case 'stop':
      case 'kill': {
        const record = (await findMembers(ctx.paths, [peer], {token: ctx.token})).running.find((r) => r.id === id)
        if (record === undefined) return {ok: false, message: `${id} is not running on this machine`}
        if (action === 'stop') {
          const [outcome] = await stopMembers(ctx.paths, [record], ctx.stopTimeoutMs ?? 10_000, {handoff: true})
          return {ok: true, message: `stopped ${id} (pid ${record.pid}, ${outcome.how})`}
        }
        if (isRecordedMember(record)) process.kill(record.pid, 'SIGKILL')
        return {ok: true, message: `killed ${id} (pid ${record.pid}, SIGKILL)`}
      }
      case 'restart': {
        const running = (await findMembers(ctx.paths, [peer], {token: ctx.token})).running.find((r) => r.id === id)
        if (running !== undefined) await stopMembers(ctx.paths, [running], ctx.stopTimeoutMs ?? 10_000, {handoff: true})
        const busy = await checkPortFree(peer, {token: ctx.token})
        if (busy !== null) return {ok: false, message: `cannot start ${id}: ${busy.problem} (${busy.hint})`}
        const spawned = spawnMember(ctx.paths, peer, {binPath: ctx.binPath})
        return {ok: true, message: `${running === undefined ? 'started' : 'restarted'} ${id} (pid ${spawned.record.pid})`}
      }
      default: {
        const never: never = action
        return {ok: false, message: `unknown action ${String(never)}`}
      }
    }
  } catch (error) {
    return {ok: false, message: `${action} ${id} failed: ${(error as Error).message}`}
  }
}

/** Runs `dledger ARGS --json` against this home; its result line or its error message. */
function runCli(args: string[], ctx: ActionContext): Promise<ActionOutcome> {
  const argv = [ctx.binPath, ...args, '--json']
  if (ctx.paths.home !== null) argv.push('--home', ctx.paths.home)
  if (ctx.peersFlag !== undefined) argv.push('--peers', ctx.peersFlag)
  // the token travels in the environment, not on a command line others can read
  const env = {...process.env, ...(ctx.token ? {DLEDGER_TOKEN: ctx.token} : {})}
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.resume()
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({ok: false, message: `${args[0]}: ${error.message}`})
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(out) as Record<string, unknown>
      } catch {
        // not JSON: fall through to the exit code
      }
      const error = body.error as {message?: string; hint?: string | null} | undefined
      const command = args[0] === 'fault' ? `fault ${args[1]}` : args[0]
      if (code === 0) resolve({ok: true, message: describeResult(args[0], body)})
      else resolve({ok: false, message: error?.message ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : `${command} exited with ${code}`})
    })
  })
}

function describeResult(command: string, r: Record<string, unknown>): string {
  if (command === 'fault') return faultLine(r as unknown as FaultResult)
  return command === 'transfer-leader' ? transferLine(r as unknown as TransferResult) : electLine(r as unknown as ElectResult, 'forced election')
}

/** `isolate n2: set on n0, n1, n2` (and who did not answer). */
function faultLine(r: FaultResult): string {
  const set = r.members.filter((m) => m.error === null).map((m) => m.id)
  const missed = r.members.filter((m) => m.error !== null).map((m) => m.id)
  return `${r.operation ?? 'faults'}: set on ${set.join(', ')}${missed.length > 0 ? `; no answer from ${missed.join(', ')}` : ''}`
}
