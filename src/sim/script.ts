/**
 * The fault script of `dledger sim`: one timed action per line, `#` starts a comment.
 *
 *   at 10s kill leader          # crash: volatile state lost, durable record kept
 *   at 17s restart n0
 *   at 18s stop leader          # clean stop (SIGTERM): a leader hands off first, then goes down
 *   at 20s partition n0 | n1 n2 # symmetric cut between groups
 *   at 25s cut n1 -> n0         # one-way: messages from n1 to n0 are lost
 *   at 27s delay n0 -> n1 1.5s  # one-way: what n0 sends n1 from now on takes 1.5 s longer (0ms: normal)
 *   at 30s isolate leader
 *   at 40s heal                 # remove every cut, partition and delay
 *   at 41s loss 0.2             # drop probability from now on
 *   at 42s late 0.02            # probability that a message arrives 1-2.5 s late, after later ones
 *   at 45s transfer n2          # leadership transfer to n2 via the current leader
 *   at 50s elect n1             # force n1 to campaign for the next term now
 *   at 52s append 10            # a client appends 10 entries at the current leader
 *   at 53s pause leader for 5s  # SIGSTOP: handles nothing, its timers fire late (also: resume X)
 *   at 59s expect leader n2     # also: expect leader any|none|n0,n1, expect term >= 3, … within 2s
 *
 * Times take `ms`, `s` or `m`. A target is a member id, several ids (`n0,n1`), `leader` (the
 * member leading at that moment), `follower` (one follower), `followers` (all of them) or, for
 * `restart`, `killed` (every member that is down). Targets are resolved when the line runs.
 */
import type {NodeId} from '../core/types.js'

/** Who an action applies to; keywords are resolved when the action runs. */
export type Target =
  | {kind: 'ids'; ids: NodeId[]}
  | {kind: 'leader'}
  | {kind: 'follower'}
  | {kind: 'followers'}
  | {kind: 'killed'}

export type CompareOp = '>=' | '>' | '<=' | '<' | '==' | '!='

export type Expectation =
  /** `expect leader any|none|n0|n0,n1` (a list: one of them) */
  | {kind: 'leader'; leader: 'any' | 'none' | NodeId[]}
  | {kind: 'term'; op: CompareOp; value: number}

export type Action =
  | {type: 'kill'; targets: Target}
  | {type: 'restart'; targets: Target}
  /** a clean stop (SIGTERM): a leader hands leadership to its most caught-up follower first */
  | {type: 'stop'; targets: Target}
  | {type: 'partition'; groups: Target[]}
  | {type: 'cut'; from: Target; to: Target}
  /** one-way extra delay of the messages sent from now on; 0 ends it */
  | {type: 'delay'; from: Target; to: Target; extraMs: number}
  | {type: 'isolate'; targets: Target}
  | {type: 'heal'}
  | {type: 'loss'; probability: number}
  /** probability that a message is held back 1-2.5 s (network.ts LATE_MS), from now on */
  | {type: 'late'; probability: number}
  | {type: 'transfer'; target: Target}
  | {type: 'elect'; target: Target}
  | {type: 'append'; count: number}
  /** stop the process (SIGSTOP): it handles nothing, its timers fire late; `forMs` null: until `resume` */
  | {type: 'pause'; targets: Target; forMs: number | null}
  | {type: 'resume'; targets: Target}
  | {type: 'expect'; expectation: Expectation; withinMs: number}

export interface ScriptLine {
  /** 1-based line number in the script text */
  line: number
  atMs: number
  /** the line without its comment, trimmed */
  text: string
  action: Action
}

export interface Script {
  /** sorted by time; lines with the same time keep their order in the text */
  lines: ScriptLine[]
}

/** A script that cannot run; `line` is 1-based (0 when the problem is not on one line). */
export class ScriptError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `line ${line}: ${reason}` : reason)
    this.name = 'ScriptError'
  }
}

