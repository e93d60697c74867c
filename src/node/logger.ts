/**
 * The one logger of dledger's runtime and CLI: level-filtered, one line per record, on stderr by
 * default. A line reads `2026-11-25T18:20:19.123Z INFO  n0: elected leader term=3`.
 *
 * The level comes from the caller, else `DLEDGER_LOG_LEVEL`, else `info`.
 */
import {printable} from './errors.js'

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Extra key=value pairs appended to a line. */
export type LogFields = Record<string, unknown>

export interface Logger {
  readonly level: LogLevel
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger whose lines carry `name` (e.g. the member id), same level and sink. */
  child(name: string): Logger
  /** Whether a line at `level` would be written (to skip building expensive messages). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean
}

export interface LoggerOptions {
  level?: LogLevel
  /** shown after the level, e.g. the member id */
  name?: string
  /** where whole lines (with "\n") go; default process.stderr */
  write?: (line: string) => void
  /** prefix lines with an ISO timestamp; default true */
  timestamps?: boolean
}

const RANK: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40, silent: 100}

/** Parses a level name (case-insensitive); undefined when it is not one. */
function parseLogLevel(text: string | undefined | null): LogLevel | undefined {
  const value = text?.trim().toLowerCase()
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : undefined
}

let stderrGuarded = false

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLogLevel(process.env.DLEDGER_LOG_LEVEL) ?? 'info'
  if (options.write === undefined && !stderrGuarded) {
    // a closed pipe (EPIPE) arrives as an 'error' event; unhandled, it would kill the member
    stderrGuarded = true
    process.stderr.on('error', () => undefined)
  }
  const write =
    options.write ??
    ((line: string) => {
      try {
        process.stderr.write(line)
      } catch {
        // a closed stderr must never take the member down
      }
    })
  return makeLogger(level, options.name, write, options.timestamps ?? true)
}

/** A logger that writes nothing (tests, embedding). */
export const silentLogger: Logger = createLogger({level: 'silent', write: () => undefined})

function makeLogger(level: LogLevel, name: string | undefined, write: (line: string) => void, timestamps: boolean): Logger {
  const enabled = (at: Exclude<LogLevel, 'silent'>) => RANK[at] >= RANK[level]
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (!enabled(at)) return
    const parts: string[] = []
    if (timestamps) parts.push(new Date().toISOString())
    parts.push(at.toUpperCase().padEnd(5))
    parts.push(name === undefined ? message : `${name}: ${message}`)
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`)
    // one line, and no control character from a peer's frame or a file reaches the terminal
    write(`${printable(parts.join(' ').replace(/\r?\n/g, ' '))}\n`)
  }
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (child) => makeLogger(level, name === undefined ? child : `${name}/${child}`, write, timestamps),
    enabled,
  }
}

function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message)
  if (typeof v === 'string') return /^[^\s"=]*$/.test(v) && v !== '' ? v : JSON.stringify(v)
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}
