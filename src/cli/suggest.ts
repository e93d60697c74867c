/**
 * "Did you mean …?": the closest of a few known words (command ids, flag names) to a mistyped one.
 * Pure, so it is unit-tested without a command.
 */

/**
 * Edit distance where an insertion, deletion, substitution or swap of two neighbours each cost 1
 * (optimal string alignment): `stauts` is 1 from `status` but 2 from `start`.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/**
 * The candidate a user most likely meant by `typed`, or null when none is close: within a third of
 * the word's length (at least 2 edits; 1 for words of up to 3 letters), or a longer word that
 * starts with it (`transfer` → `transfer-leader`). Ties go to the candidate listed first.
 */
export function closest(typed: string, candidates: readonly string[]): string | null {
  const word = typed.toLowerCase()
  let best: {candidate: string; distance: number} | null = null
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase())
    if (best === null || distance < best.distance) best = {candidate, distance}
  }
  if (best === null) return null
  // two edits turn any two-letter word into another: short words get one
  const allowed = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3))
  if (best.distance <= allowed) return best.candidate
  if (word.length >= 3) return candidates.find((c) => c.toLowerCase().startsWith(word)) ?? null
  return null
}
