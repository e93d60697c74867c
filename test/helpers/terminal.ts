/**
 * A real terminal for end-to-end tests of what only happens on one (prompts, colour): a tmux
 * session on a private socket, running one `dledger` command. `screen()` is what a person would
 * see; `keys()` types. The tmux server is this test's own and is killed in `close()`.
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {BIN, REPO_ROOT, waitFor} from './processes.js'

const exec = promisify(execFile)

/** Whether tmux is installed (the terminal tests are skipped without it). */
export async function haveTmux(): Promise<boolean> {
  try {
    await exec('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

export class Terminal {
  private readonly socket = `dledger-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  private tmux(...args: string[]): Promise<{stdout: string}> {
    return exec('tmux', ['-L', this.socket, ...args], {timeout: 10_000})
  }

  /** Starts `dledger args…` in a 200×40 terminal; when it exits the screen shows `[exit N]`. */
  async start(args: string[], env: Record<string, string>): Promise<void> {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`)
    const command = `cd ${quote(REPO_ROOT)} && env -u CI ${vars.join(' ')} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo "[exit $?]"; sleep 60`
    await this.tmux('new-session', '-d', '-x', '200', '-y', '40', 'sh', '-c', command)
  }

  /** The visible screen, one string per line, trailing blanks trimmed (`-e`: with colour codes). */
  async screen(opts: {escapes?: boolean} = {}): Promise<string> {
    const {stdout} = await this.tmux('capture-pane', '-p', ...(opts.escapes ? ['-e'] : []))
    return stdout.replace(/\s+$/, '')
  }

  /** Waits until the screen matches `pattern`; returns the screen. */
  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(`the terminal to show ${pattern}`, async () => {
      const s = await this.screen()
      return pattern.test(s) ? s : false
    }, timeoutMs, 50)
  }

  /** Types: tmux key names (`Enter`, `C-c`, `Down`) or literal text with `{literal: true}`. */
  async keys(keys: string[], opts: {literal?: boolean} = {}): Promise<void> {
    await this.tmux('send-keys', ...(opts.literal ? ['-l'] : []), ...keys)
  }

  async close(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined)
  }
}
