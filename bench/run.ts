// Placeholder: the benchmarks land here later (`npm run bench`).
console.log('no benchmarks yet')
