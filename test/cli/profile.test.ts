import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {SettingsError, TIMING_PRESETS} from '../../src/core/settings.js'
import {UsageError} from '../../src/cli/errors.js'
import {memberDataDir, memberLogFile, resolvePaths, runRecordFile} from '../../src/cli/paths.js'
import {
  loadProfile,
  localPeers,
  memberSettings,
  profileTiming,
  redactProfile,
  resolveCluster,
  resolvedTiming,
  saveProfile,
  type Profile,
} from '../../src/cli/profile.js'

const OCLIF_DIRS = {configDir: '/home/u/.config/dledger', dataDir: '/home/u/.local/share/dledger'}

function tempHome(t: TestContext) {
  const home = mkdtempSync(join(tmpdir(), 'dledger-profile-'))
  t.after(() => rmSync(home, {recursive: true, force: true}))
  return resolvePaths(home, OCLIF_DIRS)
}

const PROFILE: Profile = {
  group: 'g1',
  peers: 'n0-127.0.0.1:7001;n1-127.0.0.1:7002;n2-127.0.0.1:7003',
  timing: 'fast',
  timingOverrides: {heartbeatIntervalMs: 150},
  preferredLeaderIds: ['n2'],
  token: 's3cret',
}

describe('paths', () => {
  it('an explicit home holds the profile, data, run records and logs', () => {
    const p = resolvePaths('/h', OCLIF_DIRS)
    assert.equal(p.home, '/h')
    assert.equal(p.profileFile, '/h/profile.json')
    assert.equal(memberDataDir(p, 'default', 'n0'), '/h/data/default/n0')
    assert.equal(runRecordFile(p, 'n1'), '/h/run/n1.json')
    assert.equal(memberLogFile(p, 'n2'), '/h/logs/n2.log')
  })

  it("without a home the profile lives in oclif's config dir and the rest in its data dir", () => {
    for (const home of [undefined, null, '']) {
      const p = resolvePaths(home, OCLIF_DIRS)
      assert.equal(p.home, null)
      assert.equal(p.profileFile, '/home/u/.config/dledger/profile.json')
      assert.equal(memberDataDir(p, 'g', 'n0'), '/home/u/.local/share/dledger/data/g/n0')
      assert.equal(p.runDir, '/home/u/.local/share/dledger/run')
    }
  })
})

describe('profile', () => {
  it('a missing profile loads as null', async (t) => {
    assert.equal(await loadProfile(tempHome(t)), null)
  })

  it('saves and loads every field; the file is JSON, mode 0600', async (t) => {
    const paths = tempHome(t)
    await saveProfile(paths, PROFILE)
    assert.deepEqual(await loadProfile(paths), PROFILE)
    assert.deepEqual(JSON.parse(readFileSync(paths.profileFile, 'utf8')).peers, PROFILE.peers)
    assert.equal(statSync(paths.profileFile).mode & 0o777, 0o600)
  })

  it('optional fields stay absent', async (t) => {
    const paths = tempHome(t)
    const minimal: Profile = {group: 'default', peers: 'n0-127.0.0.1:7001', timingOverrides: {}, preferredLeaderIds: []}
    await saveProfile(paths, minimal)
    assert.deepEqual(await loadProfile(paths), minimal)
  })

  it('saving over a profile that is not JSON replaces it (init --force repairs a broken file)', async (t) => {
    const paths = tempHome(t)
    writeFileSync(paths.profileFile, '{"peers": ')
    const profile: Profile = {group: 'g', peers: 'n0-127.0.0.1:7001', timingOverrides: {}, preferredLeaderIds: []}
    await saveProfile(paths, profile)
    assert.deepEqual(await loadProfile(paths), profile)
  })

  it('a broken profile is one UsageError that names the file', async (t) => {
    const paths = tempHome(t)
    const cases = [
      '{"peers": ',
      '{"peers": "n0-127.0.0.1:7001", "timing": "warp"}',
      '{"peers": "n0-127.0.0.1:7001", "timingOverrides": {"heartbeatIntervalMs": -5}}',
      '{"group": "g"}',
      '{"peers": "n0-127.0.0.1:99999"}',
    ]
    for (const text of cases) {
      writeFileSync(paths.profileFile, text)
      await assert.rejects(loadProfile(paths), (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error))
        assert.equal(error.code, 'PROFILE_INVALID')
        assert.ok(error.message.includes(paths.profileFile), error.message)
        assert.ok(!error.message.includes('\n'))
        return true
      })
    }
  })

  it('redactProfile masks the token', () => {
    assert.equal(redactProfile(PROFILE).token, '***')
    assert.equal(PROFILE.token, 's3cret')
  })

  it('localPeers numbers members from n0 on consecutive ports', () => {
    assert.equal(localPeers(3, 20911), 'n0-127.0.0.1:20911;n1-127.0.0.1:20912;n2-127.0.0.1:20913')
  })

  it('profileTiming splits a preset name from individual overrides', () => {
    assert.deepEqual(profileTiming({timing: 'fast', heartbeatIntervalMs: 120, preferredLeaderIds: ['n1']}), {
      timing: 'fast',
      timingOverrides: {heartbeatIntervalMs: 120},
    })
    assert.deepEqual(profileTiming({}), {timingOverrides: {}})
  })

  it('resolvedTiming applies overrides over the preset', () => {
    assert.deepEqual(resolvedTiming(PROFILE), {...TIMING_PRESETS.fast, heartbeatIntervalMs: 150})
    assert.deepEqual(resolvedTiming(null), TIMING_PRESETS.default)
  })
})

