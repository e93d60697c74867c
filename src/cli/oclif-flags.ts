/**
 * oclif's flags built from a flag table (flag-table.ts), so a command declares its flags once and
 * both oclif and the light path read the same declaration.
 */
import {Flags, type Interfaces} from '@oclif/core'

import type {BooleanSpec, FlagSpec, FlagTable, FlagValue} from './flag-table.js'

/** The oclif flag of each entry, typed with the value the light parser gives it too. */
export type OclifFlags<T extends FlagTable> = {
  [K in keyof T]: T[K] extends BooleanSpec ? Interfaces.BooleanFlag<FlagValue<T[K]>> : Interfaces.OptionFlag<FlagValue<T[K]>>
}

/** Drops the keys left undefined, so oclif (and its manifest) sees what a literal would have given it. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

export function oclifFlags<T extends FlagTable>(table: T): OclifFlags<T> {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, oclifFlag(name, spec)])) as OclifFlags<T>
}

/** oclif's flag `--name` for one entry of a table. */
export function oclifFlag<S extends FlagSpec>(name: string, spec: S): OclifFlags<{[name]: S}>[string] {
  const common = {description: spec.description, helpGroup: spec.helpGroup, hidden: spec.hidden}
  if (spec.type === 'boolean') return Flags.boolean(defined({...common, default: spec.default, allowNo: spec.allowNo})) as never
  if (spec.type === 'integer') return Flags.integer(defined({...common, default: spec.default, min: spec.min, max: spec.max})) as never
  const oneOf = spec.lowercaseOneOf
  return Flags.string(
    defined({
      ...common,
      env: spec.env,
      required: spec.required,
      helpValue: spec.helpValue,
      parse:
        oneOf === undefined
          ? undefined
          : async (input: string) => {
              const value = input.toLowerCase()
              if (!oneOf.includes(value)) throw new Error(`Expected --${name}=${input} to be one of: ${oneOf.join(', ')}`)
              return value
            },
    }),
  ) as never
}
