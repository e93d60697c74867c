import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {OperationError} from '../errors.js'
import {onRoleChangeFlag} from '../member-flags.js'
import {timingFlags} from '../timing-flags.js'

/** `dledger start`: one member in the foreground. */
export default class Start extends BaseCommand<typeof Start> {
  static override summary = 'Run one member in the foreground until Ctrl-C'
  static override description = `Runs member --id of the cluster: peers, group, timing, preferred leaders and token come from the profile in the home unless flags give them (with --peers the profile is not used). The settings are checked before anything listens; every problem is one line and exit 2. The member listens on the host and port of its own peers entry, keeps its term and vote in its data directory (<home>/data/<group>/<id>/ unless --data-dir, mode 0700, locked while the member runs: a second member on it is refused with the PID that holds it) and stops cleanly on SIGINT or SIGTERM (exit 0). Once it listens, its PID is recorded in <home>/run/<id>.json (removed when it stops), so \`dledger down\` stops it and \`dledger up\` knows it runs. A leader that is stopped cleanly first hands leadership to its most caught-up live follower, bounded by the transfer deadline (3 s), so a planned restart costs no election timeout; --no-handoff skips that, and so does SIGUSR2 (\`dledger down --no-handoff\` sends it).

At start the term/vote record is compared with the member's own vote log: when the log shows a newer term or a vote the record lacks (state.json restored from an old copy, or lost), the member refuses to start, since it could vote twice in one term; --accept-rolled-back-state starts it anyway.

The token comes from --token-file, DLEDGER_TOKEN or the profile; --token works too but shows it to every user in the process list.

Three terminals running \`dledger start --id n0\`, \`--id n1\` and \`--id n2\` form the profile's cluster.`

  static override examples = [
    {description: "One member of the profile's cluster", command: '<%= config.bin %> <%= command.id %> --id n0'},
    {
      description: 'Without a profile (one command per host)',
      command:
        '<%= config.bin %> <%= command.id %> --id n1 --peers "n0-10.0.0.1:20911;n1-10.0.0.2:20911;n2-10.0.0.3:20911" --token-file cluster.token',
    },
    {description: 'Fast timing, with a hook on every role change', command: '<%= config.bin %> <%= command.id %> --id n2 --timing fast --on-role-change ./notify.sh'},
  ]

  static override flags = {
    id: Flags.string({description: 'the id of this member in the peers list', required: true}),
    group: Flags.string({description: 'group name [default: the profile\'s, else "default"]'}),
    'data-dir': Flags.string({description: 'data directory [default: <home>/data/<group>/<id>]'}),
    'on-role-change': onRoleChangeFlag,
    handoff: Flags.boolean({
      description: 'on a clean stop (SIGINT, SIGTERM), a leader first hands leadership to its most caught-up live follower',
      default: true,
      allowNo: true,
    }),
    'accept-rolled-back-state': Flags.boolean({
      description: 'start even though the vote log shows a newer term or vote than the term/vote record (restored from an old copy, or lost); only if this member may vote again in those terms',
      default: false,
    }),
    ...timingFlags,
  }

  async run(): Promise<void> {
    const {resolvePaths, memberDataDir} = await import('../paths.js')
    const {loadProfile, memberSettings, settingsUsageError} = await import('../profile.js')
    const {timingOverrides} = await import('../timing-flags.js')
    const {SettingsError} = await import('../../core/settings.js')
    const flags = this.flags
    const paths = resolvePaths(flags.home, this.config)

    // settings first: nothing listens until they are valid (spec S3)
    const profile = flags.peers === undefined ? await loadProfile(paths) : null
    let settings
    try {
      settings = memberSettings({selfId: flags.id, profile, peers: flags.peers, group: flags.group, flags: timingOverrides(flags)})
    } catch (error) {
      if (error instanceof SettingsError) {
        const noPeers = profile === null && flags.peers === undefined
        throw settingsUsageError(error, {
          hint: noPeers ? `no cluster profile in ${paths.home ?? paths.configDir}; run \`dledger init\` or pass --peers` : undefined,
        })
      }
      throw error
    }
    const token = flags.token ?? profile?.token
    const dataDir = flags['data-dir'] ?? memberDataDir(paths, settings.group, settings.selfId)

    const {startMember, StartupError} = await import('../../node/member.js')
    const {runUntilStopped} = await import('../../node/run-until-stopped.js')
    const {createLogger} = await import('../../node/logger.js')
    const log = createLogger({name: settings.selfId})
    let member
    try {
      member = await startMember({settings, dataDir, token, onRoleChange: flags['on-role-change'], acceptRolledBackState: flags['accept-rolled-back-state'], log})
    } catch (error) {
      if (error instanceof StartupError && error.code === 'EADDRINUSE') {
        // say who holds the port: this very member started before, another member, or a connection
        const {whyPortInUse} = await import('../port-owner.js')
        const why = await whyPortInUse(settings.peers.find((p) => p.id === settings.selfId)!, {token})
        throw new OperationError(why.problem, {code: 'PORT_IN_USE', hint: why.hint})
      }
      if (error instanceof StartupError) throw new OperationError(error.message, {code: 'STARTUP_FAILED', hint: error.hint})
      throw error
    }

    const self = settings.peers.find((p) => p.id === settings.selfId)
    this.log(`${settings.selfId} listening on ${self?.host}:${member.port} (group ${settings.group}, term ${member.status().term}, data ${dataDir})`)
    // recorded like the members `up` spawns, so `down` and `up` know it runs
    const {recordSelf} = await import('../local-members.js')
    const forget = recordSelf(paths, {id: settings.selfId, port: member.port, address: `${self?.host}:${member.port}`})

    // until SIGINT/SIGTERM (a clean stop; a second signal exits at once) or a fail-stop
    let code: number
    try {
      code = await runUntilStopped(member, {log, handoff: flags.handoff})
    } finally {
      forget()
    }
    if (code !== 0) {
      const cause = await member.closed
      throw new OperationError(`${settings.selfId} stopped: ${cause?.message ?? 'fail-stop'}`, {code: 'MEMBER_FAILED'})
    }
    // the member closed its sockets and timers; should anything linger, do not hang on it
    setTimeout(() => process.exit(0), 2000).unref()
  }
}