const ACTIONS = ['kill', 'restart', 'stop', 'pause', 'resume', 'partition', 'cut', 'delay', 'isolate', 'heal', 'loss', 'late', 'transfer', 'elect', 'append', 'expect'] as const
/** The most entries one `append` line may add. */
export const MAX_APPEND_COUNT = 10_000
const TIME_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m)/g
const TIME_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m))+$/
/** Longest script or run: one simulated week is far beyond any useful run, and keeps numbers exact. */
export const MAX_TIME_MS = 7 * 24 * 3600 * 1000

/**
 * Parses a time like `250ms`, `10s`, `1.5s`, `2m` or `1m30s` into whole milliseconds. Throws an
 * Error whose message says what is wrong (callers add the line or the flag name).
 */
export function parseTime(text: string): number {
  const t = text.trim()
  if (!TIME_RE.test(t)) {
    if (/^\d+(\.\d+)?$/.test(t)) throw new Error(`time "${text}" needs a unit: ms, s or m (e.g. ${text}ms or ${text}s)`)
    throw new Error(`invalid time "${text}" (expected a number with ms, s or m, e.g. 500ms, 10s, 2m, 1m30s)`)
  }
  let total = 0
  for (const m of t.matchAll(TIME_PART_RE)) total += Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000)
  const ms = Math.round(total)
  if (ms > MAX_TIME_MS) throw new Error(`time "${text}" is too long (at most ${MAX_TIME_MS / 3_600_000} h)`)
  return ms
}

/** A time for humans: `250ms`, `10s`, `1.5s`, `2m`, `61.25s`. */
export function formatTime(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms >= 1000 || ms === 0) return `${+(ms / 1000).toFixed(3)}s`
  return `${ms}ms`
}

/**
 * Parses a script. `memberIds` are the members of the simulated cluster: an unknown id is an
 * error on its line. Throws ScriptError with the line number of the first problem.
 */
export function parseScript(text: string, memberIds: readonly NodeId[]): Script {
  const members = new Set(memberIds)
  const lines: ScriptLine[] = []
  const rawLines = text.split(/\r?\n/)
  for (let i = 0; i < rawLines.length; i++) {
    const lineNo = i + 1
    const hash = rawLines[i].indexOf('#')
    const body = (hash >= 0 ? rawLines[i].slice(0, hash) : rawLines[i]).trim()
    if (body === '') continue
    try {
      lines.push(parseLine(body, lineNo, members, memberIds))
    } catch (error) {
      if (error instanceof ScriptError) throw error
      throw new ScriptError(lineNo, (error as Error).message)
    }
  }
  // a stable sort: same-time lines run in text order
  lines.sort((a, b) => a.atMs - b.atMs || a.line - b.line)
  return {lines}
}

