/**
 * What a member refuses and survives (issue 7, docs/member-promises.md), end to end: real
 * `dledger start` and `dledger up` processes on 127.0.0.1 with the fast timing preset, fed
 * out-of-range terms, a second member on one data directory, rolled-back records, tokens on the
 * command line, binary junk, idle sockets and bad names. Needs `npm run build` first. Every child
 * is killed by PID and every temp dir removed in t.after, also when a test fails.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {describe, it} from 'node:test'

import {WebSocket} from 'ws'

import {exited, oneLeader, processCluster, type ProcessCluster, statusOf} from '../helpers/cluster.js'
import {type CliResult, freePorts, httpGet, openWs, peersFor, Sandbox, waitFor} from '../helpers/processes.js'

const MAX_TERM = 2 ** 50

/** The close code the member sends on `ws` (rejects after timeoutMs: the member never closed it). */
function closedBy(ws: WebSocket, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`the member did not close the connection within ${timeoutMs} ms`))
    }, timeoutMs)
    ws.once('close', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
}

/** Sends one admin request and resolves with its AdminResponse (bounded). */
async function admin(port: number, request: Record<string, unknown>): Promise<{ok: boolean; code?: string; error?: string}> {
  const ws = await openWs(port)
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no AdminResponse within 5 s')), 5000)
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as {kind: string; reqId: string; ok: boolean; code?: string; error?: string}
        if (frame.kind !== 'AdminResponse' || frame.reqId !== request.reqId) return
        clearTimeout(timer)
        resolve(frame)
      })
      ws.send(JSON.stringify({kind: 'AdminRequest', ...request}))
    })
  } finally {
    ws.close()
  }
}

/** The value of one sample in a member's /metrics, or null when it is not there. */
async function metric(port: number, sample: string, token?: string): Promise<number | null> {
  const body = (await httpGet(port, '/metrics', {token})).body
  const line = body.split('\n').find((l) => l.startsWith(`${sample} `))
  return line === undefined ? null : Number(line.slice(sample.length + 1))
}

