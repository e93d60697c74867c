/**
 * The checks the wire schema (frames.ts) is built from. Each takes an untrusted value (parsed
 * JSON) and returns it typed, or INVALID after noting the first thing wrong in `ctx.issue`.
 *
 * Written by hand rather than with a schema library: zod's core alone kept about 6 MB resident
 * in every member (issue 13, docs/benchmarks.md). The messages are the ones zod wrote, since logs,
 * the drop counter's log lines and admin errors (UNEXPECTED_ARGUMENT) carry them; the order in
 * which fields are checked, and so which problem is named first, is zod's too.
 */

export const INVALID: unique symbol = Symbol('invalid')
export type Invalid = typeof INVALID

export interface Issue {
  /** where in the value, outermost first (empty: the value itself) */
  path: (string | number)[]
  /** the value is above its upper bound (a term above MAX_TERM is refused as out of range, not as malformed) */
  tooBig: boolean
  message: string
}

/** Carries the first issue found out of a check. */
export interface CheckContext {
  issue: Issue | null
}

export type Check<T> = (value: unknown, ctx: CheckContext) => T | Invalid
export type Checked<C> = C extends Check<infer T> ? T : never

function fail(ctx: CheckContext, message: string, tooBig = false): Invalid {
  ctx.issue = {path: [], tooBig, message}
  return INVALID
}

/** How a value's type is named in a message: `null`, `array`, `Infinity`, `undefined`, … */
function typeName(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      const name: unknown = (value as {constructor?: {name?: unknown}}).constructor?.name
      if (typeof name === 'string') return name
    }
  }
  return typeof value
}

function wrongType(ctx: CheckContext, expected: string, value: unknown): Invalid {
  return fail(ctx, `Invalid input: expected ${expected}, received ${typeName(value)}`)
}

/** A string of `min` to `max` UTF-16 code units. */
export function str(max: number, min = 0): Check<string> {
  return (v, ctx) => {
    if (typeof v !== 'string') return wrongType(ctx, 'string', v)
    if (v.length < min) return fail(ctx, `Too small: expected string to have >=${min} characters`)
    if (v.length > max) return fail(ctx, `Too big: expected string to have <=${max} characters`, true)
    return v
  }
}

/** A string matching `pattern` (which must not be global or sticky). */
export function matching(pattern: RegExp): Check<string> {
  return (v, ctx) => {
    if (typeof v !== 'string') return wrongType(ctx, 'string', v)
    return pattern.test(v) ? v : fail(ctx, `Invalid string: must match pattern ${pattern}`)
  }
}

/** A finite number in [min, max]. */
export function num(min = -Infinity, max = Infinity): Check<number> {
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType(ctx, 'number', v)
    return inBounds(v, min, max, ctx)
  }
}

/** A safe integer in [min, max]. */
export function int(min = -Infinity, max = Infinity): Check<number> {
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return wrongType(ctx, 'number', v)
    if (!Number.isInteger(v)) return fail(ctx, 'Invalid input: expected int, received number')
    if (v > Number.MAX_SAFE_INTEGER) return fail(ctx, `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`, true)
    if (v < Number.MIN_SAFE_INTEGER) return fail(ctx, `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`)
    return inBounds(v, min, max, ctx)
  }
}

function inBounds(v: number, min: number, max: number, ctx: CheckContext): number | Invalid {
  if (v < min) return fail(ctx, `Too small: expected number to be >=${min}`)
  if (v > max) return fail(ctx, `Too big: expected number to be <=${max}`, true)
  return v
}

export const bool: Check<boolean> = (v, ctx) => (typeof v === 'boolean' ? v : wrongType(ctx, 'boolean', v))

export const nul: Check<null> = (v, ctx) => (v === null ? null : wrongType(ctx, 'null', v))

export const anything: Check<unknown> = (v) => v

/** Exactly `expected`. */
export function literal<const T extends string | boolean>(expected: T): Check<T> {
  const shown = typeof expected === 'string' ? `"${expected}"` : String(expected)
  return (v, ctx) => (v === expected ? expected : fail(ctx, `Invalid input: expected ${shown}`))
}

/** One of `values`. */
export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const allowed = new Set<unknown>(values)
  const message = `Invalid option: expected one of ${values.map((x) => `"${x}"`).join('|')}`
  return (v, ctx) => (allowed.has(v) ? (v as T) : fail(ctx, message))
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, ctx) => (v === null ? null : check(v, ctx))
}

/** Prefixes the issue a nested check noted with where that check looked. */
function at(ctx: CheckContext, key: string | number): Invalid {
  ctx.issue?.path.unshift(key)
  return INVALID
}