function parseLine(body: string, line: number, members: ReadonlySet<NodeId>, memberIds: readonly NodeId[]): ScriptLine {
  const m = /^(\S+)\s+(\S+)\s*(.*)$/.exec(body)
  if (m === null || m[1] !== 'at') throw new Error(`expected "at TIME ACTION", e.g. "at 10s kill leader" (got "${body}")`)
  const atMs = parseTime(m[2])
  const rest = m[3].trim()
  if (rest === '') throw new Error(`missing action after "at ${m[2]}" (one of ${ACTIONS.join(', ')})`)
  const sp = rest.search(/\s/)
  const verb = sp < 0 ? rest : rest.slice(0, sp)
  const args = sp < 0 ? '' : rest.slice(sp).trim()
  const targets = (text: string, opts: TargetOptions = {}) => parseTarget(text, members, memberIds, {...opts, action: verb})
  const noArgs = () => {
    if (args !== '') throw new Error(`"${verb}" takes no arguments (got "${args}")`)
  }
  let action: Action
  switch (verb) {
    case 'kill':
      action = {type: 'kill', targets: targets(args)}
      break
    case 'restart':
      action = {type: 'restart', targets: targets(args, {allowKilled: true})}
      break
    case 'stop':
      action = {type: 'stop', targets: targets(args)}
      break
    case 'isolate':
      action = {type: 'isolate', targets: targets(args)}
      break
    case 'pause': {
      const f = /^(.*?)\s+for\s+(\S+)$/.exec(args)
      if (f === null && /\bfor\b/.test(args)) throw new Error(`"for" needs a time, e.g. "pause leader for 5s"`)
      action = {type: 'pause', targets: targets(f === null ? args : f[1]), forMs: f === null ? null : parseTime(f[2])}
      break
    }
    case 'resume':
      action = {type: 'resume', targets: targets(args)}
      break
    case 'partition': {
      const parts = args.split('|').map((g) => g.trim())
      if (parts.length < 2) throw new Error(`partition needs at least two groups separated by "|", e.g. "partition n0 | n1 n2" (got "${args}")`)
      const groups = parts.map((g, k) => {
        if (g === '') throw new Error(`partition group ${k + 1} is empty (e.g. "partition n0 | n1 n2")`)
        return targets(g)
      })
      const seen = new Map<NodeId, number>()
      groups.forEach((g, k) => {
        if (g.kind !== 'ids') return
        for (const id of g.ids) {
          const other = seen.get(id)
          if (other !== undefined && other !== k) throw new Error(`member ${id} is in two partition groups`)
          seen.set(id, k)
        }
      })
      action = {type: 'partition', groups}
      break
    }
    case 'cut': {
      const parts = args.split('->')
      if (parts.length !== 2 || parts[0].trim() === '' || parts[1].trim() === '')
        throw new Error(`cut needs "FROM -> TO", e.g. "cut n1 -> n0" (got "${args}")`)
      action = {type: 'cut', from: targets(parts[0]), to: targets(parts[1])}
      break
    }
    case 'delay': {
      const d = /^(.+?)->\s*(.*?)\s+(\S+)$/.exec(args)
      if (d === null || d[1].trim() === '' || d[2].trim() === '')
        throw new Error(`delay needs "FROM -> TO TIME", e.g. "delay n0 -> n1 1500ms" (got "${args}")`)
      action = {type: 'delay', from: targets(d[1]), to: targets(d[2]), extraMs: parseTime(d[3])}
      break
    }
    case 'heal':
      noArgs()
      action = {type: 'heal'}
      break
    case 'loss': {
      const p = parseProbability(args)
      action = {type: 'loss', probability: p}
      break
    }
    case 'late':
      action = {type: 'late', probability: parseProbability(args, 'late')}
      break
    case 'transfer':
      action = {type: 'transfer', target: targets(args, {single: true})}
      break
    case 'elect':
      action = {type: 'elect', target: targets(args, {single: true})}
      break
    case 'append': {
      const count = args === '' ? 1 : Number(args)
      if (!/^\d*$/.test(args) || !Number.isInteger(count) || count < 1 || count > MAX_APPEND_COUNT)
        throw new Error(`append takes a count from 1 to ${MAX_APPEND_COUNT}, e.g. "append 10" (got "${args}")`)
      action = {type: 'append', count}
      break
    }
    case 'expect':
      action = parseExpect(args, members, memberIds)
      break
    default:
      throw new Error(`unknown action "${verb}" (expected ${ACTIONS.slice(0, -1).join(', ')} or ${ACTIONS[ACTIONS.length - 1]})`)
  }
  return {line, atMs, text: body, action}
}

interface TargetOptions {
  allowKilled?: boolean
  /** exactly one member: an id, `leader` or `follower` */
  single?: boolean
}

