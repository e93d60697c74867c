/** Small statistics and table helpers for `npm run bench`. */

export interface BenchRow {
  name: string
  value: number
  unit: string
  /** how many samples the value summarises, and any extra context */
  detail?: string
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5)
}

/** Nearest-rank quantile; NaN for no samples. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export function printTable(rows: BenchRow[]): void {
  const w0 = Math.max(4, ...rows.map((r) => r.name.length))
  const fmt = (r: BenchRow) => `${String(round(r.value, 1)).padStart(10)} ${r.unit.padEnd(8)}`
  console.log(`${'NAME'.padEnd(w0)}  ${'VALUE'.padStart(10)} ${'UNIT'.padEnd(8)}  DETAIL`)
  for (const r of rows) console.log(`${r.name.padEnd(w0)}  ${fmt(r)}  ${r.detail ?? ''}`.trimEnd())
}
