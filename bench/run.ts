/**
 * `npm run bench`: measures the simulator and real clusters, prints a table and writes JSON to
 * bench/results/latest.json. Numbers are recorded by hand in docs/benchmarks.md with this command.
 * Options (env): BENCH_ROUNDS (default 5), BENCH_ONLY=startup|sim|cluster|ops|etcd|append (comma-separated).
 * `append` measures append throughput and commit latency on 3 members, with etcd beside it when installed.
 * `npm run bench:quick` (BENCH_QUICK=1, run by .ci/run) measures only the start-up commands and
 * member memory, and warns (never fails) when a ratio to bare Node is over 25% above the one
 * recorded in bench/baseline.json.
 * `etcd` runs the cluster and operator measurements against a local etcd cluster too, when `etcd`
 * and `etcdctl` are on the PATH, and prints the ratios to the dledger rows of this run.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {cpus, totalmem} from 'node:os'
import {fileURLToPath} from 'node:url'
import {type BenchRow, printTable} from './stats.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const quick = process.env.BENCH_QUICK === '1'
const only = new Set((process.env.BENCH_ONLY ?? (quick ? 'startup' : 'startup,sim,cluster,ops,etcd,append')).split(',').map((s) => s.trim()))
const rows: BenchRow[] = []
const raw: Record<string, unknown> = {}

if (only.has('startup')) {
  const {startupBench, ratios} = await import('./startup-bench.js')
  const {rows: startupRows, samples} = await startupBench({rounds: quick ? rounds : Math.max(rounds, 11), quick})
  rows.push(...startupRows)
  raw.startup = {...samples, ratios: ratios(samples)}
}
if (only.has('sim')) {
  const {simBench} = await import('./sim-bench.js')
  const simRows = await simBench()
  rows.push(...simRows)
  raw.sim = simRows
}
if (only.has('cluster')) {
  const {clusterBench} = await import('./cluster-bench.js')
  const {rows: clusterRows, samples} = await clusterBench({rounds})
  rows.push(...clusterRows)
  raw.cluster = samples
}
if (only.has('ops')) {
  const {opsBench} = await import('./ops-bench.js')
  const {rows: opsRows, samples} = await opsBench({rounds})
  rows.push(...opsRows)
  raw.ops = samples
}
if (only.has('etcd')) {
  const {etcdAvailable, etcdBench, ratioRows} = await import('./etcd-bench.js')
  if (etcdAvailable()) {
    const {rows: etcdRows, samples} = await etcdBench({rounds})
    rows.push(...etcdRows, ...ratioRows(rows, etcdRows))
    raw.etcd = samples
  } else {
    console.log('etcd not on PATH: skipping the side-by-side run (apt-get install etcd-server etcd-client)')
  }
}
if (only.has('append')) {
  const {appendBench} = await import('./append-bench.js')
  const {rows: appendRows} = await appendBench()
  rows.push(...appendRows)
  raw.append = appendRows
}
printTable(rows)
const out = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(out, {recursive: true})
const file = `${out}${quick ? 'quick' : 'latest'}.json`
writeFileSync(
  file,
  `${JSON.stringify({date: new Date().toISOString(), node: process.version, cpus: cpus().length, memGb: Math.round(totalmem() / 2 ** 30), rounds, rows, raw}, null, 2)}\n`,
)
console.log(`\nwrote ${file}`)

if (raw.startup !== undefined) {
  const {checkBaseline, MEMBER_RSS} = await import('./baseline.js')
  const startup = raw.startup as {ratios: Record<string, number>; memberRssMb: number[]}
  for (const line of checkBaseline({...startup.ratios, [MEMBER_RSS]: Math.max(...startup.memberRssMb)})) console.log(line)
}