function parseTarget(
  text: string,
  members: ReadonlySet<NodeId>,
  memberIds: readonly NodeId[],
  opts: TargetOptions & {action: string},
): Target {
  const words = text.split(/[\s,]+/).filter((w) => w !== '')
  const what = opts.single
    ? 'a member id, leader or follower'
    : `a member id, several ids (n0,n1), leader, follower or followers${opts.allowKilled ? ' or killed' : ''}`
  if (words.length === 0) throw new Error(`${opts.action} needs a target: ${what}`)
  const keywords = ['leader', 'follower', 'followers', 'killed']
  if (words.length === 1 && keywords.includes(words[0])) {
    const k = words[0] as 'leader' | 'follower' | 'followers' | 'killed'
    if (k === 'killed' && !opts.allowKilled) throw new Error(`"killed" is a target of restart only; ${opts.action} takes ${what}`)
    if (opts.single && (k === 'followers' || k === 'killed')) throw new Error(`${opts.action} takes one member: ${what} (got "${k}")`)
    return {kind: k}
  }
  for (const w of words) {
    if (keywords.includes(w)) throw new Error(`"${w}" cannot be combined with other targets in "${text.trim()}"`)
    if (!members.has(w)) throw new Error(`unknown member "${w}" (members: ${describeMembers(memberIds)})`)
  }
  if (opts.single && words.length > 1) throw new Error(`${opts.action} takes one member: ${what} (got "${text.trim()}")`)
  const ids = [...new Set(words)]
  return {kind: 'ids', ids}
}

function parseProbability(text: string, verb: 'loss' | 'late' = 'loss'): number {
  const t = text.trim()
  if (t === '') throw new Error(`${verb} needs a probability between 0 and 1, e.g. "${verb} 0.2"`)
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t)
  const p = pct ? Number(pct[1]) / 100 : /^\d+(\.\d+)?$|^\.\d+$/.test(t) ? Number(t) : Number.NaN
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new Error(`${verb} probability must be between 0 and 1 (got "${t}")`)
  return p
}

function parseExpect(args: string, members: ReadonlySet<NodeId>, memberIds: readonly NodeId[]): Action {
  let body = args
  let withinMs = 0
  const w = /^(.*?)\s+within\s+(\S+)$/.exec(body)
  if (w !== null) {
    body = w[1].trim()
    withinMs = parseTime(w[2])
  } else if (/\bwithin\b/.test(body)) throw new Error(`"within" needs a time, e.g. "expect leader any within 2s"`)
  const leader = /^leader\s+(.+)$/.exec(body)
  if (leader !== null) {
    const what = leader[1].trim()
    if (what === 'any' || what === 'none') return {type: 'expect', expectation: {kind: 'leader', leader: what}, withinMs}
    const target = parseTarget(what, members, memberIds, {action: 'expect leader'})
    if (target.kind !== 'ids') throw new Error(`expect leader takes any, none or member ids (got "${what}")`)
    return {type: 'expect', expectation: {kind: 'leader', leader: target.ids}, withinMs}
  }
  const term = /^term\s*(>=|<=|==|!=|=|>|<)\s*(\S+)$/.exec(body)
  if (term !== null) {
    if (!/^\d+$/.test(term[2])) throw new Error(`expect term needs a whole number (got "${term[2]}")`)
    const op = (term[1] === '=' ? '==' : term[1]) as CompareOp
    return {type: 'expect', expectation: {kind: 'term', op, value: Number(term[2])}, withinMs}
  }
  throw new Error(`expect takes "leader any|none|ID[,ID]" or "term OP N" (OP: >= > <= < == !=), optionally "within TIME" (got "${args}")`)
}

function describeMembers(ids: readonly NodeId[]): string {
  if (ids.length <= 4) return ids.join(', ')
  return `${ids[0]}…${ids[ids.length - 1]}`
}

/** The text of an expectation, for reports: `leader n2`, `term >= 3`. */
export function describeExpectation(e: Expectation): string {
  if (e.kind === 'term') return `term ${e.op} ${e.value}`
  return `leader ${typeof e.leader === 'string' ? e.leader : e.leader.join(',')}`
}
