/**
 * The member process's life after start: stop cleanly on a signal, with or without the leader's
 * hand-off, and turn the way it ended into the process exit code.
 */
import {STOP_SIGNALS, STOP_WITHOUT_HANDOFF_SIGNAL} from '../wire/signals.js'
import {createLogger, type Logger} from './logger.js'
import type {RunningMember, StopOptions} from './member.js'

/**
 * Runs a started member until SIGINT or SIGTERM (then stops it cleanly, handing off leadership
 * first when `handoff` is set), SIGUSR2 (a clean stop without the hand-off, what
 * `dledger down --no-handoff` sends; src/wire/signals.ts) or until it fail-stops.
 * The second argument is a Logger or `{handoff?, log?}`.
 * Resolves with the process exit code: 0 after a signal, 1 after a fail-stop. A second signal
 * while stopping exits at once with 1.
 */
export function runUntilStopped(member: RunningMember, logOrOptions: Logger | (StopOptions & {log?: Logger}) = {}): Promise<number> {
  const options: StopOptions & {log?: Logger} = isLogger(logOrOptions) ? {log: logOrOptions} : logOrOptions
  const log = options.log ?? createLogger({name: member.settings.selfId})
  return new Promise((resolve) => {
    let signalled = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn(`${signal} again: exiting without waiting`)
        process.exit(1)
      }
      signalled = true
      const handoff = options.handoff === true && signal !== STOP_WITHOUT_HANDOFF_SIGNAL
      log.info(`${signal}: stopping${options.handoff === true && !handoff ? ' without a leadership hand-off' : ''}`)
      void member.stop({handoff})
    }
    const signals = [...STOP_SIGNALS, STOP_WITHOUT_HANDOFF_SIGNAL]
    for (const s of signals) process.on(s, onSignal)
    void member.closed.then((cause) => {
      for (const s of signals) process.off(s, onSignal)
      resolve(cause === null ? 0 : 1)
    })
  })
}

function isLogger(v: unknown): v is Logger {
  return typeof v === 'object' && v !== null && typeof (v as Logger).info === 'function' && typeof (v as Logger).child === 'function'
}
