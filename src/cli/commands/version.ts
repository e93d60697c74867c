import {BaseCommand} from '../base-command.js'

/** One member's version, as its `/status` reports it. */
export interface MemberVersion {
  id: string
  address: string
  /** null when the member did not answer (see `error`) */
  version: string | null
  error: string | null
}

/** What `version --json` prints. */
export interface VersionResult {
  /** this command-line tool's version */
  version: string
  node: string
  platform: string
  /** the cluster's members (empty without a profile or --peers) */
  members: MemberVersion[]
}

/** `dledger version`: this CLI's version and each reachable member's (like `kubectl version`). */
export default class Version extends BaseCommand<typeof Version> {
  static override summary = "Print dledger's version and the version each member runs"
  static override description = `Prints the version of this dledger, then, when there is a cluster (the profile in the home, or --peers), the version each member reports in its /status; a member that does not answer shows why. A warning follows when a member runs another version. \`dledger --version\` (or -v) prints only this dledger's version. Always exits 0.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'As JSON: {"version","node","platform","members":[{"id","address","version","error"}]}', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  async run(): Promise<VersionResult> {
    const {resolvePaths} = await import('../paths.js')
    const {loadProfile, resolveCluster} = await import('../profile.js')
    const {probeCluster} = await import('../cluster-client.js')
    const paths = resolvePaths(this.flags.home, this.config)
    const result: VersionResult = {version: this.config.version, node: process.version, platform: `${process.platform}-${process.arch}`, members: []}

    // no cluster is fine: the CLI's own version is the answer
    const hasCluster = this.flags.peers !== undefined || (await loadProfile(paths).catch(() => null)) !== null
    if (hasCluster) {
      const cluster = await resolveCluster(this.flags, paths)
      const probes = await probeCluster(cluster.peers, {token: cluster.token})
      result.members = probes.map((p) => ({
        id: p.peer.id,
        address: p.peer.address,
        version: p.ok ? (p.status.version ?? 'unknown') : null,
        error: p.ok ? null : p.error,
      }))
    }
    if (this.jsonEnabled()) return result

    this.log(`dledger ${result.version} (node ${result.node}, ${result.platform})`)
    if (result.members.length > 0) {
      const {renderTable} = await import('../output.js')
      this.log(await renderTable(['ID', 'ADDRESS', 'VERSION'], result.members.map((m) => [m.id, m.address, m.version ?? m.error ?? '-'])))
      const other = result.members.filter((m) => m.version !== null && m.version !== result.version)
      for (const m of other) this.log(`warning: ${m.id} runs dledger ${m.version}, this is ${result.version}`)
    }
    return result
  }
}
