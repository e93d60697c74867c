import {join} from 'node:path'

import {Flags} from '@oclif/core'

import type {Peer} from '../../core/settings.js'
import {MemberCommand} from '../member-command.js'
import {OperationError, UsageError} from '../errors.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/** `dledger ui`: a live page of the local cluster. */
export default class Ui extends MemberCommand<typeof Ui> {
  static override summary = 'Serve a live page of the cluster: status with faults, a growing timeline, and operator buttons'
  static override description = `Serves one page on http://127.0.0.1:7070/ (--host, --port): the status table (refreshed every second), the election timeline growing as the members' vote-log events stream in (as \`dledger timeline\` draws it), the FAULTS column as \`dledger status\` shows it, per member the buttons transfer here (transfer-leader --to), elect (elect --node), stop (down --id), kill (SIGKILL), restart and isolate (fault isolate), and one button "heal all faults" (fault heal). Stop, kill and restart act on the members \`dledger up\` started in this home.

With a cluster token (profile, --token or DLEDGER_TOKEN) the page needs it too: open the address printed, which carries it once and leaves a cookie. Without a token the UI only listens on a loopback address; a --host elsewhere is refused. Ctrl-C stops the UI; the cluster keeps running.`

  static override examples = [
    {description: 'The local cluster on http://127.0.0.1:7070/', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Another port, for a second home', command: '<%= config.bin %> <%= command.id %> --home /tmp/dl2 --port 7071'},
  ]

  static override flags = {
    port: Flags.integer({description: 'port to listen on (0: any free port, printed)', default: 7070, min: 0, max: 65535}),
    host: Flags.string({description: 'address to listen on; anything but loopback needs a cluster token', default: '127.0.0.1'}),
  }

  async run(): Promise<void> {
    const {memberDataDir, describeHome} = await import('../paths.js')
    const {UiServer} = await import('../ui/server.js')
    const flags = this.flags
    const paths = await this.paths()
    const cluster = await this.cluster(paths)
    if (!LOOPBACK.has(flags.host) && !cluster.token) {
      throw new UsageError(`--host ${flags.host}: refusing to serve the cluster's buttons beyond this machine without a token`, {
        code: 'TOKEN_REQUIRED',
        hint: 'set a cluster token (`dledger init --token …`, --token or DLEDGER_TOKEN), or keep the default --host 127.0.0.1',
      })
    }
    const server = new UiServer({
      host: flags.host,
      port: flags.port,
      title: `dledger ui · ${cluster.group ?? 'cluster'} (${describeHome(paths)})`,
      peers: cluster.peers,
      group: cluster.group,
      token: cluster.token,
      dataDir: (p: Peer) => memberDataDir(paths, cluster.group ?? 'default', p.id),
      actions: {
        paths,
        peers: cluster.peers,
        peersFlag: cluster.source === 'peers-flag' ? flags.peers : undefined,
        token: cluster.token,
        binPath: join(this.config.root, 'bin', 'run.js'),
      },
      onNotice: (text) => console.error('%s', `-- ${text}`),
    })
    let url: string
    try {
      url = await server.start()
    } catch (error) {
      await server.close().catch(() => undefined)
      const code = (error as NodeJS.ErrnoException).code
      throw new OperationError(`cannot listen on ${flags.host}:${flags.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message}`, {
        code: code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'LISTEN_FAILED',
        hint: 'pick another --port (0 picks a free one)',
      })
    }
    const open = cluster.token ? `${url}?token=${encodeURIComponent(cluster.token)}` : url
    this.log(`dledger ui on ${open}  (Ctrl-C stops the UI; the cluster keeps running)`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await server.close()
    this.log('ui stopped; the members keep running')
  }
}
