/** Vote-log records (spec §3) for tests, at fixed times from T0. */
import type {VoteLogRecord} from '../../src/wire/frames.js'

export const T0 = Date.parse('2026-11-25T12:00:00.000Z')
export const at = (ms: number) => new Date(T0 + ms).toISOString()

export function roleChange(node: string, ms: number, term: number, from: string, to: string, reason: string, leaderId: string | null = to === 'LEADER' ? node : null): VoteLogRecord {
  return {ts: at(ms), node, term, type: 'ROLE_CHANGE', from, to, leaderId, reason} as VoteLogRecord
}

export function parseResult(node: string, ms: number, term: number, extra: Record<string, unknown> = {}): VoteLogRecord {
  return {
    ts: at(ms),
    node,
    term,
    type: 'PARSE_VOTE_RESULT',
    result: 'PASSED',
    acceptedNum: 2,
    notReadyTermNum: 0,
    biggerLedgerNum: 0,
    validNum: 3,
    allNum: 3,
    alreadyHasLeader: false,
    knownMaxTermInGroup: term,
    costMs: 12,
    nextVoteInMs: 0,
    ...extra,
  } as VoteLogRecord
}
