/**
 * Where `dledger check` finds a deployment's history on disk: member data directories (a vote log
 * `vote.log` with its rotations vote.log.1 … vote.log.3, and the durable record `state.json`),
 * given directly, inside a home (`<home>/data/<group>/<id>/`), or collected side by side in one
 * directory (e.g. one per host: `cluster/n0`, `cluster/n1`, …). The files are read with the
 * readers `dledger logs` uses; safety-check.ts does the checking.
 */
import {readdirSync, readFileSync, realpathSync, statSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'

// the member's own parser of its durable record (spec S1), so the check reads it exactly as a member would
import {parseRecord, STATE_FILE} from '../wire/durable-record.js'
import type {MemberHistory} from './safety-check.js'
import {readVoteLogFiles, voteLogFiles} from './vote-log-source.js'

/** A directory that cannot be read as history: the command's usage error (exit 2). */
export class HistoryDirError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HistoryDirError'
  }
}

/** A member's data directory and the group its place in a home names (null when it was given directly). */
export interface MemberDir {
  dir: string
  group: string | null
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function subdirectories(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch {
    return []
  }
  return names.filter((n) => !n.startsWith('.')).map((n) => join(dir, n)).filter(isDirectory)
}

/** Whether a directory holds a member's vote log or durable record. */
function isMemberDir(dir: string): boolean {
  try {
    return voteLogFiles(dir).length > 0 || statSync(join(dir, STATE_FILE), {throwIfNoEntry: false}) !== undefined
  } catch {
    return false // not searchable
  }
}

/**
 * The member directories in `dir`: itself when it is one; a home's `data/<group>/<id>/`; else its
 * subdirectories that are members, or members one level further down (a home's data root:
 * `<group>/<id>/`). Throws HistoryDirError when `dir` is not a directory.
 */
function findMemberDirs(dir: string): MemberDir[] {
  const stat = statSync(dir, {throwIfNoEntry: false})
  if (stat === undefined) throw new HistoryDirError(`${dir}: no such directory`)
  if (!stat.isDirectory()) throw new HistoryDirError(`${dir}: not a directory`)
  if (isMemberDir(dir)) return [{dir, group: null}]
  const data = join(dir, 'data')
  const nested = (root: string): MemberDir[] =>
    subdirectories(root).flatMap((g) => subdirectories(g).filter(isMemberDir).map((m) => ({dir: m, group: basename(g)})))
  if (isDirectory(data)) return nested(data)
  const direct = subdirectories(dir).filter(isMemberDir)
  return direct.length > 0 ? direct.map((m) => ({dir: m, group: null})) : nested(dir)
}

/**
 * Every member directory under the given directories, once each. A member found without a group
 * joins the one group the others name, if there is exactly one: `check home /other/n3` is one
 * cluster. Throws HistoryDirError for a directory that holds no member.
 */
export function collectMemberDirs(dirs: readonly string[]): MemberDir[] {
  const seen = new Set<string>()
  const found: MemberDir[] = []
  for (const given of dirs) {
    const members = findMemberDirs(given)
    if (members.length === 0) throw new HistoryDirError(`${given}: no vote log (vote.log) or durable record (${STATE_FILE}) in it or in the member directories below it`)
    for (const m of members) {
      const key = realpathSync(m.dir)
      if (seen.has(key)) continue
      seen.add(key)
      found.push({dir: resolve(m.dir), group: m.group})
    }
  }
  const groups = new Set(found.map((m) => m.group).filter((g) => g !== null))
  if (groups.size === 1) {
    const [only] = groups
    for (const m of found) m.group ??= only
  }
  return found
}

/** One member's history: its vote-log records and durable record, with where each was read. */
export function readMemberHistory(member: MemberDir): MemberHistory {
  const log = readVoteLogFiles(member.dir)
  const history: MemberHistory = {
    source: member.dir,
    group: member.group,
    files: log?.files ?? [],
    records: (log?.records ?? []).map((record, i) => ({record, at: log!.origins[i]})),
    durable: null,
    corrupt: [...(log?.corrupt ?? [])],
  }
  const file = join(member.dir, STATE_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    // none is fine (a member that never voted); one that cannot be read is reported like a corrupt one
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') history.corrupt.push({file, lines: 1})
    return history
  }
  const state = parseRecord(text)
  if (typeof state === 'string') history.corrupt.push({file, lines: 1})
  else history.durable = {state, at: {file, line: 1}}
  return history
}
