#!/usr/bin/env node
// A member is a long-lived, mostly idle process that handles tiny messages: V8's optimizing
// tiers and a large young generation buy it nothing but memory (see docs/benchmarks.md).
if (process.argv[2] === 'start') {
  const {setFlagsFromString} = await import('node:v8')
  setFlagsFromString('--lite-mode')
  setFlagsFromString('--max-semi-space-size=1')
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