function explain(r: CliResult): string {
  return `exit ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
}

/** `dledger start --id n<i>` of the cluster to completion (for starts that must be refused), bounded. */
function startOnce(c: ProcessCluster, i: number, extra: string[] = [], dataDir = c.dataDir(i)): Promise<CliResult> {
  return c.sb.run(['start', '--id', `n${i}`, '--peers', c.peers, '--data-dir', dataDir, '--timing', 'fast', ...extra], {timeoutMs: 10_000})
}

/** A single member that leads; resolves with its term. */
async function soloLeader(c: ProcessCluster, extra: string[] = []): Promise<number> {
  c.start(0, extra)
  const s = await waitFor('the single member to lead', async () => {
    const st = await statusOf(c.ports[0])
    return st?.role === 'LEADER' ? st : false
  })
  return s.term
}

const mode = (path: string) => statSync(path).mode & 0o777

describe('a member bounds every term (issue 7, item 1)', () => {
  it('a forced election or a ballot for a term near 2^53 is refused with TERM_OUT_OF_RANGE, counted, never persisted, and the cluster still elects', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-harden-')
    for (let i = 0; i < 3; i++) c.start(i)
    const first = await oneLeader(c, [0, 1, 2])
    const follower = [0, 1, 2].find((i) => i !== first.leader)!

    const refused = await admin(c.ports[follower], {reqId: 'r1', op: 'revote', term: Number.MAX_SAFE_INTEGER})
    assert.equal(refused.ok, false)
    assert.equal(refused.code, 'TERM_OUT_OF_RANGE')
    assert.match(refused.error ?? '', new RegExp(`largest term ${MAX_TERM}`))

    // a peer's ballot and heartbeat with such a term are dropped before the core sees them
    const peer = await openWs(c.ports[follower], {'x-dledger-node': `n${first.leader}`})
    const base = {group: 'default', remoteId: `n${follower}`, localId: `n${first.leader}`, code: 200, leaderId: `n${first.leader}`, term: Number.MAX_SAFE_INTEGER}
    peer.send(JSON.stringify({kind: 'VoteRequest', ...base, reqId: 'v1', ledgerEndIndex: -1, ledgerEndTerm: -1}))
    peer.send(JSON.stringify({kind: 'HeartBeatRequest', ...base, reqId: 'h1'}))
    await waitFor('the refused terms in /metrics', async () => (await metric(c.ports[follower], 'dledger_dropped_messages_total{reason="term_out_of_range"}')) === 3)
    peer.close()

    const record = JSON.parse(readFileSync(join(c.dataDir(follower), 'state.json'), 'utf8')) as {currTerm: number}
    // far below the refused term (an ordinary election or two under load may still move it on)
    assert.ok(record.currTerm < first.term + 100, `the record holds term ${record.currTerm}`)
    // the group can still change leaders: the old leader dies, another one is elected
    await c.kill9(first.leader)
    const second = await oneLeader(c, [0, 1, 2].filter((i) => i !== first.leader))
    assert.ok(second.term > first.term && second.term < MAX_TERM)
  })
})

describe('a member locks its data directory (issue 7, item 2)', () => {
  it('a second start of the same id is refused with one line naming the directory and the PID, and the running member keeps its record', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-harden-')
    const term = await soloLeader(c)
    const pid = c.children[0]!.pid!
    const recordBefore = readFileSync(join(c.dataDir(0), 'state.json'), 'utf8')

    const again = await startOnce(c, 0)
    assert.equal(again.code, 1, explain(again))
    const lines = again.stderr.split('\n').filter((l) => l.includes(c.dataDir(0)))
    assert.equal(lines.length, 1, again.stderr)
    assert.match(lines[0], new RegExp(`in use by PID ${pid}\\b`))
    assert.doesNotMatch(again.stderr, /port .* already in use/, 'refused before it tried to listen')

    assert.equal(readFileSync(join(c.dataDir(0), 'state.json'), 'utf8'), recordBefore)
    assert.deepEqual(readdirSync(c.dataDir(0)).filter((n) => n.endsWith('.tmp')), [])
    const still = await statusOf(c.ports[0])
    assert.equal(still?.role, 'LEADER')
    assert.equal(still?.term, term)
    assert.equal(still?.pid, pid)
  })

  it('two ids pointed at one data directory: the second is refused; after kill -9 of the first, a restart takes the stale lock over', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-harden-')
    c.start(0)
    await waitFor('n0 to listen', () => statusOf(c.ports[0]))
    const pid = c.children[0]!.pid!

    const shared = await startOnce(c, 1, [], c.dataDir(0))
    assert.equal(shared.code, 1, explain(shared))
    assert.match(shared.stderr, new RegExp(`the data directory ${c.dataDir(0).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by PID ${pid}`))
    assert.equal(await statusOf(c.ports[1]), null, 'n1 never listened')

    await c.kill9(0)
    assert.ok(existsSync(join(c.dataDir(0), 'dledger.lock')), 'kill -9 leaves the lock file behind')
    c.start(0)
    const back = await waitFor('n0 to restart on its stale lock', () => statusOf(c.ports[0]))
    assert.equal(back.pid, c.children[0]!.pid)
  })
})

describe('a member detects a rolled-back record (issue 7, item 3)', () => {
  it('an older state.json, a lost one, and a newer term only in a rotated vote log are refused naming both; --accept-rolled-back-state starts anyway', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-harden-')
    const dir = c.dataDir(0)
    const record = join(dir, 'state.json')
    const oldTerm = await soloLeader(c)
    const backup = readFileSync(record, 'utf8')
    // a forced election moves the member on to a newer term (and its vote for itself)
    assert.equal((await admin(c.ports[0], {reqId: 'r1', op: 'revote', term: oldTerm + 3})).ok, true)
    const term = oldTerm + 3
    await waitFor('the member to lead the newer term', async () => (await statusOf(c.ports[0]))?.term === term)
    c.children[0]!.kill('SIGTERM')
    assert.deepEqual(await exited(c.children[0]!), {code: 0, signal: null})
    assert.deepEqual(JSON.parse(readFileSync(record, 'utf8')), {currTerm: term, currVoteFor: 'n0'})

    // the older copy restored
    writeFileSync(record, backup)
    const older = await startOnce(c, 0)
    assert.equal(older.code, 1, explain(older))
    const line = older.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? ''
    assert.ok(line.includes(record) && line.includes(join(dir, 'vote.log')), line)
    assert.match(line, new RegExp(`holds term ${oldTerm}, .*shows term ${term} and a vote for n0`))
    assert.match(older.stderr, /--accept-rolled-back-state/)

    // the same term without its vote
    writeFileSync(record, JSON.stringify({currTerm: term, currVoteFor: null}))
    assert.equal((await startOnce(c, 0)).code, 1)

    // lost altogether, with the evidence only in a rotation
    rmSync(record)
    renameSync(join(dir, 'vote.log'), join(dir, 'vote.log.2'))
    writeFileSync(join(dir, 'vote.log'), '')
    const lost = await startOnce(c, 0)
    assert.equal(lost.code, 1, explain(lost))
    assert.match(lost.stderr, new RegExp(`state\\.json is missing, but the vote log .*vote\\.log\\.2 shows term ${term}`))
    assert.equal(await statusOf(c.ports[0]), null, 'nothing listened')

    // the operator who knows
    c.start(0, ['--accept-rolled-back-state'])
    const accepted = await waitFor('the member to start from the rolled-back record', () => statusOf(c.ports[0]))
    assert.ok(accepted.term >= 0)
    assert.match(c.children[0]!.output(), /starting from the record anyway/)
  })
})

describe('the token stays out of the process list (issue 7, item 4)', () => {
  it('up --token-file: the members never carry the token on their command line; --token warns; data, logs and run records are private', async (t) => {
    const sb = new Sandbox('dledger-e2e-harden-')
    t.after(() => sb.cleanup())
    const ports = await freePorts(3)
    const token = 'tok-3f9a1c'
    const tokenFile = join(sb.home, 'cluster.token')
    writeFileSync(tokenFile, `${token}\n`, {mode: 0o600})

    const up = await sb.run(['up', '--peers', peersFor(ports), '--timing', 'fast', '--token-file', tokenFile], {timeoutMs: 30_000})
    const runDir = join(sb.home, 'run')
    const pids = existsSync(runDir) ? readdirSync(runDir).map((f) => (JSON.parse(readFileSync(join(runDir, f), 'utf8')) as {pid: number}).pid) : []
    for (const pid of pids) sb.track(pid)
    assert.equal(up.code, 0, explain(up))
    assert.doesNotMatch(up.stderr, /Warning/)
    assert.equal(pids.length, 3)
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      assert.ok(argv.includes('start'), argv.join(' '))
      assert.ok(!argv.some((a) => a.includes(token)), `the token is on the command line of ${pid}: ${argv.join(' ')}`)
    }
    assert.equal((await httpGet(ports[0], '/status')).status, 401, 'the members do use the token')

    // the token from the environment or a file: no warning; on the command line: a warning
    const fromEnv = await sb.run(['leader'], {env: {DLEDGER_TOKEN: token}})
    assert.equal(fromEnv.code, 0, explain(fromEnv))
    assert.doesNotMatch(fromEnv.stderr, /Warning/)
    const fromArgv = await sb.run(['leader', '--token', token])
    assert.equal(fromArgv.code, 0, explain(fromArgv))
    assert.match(fromArgv.stderr, /Warning: --token shows the token to every user.*--token-file/)
    const both = await sb.run(['leader', '--token', token, '--token-file', tokenFile])
    assert.equal(both.code, 2, explain(both))

    const dataDir = join(sb.home, 'data', 'default', 'n0')
    assert.equal(mode(join(sb.home, 'data')), 0o700)
    assert.equal(mode(dataDir), 0o700)
    for (const f of ['state.json', 'vote.log']) assert.equal(mode(join(dataDir, f)), 0o600, f)
    assert.equal(mode(join(sb.home, 'logs')), 0o700)
    assert.equal(mode(join(sb.home, 'logs', 'n0.log')), 0o600)
    assert.equal(mode(runDir), 0o700)
    assert.equal(mode(join(runDir, 'n0.json')), 0o600)
    assert.equal(mode(join(sb.home, 'profile.json')), 0o600)
    assert.equal((await sb.run(['down'])).code, 0)
  })
})

describe('junk frames cost a member almost nothing (issue 7, item 5)', () => {
  it('binary frames are dropped unread, a connection that keeps sending junk is closed with 1008, one past its byte budget is read no faster than 1 MiB/s, and the member keeps leading', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-harden-')
    const term = await soloLeader(c)
    const port = c.ports[0]

    const binary = await openWs(port)
    const binaryClosed = closedBy(binary)
    for (let i = 0; i < 20 && binary.readyState === WebSocket.OPEN; i++) binary.send(Buffer.alloc(64 * 1024, i))
    assert.equal(await binaryClosed, 1008)

    const text = await openWs(port)
    const textClosed = closedBy(text)
    for (let i = 0; i < 20 && text.readyState === WebSocket.OPEN; i++) text.send('{"kind": garbage')
    assert.equal(await textClosed, 1008)

    // three 900 KiB frames at once: the second is past the byte budget, so the socket waits out the second
    const malformedBefore = (await metric(port, 'dledger_dropped_messages_total{reason="malformed"}')) ?? 0
    const heavy = await openWs(port)
    for (let i = 0; i < 3; i++) heavy.send(`"${'x'.repeat(900 * 1024)}"`)
    await waitFor('the connection to be throttled', async () => ((await metric(port, 'dledger_inbound_throttled_total')) ?? 0) >= 1)
    await waitFor('all three frames to be read in the end', async () => (await metric(port, 'dledger_dropped_messages_total{reason="malformed"}')) === malformedBefore + 3)
    heavy.close()

    assert.ok(((await metric(port, 'dledger_dropped_messages_total{reason="binary"}')) ?? 0) >= 9)
    assert.equal(await metric(port, 'dledger_junk_connections_closed_total'), 2)
    const still = await statusOf(port)
    assert.equal(still?.role, 'LEADER')
    assert.equal(still?.term, term)
  })
})

describe('the smaller hardenings (issue 7, item 6)', () => {
  it('without a token, 256 idle sockets do not keep a configured peer out', async (t) => {
    const c = await processCluster(t, 3, 'dledger-e2e-harden-')
    c.start(0)
    await waitFor('n0 to listen', () => statusOf(c.ports[0]))
    const idle: WebSocket[] = []
    t.after(() => idle.forEach((ws) => ws.terminate()))
    let refused = 0
    for (let i = 0; i < 260; i++) {
      try {
        idle.push(await openWs(c.ports[0]))
      } catch {
        refused++
      }
    }
    assert.ok(refused >= 4, `the client slots are full (${idle.length} open, ${refused} refused)`)

    c.start(1)
    await waitFor(
      "n1's connection to n0",
      async () => (await metric(c.ports[1], 'dledger_peer_connected{peer="n0"}')) === 1,
      10_000,
    )
    await oneLeader(c, [0, 1])
  })

  it('a FIFO or a dangling symlink in place of state.json, and a corrupt record with control characters, are refused with one safe line', async (t) => {
    const c = await processCluster(t, 1, 'dledger-e2e-harden-')
    const dir = c.dataDir(0)
    const record = join(dir, 'state.json')
    mkdirSync(dir, {recursive: true})

    execFileSync('mkfifo', [record])
    const fifo = await startOnce(c, 0)
    assert.equal(fifo.code, 1, explain(fifo))
    assert.match(fifo.stderr, /state\.json is a FIFO, not a regular file/)

    rmSync(record)
    symlinkSync(join(dir, 'nowhere.json'), record)
    const dangling = await startOnce(c, 0)
    assert.equal(dangling.code, 1, explain(dangling))
    assert.match(dangling.stderr, /state\.json is a symbolic link, not a regular file/)

    rmSync(record)
    writeFileSync(record, '\u001b]0;pwned\u0007\u001b[2J{"currTerm":')
    const corrupt = await startOnce(c, 0)
    assert.equal(corrupt.code, 1, explain(corrupt))
    assert.match(corrupt.stderr, /corrupt/)
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(corrupt.stderr, /[\u0000-\u0008\u000b-\u001f\u007f]/, 'no raw control character reaches the terminal')
    assert.match(corrupt.stderr, /\\x1b/)
  })

  it('group names and ids are plain names wherever they enter, and every duration has an upper bound', async (t) => {
    const sb = new Sandbox('dledger-e2e-harden-')
    t.after(() => sb.cleanup())
    const [port] = await freePorts(1)
    const peers = `n0-127.0.0.1:${port}`
    // <home>/data/../../<name> is a sibling of the home: where the old code put this member's data
    const escape = `../../${basename(sb.home)}-elsewhere`
    const outside = join(dirname(sb.home), `${basename(sb.home)}-elsewhere`)
    t.after(() => rmSync(outside, {recursive: true, force: true}))

    const group = await sb.run(['start', '--id', 'n0', '--peers', peers, '--group', escape, '--timing', 'fast'], {timeoutMs: 10_000})
    assert.equal(group.code, 2, explain(group))
    assert.ok(group.stderr.includes(`group ${JSON.stringify(escape)} must be 1-64 of`), group.stderr)
    const slash = await sb.run(['init', '--peers', peers, '--group', 'a/b'])
    assert.equal(slash.code, 2, explain(slash))
    const dots = await sb.run(['start', '--id', '..', '--peers', `..-127.0.0.1:${port}`, '--timing', 'fast'], {timeoutMs: 10_000})
    assert.equal(dots.code, 2, explain(dots))

    // a profile edited by hand is checked too
    assert.equal((await sb.run(['init', '--peers', peers, '--timing', 'fast'])).code, 0)
    const profileFile = join(sb.home, 'profile.json')
    const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Record<string, unknown>
    writeFileSync(profileFile, JSON.stringify({...profile, group: escape}))
    const edited = await sb.run(['start', '--id', 'n0'], {timeoutMs: 10_000})
    assert.equal(edited.code, 2, explain(edited))
    assert.equal(existsSync(outside), false, 'nothing was written outside the home')

    const huge = await sb.run(['start', '--id', 'n0', '--peers', peers, '--heartbeat-ms', '99999999999'], {timeoutMs: 10_000})
    assert.equal(huge.code, 2, explain(huge))
    assert.match(huge.stderr, /heartbeatIntervalMs must be at most 86400000 ms/)
    const leak = await sb.run(['start', '--id', 'n0', '--peers', peers, '--heartbeat-ms', '3600000', '--max-heartbeat-leak', '1000'], {timeoutMs: 10_000})
    assert.equal(leak.code, 2, explain(leak))
    assert.match(leak.stderr, /maxHeartbeatLeak × heartbeatIntervalMs must be at most/)
  })
})
