/**
 * The run-time preferred leaders (`dledger transfer-leader --preferred`): `<dataDir>/preferred.json`
 * = `{"preferredLeaderIds": ["n2"], "configured": []}`, written atomically and durably (temp file,
 * fsync, rename, fsync dir) before the member applies or acknowledges the change, so a restarted
 * member keeps the choice.
 *
 * `configured` is the preferred list the member's settings (profile or flags) held when the choice
 * was made. At start-up the stored choice wins while the settings still say the same; once the
 * configuration itself has changed, the configuration is the newer intent and wins (the stale
 * record is removed). A missing record means "use the settings"; an unreadable one is reported
 * and ignored: the preferred leader is a performance hint, never a safety matter.
 */
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {MEMBER_ID_PATTERN, type NodeId} from '../core/types.js'
import {errorCode, errorMessage} from './errors.js'
import {writeFileAtomically} from './state-store.js'

export const PREFERRED_FILE = 'preferred.json'

export interface PreferredRecord {
  /** the run-time choice, in priority order (empty = no preferred leader) */
  preferredLeaderIds: NodeId[]
  /** the settings' preferred list when the choice was made */
  configured: NodeId[]
}

/** What start-up should use, and why (for one log line). */
export interface PreferredResolution {
  preferredLeaderIds: NodeId[]
  source: 'settings' | 'record'
  /** set when the record was ignored or dropped */
  note?: string
}

export class PreferredStore {
  readonly file: string

  constructor(readonly dir: string) {
    this.file = join(dir, PREFERRED_FILE)
  }

  /** The stored record, null when there is none; a string says why an existing one is unusable. */
  load(): PreferredRecord | null | string {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null
      return `cannot read ${this.file}: ${errorMessage(error)}`
    }
    return parsePreferredRecord(text) ?? `${this.file} is not a preferred-leader record`
  }

  /** Writes the record atomically and durably; throws on failure. */
  write(record: PreferredRecord): void {
    const body = `${JSON.stringify({preferredLeaderIds: record.preferredLeaderIds, configured: record.configured})}\n`
    writeFileAtomically(this.file, body)
  }

  /** Removes the record (best effort). */
  remove(): void {
    try {
      rmSync(this.file, {force: true})
    } catch {
      // a leftover record is ignored at the next start anyway (its `configured` no longer matches)
    }
  }

  /**
   * The preferred leaders a member starts with: the stored run-time choice while the configured
   * list is still the one it was made against, else the configured list (and a stale record is
   * removed). Ids that are not peers make the record unusable.
   */
  resolve(configured: readonly NodeId[], peerIds: ReadonlySet<NodeId>): PreferredResolution {
    const fromSettings = (note?: string): PreferredResolution => ({preferredLeaderIds: [...configured], source: 'settings', ...(note ? {note} : {})})
    const record = this.load()
    if (record === null) return fromSettings()
    if (typeof record === 'string') return fromSettings(`ignoring the run-time preferred leaders: ${record}`)
    const strangers = record.preferredLeaderIds.filter((id) => !peerIds.has(id))
    if (strangers.length > 0) return fromSettings(`ignoring the run-time preferred leaders in ${this.file}: not members: ${strangers.join(', ')}`)
    if (!sameIds(record.configured, configured)) {
      this.remove()
      return fromSettings(
        `the configured preferred leaders (${describeIds(configured)}) changed since the run-time choice (${describeIds(record.preferredLeaderIds)}) was made; using the configuration`,
      )
    }
    return {preferredLeaderIds: [...record.preferredLeaderIds], source: 'record'}
  }
}

/** The record in a text, or null when it is not one. */
function parsePreferredRecord(text: string): PreferredRecord | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const {preferredLeaderIds, configured} = value as Record<string, unknown>
  if (!isIdList(preferredLeaderIds)) return null
  return {preferredLeaderIds, configured: isIdList(configured) ? configured : []}
}

function isIdList(v: unknown): v is NodeId[] {
  return Array.isArray(v) && v.length <= 64 && v.every((x) => typeof x === 'string' && MEMBER_ID_PATTERN.test(x))
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** `n2;n1`, or `none`. */
export function describeIds(ids: readonly NodeId[]): string {
  return ids.length > 0 ? ids.join(';') : 'none'
}
