/**
 * Why a member's port cannot be bound, said so the user knows what to do: another dledger member
 * (which one, which PID), an outgoing connection that got the port as its source port (Linux's
 * ephemeral range), another program, or an address of another host.
 */
import {readFileSync} from 'node:fs'
import {createServer} from 'node:net'

import type {Peer} from '../core/settings.js'
import {probeMember} from './cluster-client.js'

/** A port that cannot be used: one line, and what to do about it. */
export interface PortProblem {
  problem: string
  hint: string
}

/** Linux's default ip_local_port_range. */
const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999]

/** The source ports the kernel hands to outgoing connections (/proc/sys/net/ipv4/ip_local_port_range). */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): readonly [number, number] {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number)
    return Number.isInteger(low) && Number.isInteger(high) && low <= high ? [low, high] : DEFAULT_EPHEMERAL
  } catch {
    return DEFAULT_EPHEMERAL
  }
}

/** Why `peer`'s port is in use: asks whoever listens there for its /status. */
export async function whyPortInUse(peer: Peer, opts: {token?: string} = {}): Promise<PortProblem> {
  const probe = await probeMember(peer, {token: opts.token, timeoutMs: 500})
  const where = `port ${peer.port} of ${peer.id} (${peer.address})`
  if (probe.ok) {
    const s = probe.status
    const which = `pid ${s.pid}${s.group ? `, group ${s.group}` : ''}`
    return {
      problem: s.id === peer.id ? `${peer.id} is already running on ${peer.address} (${which})` : `${where} is taken by dledger member ${s.id} (${which})`,
      hint: `\`dledger status\` shows it; stop it with \`kill ${s.pid}\` (a member started by hand is not in this home's run records)`,
    }
  }
  if (probe.httpStatus === 401) {
    return {
      problem: `${where} is already in use by a dledger member that wants a token to say which (HTTP 401)`,
      hint: 'pass the cluster token with --token to see which member it is, or stop it',
    }
  }
  if (/connection refused/.test(probe.error)) {
    // bound but not listening: a socket holds it, most often an outgoing connection's source port
    const [low, high] = ephemeralPortRange()
    const ephemeral = peer.port >= low && peer.port <= high
    return {
      problem: `${where} is bound by a connection, not a listener${ephemeral ? `: ${low}-${high} is this machine's ephemeral range, from which outgoing connections take their source ports` : ''}`,
      hint: ephemeral ? `pick ports below ${low} with --base-port (the default, 20911, is)` : 'wait for that connection to close, or pick other ports with --base-port',
    }
  }
  return {problem: `${where} is already in use by another process`, hint: 'stop it, or pick other ports with --base-port'}
}

/** Why a peer's port cannot be bound here, or null when it is free. */
export function checkPortFree(peer: Peer, opts: {token?: string} = {}): Promise<PortProblem | null> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(whyPortInUse(peer, opts))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND')
        resolve({
          problem: `${peer.id}'s address ${peer.address} is not on this machine`,
          hint: `\`up\` starts members on this machine only: give it 127.0.0.1 addresses, or run \`dledger start --id ${peer.id}\` on the host of ${peer.address}`,
        })
      else if (error.code === 'EACCES') resolve({problem: `port ${peer.port} of ${peer.id} needs privileges to bind`, hint: 'pick ports above 1023 with --base-port'})
      else resolve({problem: `cannot bind ${peer.address} for ${peer.id}: ${error.message}`, hint: 'pick other ports with --base-port'})
    })
    server.listen({host: peer.host, port: peer.port, exclusive: true}, () => server.close(() => resolve(null)))
  })
}
