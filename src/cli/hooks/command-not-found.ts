/**
 * oclif's `command_not_found` hook: `dledger stauts` is a usage error (exit 2) in the same
 * `Error:` / `Hint:` style as every other error, with the closest command as a suggestion. On a
 * terminal, oclif's own plugin-not-found asks "Did you mean status?" first and runs the command
 * on yes, as other oclif CLIs do.
 */
import {type Hook, toConfiguredId} from '@oclif/core'

import {printError} from '../base-command.js'
import {EXIT} from '../errors.js'
import {canPrompt} from '../output.js'
import {closest} from '../suggest.js'

/** Thrown by the plugin's `this.error` when the user says no (or the prompt times out). */
class Declined extends Error {}

const hook: Hook<'command_not_found'> = async function (opts) {
  const {config, id} = opts
  const bin = config.bin
  const json = (opts.argv ?? []).includes('--json')
  const ids = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])

  // `dledger status extra`: with " " as topic separator oclif looks for a command "status:extra"
  const [first, ...rest] = id.split(':')
  if (rest.length > 0 && ids.includes(first)) {
    const hint = `See "${bin} ${first} --help".`
    printError({exitCode: EXIT.USAGE, message: `unexpected argument "${rest.join(' ')}" for "${bin} ${first}"`, code: 'USAGE_ERROR', hint}, json)
    this.exit(EXIT.USAGE)
  }

  const suggestion = id.startsWith('-') ? null : closest(id, ids)

  if (suggestion !== null && canPrompt({json})) {
    const {default: pluginHook} = await import('@oclif/plugin-not-found')
    const context = {
      ...this,
      // our own error line follows; the plugin's "is not a command" warning would repeat it
      warn: () => undefined,
      error: () => {
        throw new Declined()
      },
    }
    // the plugin picks its own closest id; shown only ours, it asks about the same one as the hint
    const narrowed = Object.create(config, {
      commandIDs: {value: [suggestion]},
      commands: {value: config.commands.filter((c) => c.id === suggestion || c.aliases.includes(suggestion))},
    }) as typeof config
    try {
      return await pluginHook.call(context, {...opts, config: narrowed})
    } catch (error) {
      if (!(error instanceof Declined)) throw error
    }
  }

  const hint = `${suggestion === null ? '' : `did you mean "${bin} ${toConfiguredId(suggestion, config)}"? `}See "${bin} --help".`
  printError({exitCode: EXIT.USAGE, message: `"${toConfiguredId(id, config)}" is not a ${bin} command`, code: 'UNKNOWN_COMMAND', hint}, json)
  this.exit(EXIT.USAGE)
}

export default hook
