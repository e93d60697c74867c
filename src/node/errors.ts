/**
 * Errors of the member runtime.
 */

/**
 * A member could not start: bad settings, port in use, a corrupt or unreadable term/vote record,
 * an unwritable data directory. `message` is one line meant for the user; `hint` says what to do.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    /** the system error behind it (`EADDRINUSE`, …), so a caller can say more */
    readonly code?: string,
  ) {
    super(message)
    this.name = 'StartupError'
  }
}

/** The message of an unknown thrown value, on one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/g, ' ')
}

/** The `code` of a Node system error (`EADDRINUSE`, `ENOENT`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as {code?: unknown} | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * A text that is safe to print on a terminal: control characters (C0, DEL, C1) become `\xNN`,
 * so bytes from a corrupt file or a peer cannot move the cursor or retitle the window.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