describe('memberSettings', () => {
  it('takes peers, group, timing and preferred leaders from the profile', () => {
    const s = memberSettings({selfId: 'n1', profile: PROFILE, flags: {}})
    assert.equal(s.selfId, 'n1')
    assert.equal(s.group, 'g1')
    assert.equal(s.peers.length, 3)
    assert.equal(s.heartbeatIntervalMs, 150)
    assert.equal(s.voteTimeoutMs, TIMING_PRESETS.fast.voteTimeoutMs)
    assert.deepEqual(s.preferredLeaderIds, ['n2'])
  })

  it('individual flags override the profile; --timing replaces its timing', () => {
    const a = memberSettings({selfId: 'n0', profile: PROFILE, flags: {rpcTimeoutMs: 999, preferredLeaderIds: ['n1']}})
    assert.equal(a.rpcTimeoutMs, 999)
    assert.equal(a.heartbeatIntervalMs, 150)
    assert.deepEqual(a.preferredLeaderIds, ['n1'])
    const b = memberSettings({selfId: 'n0', profile: PROFILE, flags: {timing: 'default'}})
    assert.equal(b.heartbeatIntervalMs, 2000)
  })

  it('--peers names another cluster: the profile is not used', () => {
    const s = memberSettings({selfId: 'a', profile: PROFILE, peers: 'a-127.0.0.1:9001;b-127.0.0.1:9002', flags: {}})
    assert.equal(s.group, 'default')
    assert.equal(s.heartbeatIntervalMs, 2000)
    assert.deepEqual(s.preferredLeaderIds, [])
  })

  it('an unknown member id or missing peers is a SettingsError, one problem per line', () => {
    assert.throws(() => memberSettings({selfId: 'n9', profile: PROFILE, flags: {}}), (e: unknown) => {
      assert.ok(e instanceof SettingsError)
      assert.match(e.problems.join('\n'), /self id "n9" is not in peers/)
      return true
    })
    assert.throws(() => memberSettings({selfId: 'n0', profile: null, flags: {}}), /no peers/)
    assert.throws(
      () => memberSettings({selfId: 'n0', profile: PROFILE, flags: {minVoteIntervalMs: 500, maxVoteIntervalMs: 400}}),
      (e: unknown) => e instanceof SettingsError && e.problems.some((p) => p.includes('minVoteIntervalMs')),
    )
  })
})

describe('resolveCluster', () => {
  it('--peers wins over the profile, and does not pick up its token', async (t) => {
    const paths = tempHome(t)
    await saveProfile(paths, PROFILE)
    const c = await resolveCluster({peers: 'x-127.0.0.1:9001;y-127.0.0.1:9002'}, paths)
    assert.equal(c.source, 'peers-flag')
    assert.deepEqual(
      c.peers.map((p) => p.id),
      ['x', 'y'],
    )
    assert.equal(c.group, null)
    assert.equal(c.token, undefined)
  })

  it('from the profile: token flag (or env) before the profile token', async (t) => {
    const paths = tempHome(t)
    await saveProfile(paths, PROFILE)
    const fromProfile = await resolveCluster({}, paths)
    assert.equal(fromProfile.source, 'profile')
    assert.equal(fromProfile.group, 'g1')
    assert.equal(fromProfile.token, 's3cret')
    assert.deepEqual(fromProfile.preferredLeaderIds, ['n2'])
    assert.equal((await resolveCluster({token: 'other'}, paths)).token, 'other')
  })

  it('neither a profile nor --peers: a UsageError that says what to do', async (t) => {
    const paths = tempHome(t)
    await assert.rejects(resolveCluster({}, paths), (e: unknown) => {
      assert.ok(e instanceof UsageError)
      assert.match(e.message, /^no cluster profile in .*; run `dledger up` or `dledger init`, or pass --peers$/)
      return true
    })
  })

  it('malformed --peers is a UsageError', async (t) => {
    await assert.rejects(resolveCluster({peers: 'nonsense'}, tempHome(t)), (e: unknown) => e instanceof UsageError && /--peers/.test(e.message))
  })
})