/** An array of `min` to `max` items, each passing `item`. Too many items fail before any item is checked. */
export function arrayOf<T>(item: Check<T>, bounds: {min?: number; max?: number} = {}): Check<T[]> {
  const {min = 0, max = Infinity} = bounds
  return (v, ctx) => {
    if (!Array.isArray(v)) return wrongType(ctx, 'array', v)
    if (v.length > max) return fail(ctx, `Too big: expected array to have <=${max} items`, true)
    const out: T[] = new Array(v.length)
    for (let i = 0; i < v.length; i++) {
      const x = item(v[i], ctx)
      if (x === INVALID) return at(ctx, i)
      out[i] = x
    }
    return v.length < min ? fail(ctx, `Too small: expected array to have >=${min} items`) : out
  }
}

/** Two items, each passing `item`, that together pass `rule` (or fail with `message`). */
export function pair<T>(item: Check<T>, rule: (a: T, b: T) => boolean, message: string): Check<[T, T]> {
  return (v, ctx) => {
    if (!Array.isArray(v)) return wrongType(ctx, 'tuple', v)
    if (v.length < 2) return fail(ctx, 'Too small: expected array to have >=2 items')
    if (v.length > 2) return fail(ctx, 'Too big: expected array to have <=2 items', true)
    const a = item(v[0], ctx)
    if (a === INVALID) return at(ctx, 0)
    const b = item(v[1], ctx)
    if (b === INVALID) return at(ctx, 1)
    return rule(a, b) ? [a, b] : fail(ctx, message)
  }
}

/** A field an object may lack. */
export interface OptionalCheck<T> extends Check<T | undefined> {
  optional: true
}

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const c = ((v, ctx) => (v === undefined ? undefined : check(v, ctx))) as OptionalCheck<T>
  c.optional = true
  return c
}

export type Shape = Record<string, Check<unknown>>
type Flat<T> = {[K in keyof T]: T[K]}
type OptionalKeys<S extends Shape> = {[K in keyof S]: S[K] extends OptionalCheck<unknown> ? K : never}[keyof S]
/** What an object check with this shape returns: optional fields become optional properties. */
export type ShapeOf<S extends Shape> = Flat<
  {[K in Exclude<keyof S, OptionalKeys<S>>]: Checked<S[K]>} & {[K in OptionalKeys<S>]?: Exclude<Checked<S[K]>, undefined>}
>

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * An object whose fields pass the shape's checks, in the shape's order. The result holds only
 * the shape's fields (anything else is dropped), or with `keepOthers` also the other fields,
 * after them, unchecked.
 */
export function object<S extends Shape>(shape: S, opts: {keepOthers?: boolean} = {}): Check<ShapeOf<S>> {
  const keys = Object.keys(shape)
  const known = new Set(keys)
  return (v, ctx) => {
    if (!isRecord(v)) return wrongType(ctx, 'object', v)
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const check = shape[key]
      // own fields only: a name Object.prototype also has (toString, constructor) is not a field
      const present = Object.hasOwn(v, key)
      if ((check as Partial<OptionalCheck<unknown>>).optional === true && !present) continue
      const x = check(present ? v[key] : undefined, ctx)
      if (x === INVALID) return at(ctx, key)
      out[key] = x
    }
    if (opts.keepOthers === true) {
      // `__proto__` is never copied: assigning it would replace the result's prototype
      for (const key of Object.keys(v)) if (!known.has(key) && key !== '__proto__') out[key] = v[key]
    }
    return out as ShapeOf<S>
  }
}

/** An object chosen by its string field `key` among `variants` (each checks `key` itself too). */
export function variantBy<K extends string, V extends Record<string, Check<unknown>>>(key: K, variants: V): Check<Checked<V[keyof V]>> {
  const byName = new Map<unknown, Check<unknown>>(Object.entries(variants))
  const message = `Invalid discriminator value. Expected ${Object.keys(variants).map((name) => `'${name}'`).join(' | ')}`
  return (v, ctx) => {
    if (!isRecord(v)) return wrongType(ctx, 'object', v)
    const check = byName.get(v[key])
    if (check === undefined) {
      fail(ctx, message)
      return at(ctx, key)
    }
    return check(v, ctx) as Checked<V[keyof V]> | Invalid
  }
}

/** Runs a check from the top: the typed value, or the first issue. */
export function runCheck<T>(check: Check<T>, value: unknown): {ok: true; value: T} | {ok: false; issue: Issue} {
  const ctx: CheckContext = {issue: null}
  const result = check(value, ctx)
  if (result !== INVALID) return {ok: true, value: result}
  return {ok: false, issue: ctx.issue ?? {path: [], tooBig: false, message: 'Invalid input'}}
}
