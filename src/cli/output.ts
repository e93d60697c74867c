/**
 * Output helpers shared by commands: when a prompt is allowed, when colour is allowed, a small
 * stderr spinner, and kubectl-style plain tables. Nothing here writes to stdout by itself, so
 * stdout stays clean for `--json` and for pipes.
 */

/** True when the CI variable is set to anything but "", "0" or "false". */
function isCI(): boolean {
  const value = process.env.CI
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}

/**
 * Whether a command may ask the user a question: a person at a terminal (stdin and stdout are
 * TTYs), not CI, not `--json`. An @inquirer prompt without a terminal ends the process (exit 0
 * outside oclif), so a command that cannot prompt must fail with a UsageError and a hint instead.
 */
export function canPrompt(flags: {json?: boolean} = {}): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !isCI() && !flags.json
}

/** Whether stdout may carry ANSI colour: a TTY, and NO_COLOR unset or empty (no-color.org). */
export function useColor(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR
}

/** The few ANSI styles dledger uses: [on, off]. */
const SGR = {bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39]} as const
export type Style = keyof typeof SGR

/** `text` in ANSI styles. Callers decide whether colour is allowed (useColor). */
export function paint(styles: readonly Style[], text: string): string {
  return styles.reduceRight((t, s) => `\u001B[${SGR[s][0]}m${t}\u001B[${SGR[s][1]}m`, text)
}

let stdoutGuarded = false

/**
 * Ends the process with exit 0 once stdout's reader has gone (EPIPE: `dledger status --watch |
 * head -3`, `dledger logs -f | head`), as Unix tools do: nobody is left to read what would follow.
 * Idempotent. Without it the 'error' event is unhandled, and a streaming command crashes or never
 * ends.
 */
export function endOnClosedStdout(): void {
  if (stdoutGuarded) return
  stdoutGuarded = true
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
}

/** A progress line on stderr. Every method is a no-op when stderr is not a TTY. */
export interface Spinner {
  /** Starts drawing (if not already) and returns the spinner. */
  start(): Spinner
  /** Replaces the text. */
  update(text: string): void
  /** Erases the line; prints `finalText` on its own line if given. */
  stop(finalText?: string): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const FRAME_INTERVAL_MS = 80
const CLEAR_LINE = '\r\u001B[2K'

const activeSpinners = new Set<Spinner>()

/**
 * A dependency-free spinner on `stream` (stderr by default). Not started: call `start()`.
 * The timer is unref'd, so a forgotten spinner never keeps the process alive.
 */
export function spinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  let current = text
  let frame = 0
  let timer: ReturnType<typeof setInterval> | undefined
  const enabled = Boolean(stream.isTTY)
  const draw = (): void => {
    stream.write(`${CLEAR_LINE}${FRAMES[frame % FRAMES.length]} ${current}`)
    frame += 1
  }

  const self: Spinner = {
    start() {
      if (enabled && timer === undefined) {
        draw()
        timer = setInterval(draw, FRAME_INTERVAL_MS)
        timer.unref()
        activeSpinners.add(self)
      }
      return self
    },
    update(next) {
      current = next
      if (timer !== undefined) draw()
    },
    stop(finalText) {
      if (timer === undefined) return
      clearInterval(timer)
      timer = undefined
      activeSpinners.delete(self)
      stream.write(CLEAR_LINE)
      if (finalText !== undefined) stream.write(`${finalText}\n`)
    },
  }
  return self
}

/** One `Warning: …` line on stderr (oclif's own warn wraps and indents). */
export function warn(message: string): void {
  console.error('%s', `Warning: ${message}`)
}

/** Stops every running spinner (BaseCommand calls this before printing an error). */
export function stopSpinners(): void {
  for (const s of [...activeSpinners]) s.stop()
}

/** cli-table3 border characters that draw nothing, with two spaces between columns. */
const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
}

const loadTable = () => import('cli-table3')

/** Starts loading the table module now, for a command that prints a table after some waiting of its own. */
export function preloadTable(): void {
  loadTable().catch(() => undefined)
}

/**
 * A kubectl-style table: upper-case header, space-aligned columns, no borders, no colour, no
 * trailing spaces. cli-table3 colours head and border by default even when piped, so the style
 * is always given explicitly. Loaded lazily (only commands that print a table pay for it).
 */
export async function renderTable(head: string[], rows: string[][]): Promise<string> {
  const {default: Table} = await loadTable()
  const table = new Table({
    head,
    chars: BORDERLESS,
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0},
  })
  table.push(...rows)
  return table.toString().replace(/ +$/gm, '')
}
