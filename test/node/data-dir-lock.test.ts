import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it, type TestContext} from 'node:test'

import {DataDirLock, LOCK_FILE, processStartTime} from '../../src/node/data-dir-lock.js'
import {StartupError} from '../../src/node/errors.js'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dledger-lock-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

/** The PID of a process that has exited (and been reaped): nobody holds a lock under it. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!
}

describe('the data directory lock', () => {
  it('is exclusive while held and free again once released', (t) => {
    const dir = tempDir(t)
    const lock = DataDirLock.acquire(dir)
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid)
    assert.throws(
      () => DataDirLock.acquire(dir),
      (error: unknown) => error instanceof StartupError && error.message === `the data directory ${dir} is in use by PID ${process.pid} (lock ${join(dir, LOCK_FILE)})`,
    )
    lock.release()
    assert.equal(existsSync(join(dir, LOCK_FILE)), false)
    DataDirLock.acquire(dir).release()
  })

  it('a lock left by a dead process (kill -9) is taken over', (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({pid: deadPid(), startTime: '1'}))
    const lock = DataDirLock.acquire(dir)
    assert.equal(lock.held(), true)
    lock.release()
  })

  it('a lock whose PID now belongs to another process (a different start time) is taken over', (t) => {
    const dir = tempDir(t)
    assert.notEqual(processStartTime(process.pid), null, 'this test needs /proc')
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({pid: process.pid, startTime: 'not-this-process'}))
    DataDirLock.acquire(dir).release()
  })

  it('a holder whose lock was moved away knows it no longer holds it', (t) => {
    const dir = tempDir(t)
    const lock = DataDirLock.acquire(dir)
    renameSync(join(dir, LOCK_FILE), join(dir, 'moved'))
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({pid: process.pid, startTime: processStartTime(process.pid)}))
    assert.equal(lock.held(), false)
    lock.release()
    assert.equal(existsSync(join(dir, LOCK_FILE)), true, 'release leaves a lock that is not its own alone')
  })
})
