/**
 * Keeps the start-up gains of issue 13: compares this run's ratios to bare Node with the ones
 * recorded in docs/benchmarks.md (kept machine-readable in bench/baseline.json), and a member's
 * idle RSS with its record, and returns a WARNING line for each that is more than 25% above it. Never a failure: the machines
 * are shared and noisy, so a slow run is a reason to look, not to stop the build.
 */
import {readFileSync} from 'node:fs'

/** The one absolute figure checked: a member's idle RSS in MB (memory does not scale with CPU load). */
export const MEMBER_RSS = 'idle member RSS (MB)'

/** How far above its recorded ratio a command may be before it is reported. */
export const TOLERANCE = 1.25

interface Baseline {
  recorded: string
  ratios: Record<string, number>
}

export function checkBaseline(ratios: Record<string, number>, file = new URL('./baseline.json', import.meta.url)): string[] {
  let baseline: Baseline
  try {
    baseline = JSON.parse(readFileSync(file, 'utf8')) as Baseline
  } catch (error) {
    return [`WARNING: no start-up baseline to compare with (${(error as Error).message})`]
  }
  const lines: string[] = []
  for (const [name, recorded] of Object.entries(baseline.ratios)) {
    const now = ratios[name]
    if (now === undefined) continue
    if (now > recorded * TOLERANCE)
      lines.push(
        name === MEMBER_RSS
          ? `WARNING: ${name} is ${now}, more than 25% above the ${recorded} recorded on ${baseline.recorded} (docs/benchmarks.md)`
          : `WARNING: ${name} took ${now}× bare node, more than 25% above the ${recorded}× recorded on ${baseline.recorded} (docs/benchmarks.md)`,
      )
  }
  if (lines.length === 0) lines.push(`start-up ratios within 25% of the baseline recorded on ${baseline.recorded}`)
  return lines
}
