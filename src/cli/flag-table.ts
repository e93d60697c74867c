/**
 * Flags as plain data: the one declaration of a command's flags, read two ways. The oclif command
 * class builds its `static flags` from it (oclif-flags.ts: help, manifest and full parsing), and the
 * light path (light/run-light.ts, bin/run.js) parses a plain command line with it without loading
 * oclif (issue 13). Nothing here imports @oclif/core.
 *
 * The light parser reads only what it can read exactly as oclif would: `--name value`,
 * `--name=value`, `--flag`, `--no-flag` (allowNo), `--json`. Anything else (help, a short flag, an
 * argument, `--`, an unknown, repeated, empty or invalid value, a missing required flag) makes it
 * decline with null, and oclif parses the command line as always, its errors included.
 */

interface CommonSpec {
  description: string
  helpGroup?: string
  hidden?: boolean
}

export interface BooleanSpec extends CommonSpec {
  type: 'boolean'
  default?: boolean
  allowNo?: boolean
}

export interface IntegerSpec extends CommonSpec {
  type: 'integer'
  default?: number
  min?: number
  max?: number
}

export interface StringSpec extends CommonSpec {
  type: 'string'
  /** read from this environment variable when the flag is not given (and the variable is not empty) */
  env?: string
  required?: boolean
  helpValue?: string
  /** the value, lowercased, must be one of these (oclif's `options` compare case-sensitively) */
  lowercaseOneOf?: readonly string[]
}

export type FlagSpec = BooleanSpec | IntegerSpec | StringSpec
export type FlagTable = Record<string, FlagSpec>

/** The parsed value of a flag: present when it has a default or is required, else maybe undefined. */
export type FlagValue<S> = S extends BooleanSpec
  ? S extends {default: boolean}
    ? boolean
    : boolean | undefined
  : S extends IntegerSpec
    ? S extends {default: number}
      ? number
      : number | undefined
    : S extends {required: true}
      ? string
      : string | undefined

export type FlagValues<T extends FlagTable> = {[K in keyof T]: FlagValue<T[K]>}

export const booleanFlag = <const S extends Omit<BooleanSpec, 'type'>>(spec: S): S & {type: 'boolean'} => ({type: 'boolean', ...spec})
export const integerFlag = <const S extends Omit<IntegerSpec, 'type'>>(spec: S): S & {type: 'integer'} => ({type: 'integer', ...spec})
export const stringFlag = <const S extends Omit<StringSpec, 'type'>>(spec: S): S & {type: 'string'} => ({type: 'string', ...spec})

/** oclif's `--json`, added to the commands that return a result object (enableJsonFlag). */
export const JSON_FLAG = 'json'

/** An integer as oclif's Flags.integer reads it, in the plain form only (no sign, no leading zero). */
const PLAIN_INTEGER = /^(0|[1-9][0-9]{0,14})$/

/**
 * The flags of `argv` (the words after the command id) as oclif would parse them against `table`,
 * environment and defaults applied; null when oclif must parse it. With `json`, `--json` is a
 * flag too (`json: true` in the result when given).
 */
export function parseFlags(table: FlagTable, argv: readonly string[], opts: {json?: boolean; env?: NodeJS.ProcessEnv} = {}): Record<string, string | number | boolean> | null {
  const env = opts.env ?? process.env
  const given: Record<string, string | number | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg)
    if (m === null) return null
    let name = m[1]!
    let value: string | undefined = m[2]
    if (opts.json && name === JSON_FLAG && !Object.hasOwn(table, JSON_FLAG)) {
      if (value !== undefined || JSON_FLAG in given) return null
      given[JSON_FLAG] = true
      continue
    }
    let negated = false
    if (!Object.hasOwn(table, name) && name.startsWith('no-')) {
      negated = true
      name = name.slice(3)
    }
    if (!Object.hasOwn(table, name) || name in given) return null
    const spec = table[name]!
    if (spec.type === 'boolean') {
      if (value !== undefined || (negated && !spec.allowNo)) return null
      given[name] = !negated
      continue
    }
    if (negated) return null
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || value.startsWith('-')) return null
    }
    if (value === '') return null
    if (spec.type === 'integer') {
      if (!PLAIN_INTEGER.test(value)) return null
      const n = Number(value)
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return null
      given[name] = n
    } else if (spec.lowercaseOneOf !== undefined) {
      if (!spec.lowercaseOneOf.includes(value.toLowerCase())) return null
      given[name] = value.toLowerCase()
    } else {
      given[name] = value
    }
  }
  for (const [name, spec] of Object.entries(table)) {
    if (name in given) continue
    if (spec.type === 'string' && spec.env !== undefined && env[spec.env]) given[name] = env[spec.env]!
    else if (spec.type !== 'string' && spec.default !== undefined) given[name] = spec.default
    else if (spec.type === 'string' && spec.required) return null
  }
  return given
}
