/**
 * Loaded with `node --import ./bench/usage.mjs ...` into every measured child process: on 'exit'
 * it writes process.resourceUsage() (CPU in microseconds, maxRSS in KiB; every thread of the
 * process counted) as JSON to the file named by BENCH_USAGE_FILE.
 *
 * Why not /usr/bin/time: GNU time is not on every machine (macOS's takes other flags), and this
 * reads the same getrusage(RUSAGE_SELF) numbers from inside. tkf ends through process.exit, which
 * emits 'exit' before the process goes, so the listener sees all the work.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify(process.resourceUsage()));
  });
}
