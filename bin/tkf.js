#!/usr/bin/env node
// Keeps V8's young generation at its starting size instead of letting it grow to 16 MB
// semi-spaces (64 MB on Node 24+). An export allocates fast and briefly (a page body, its
// followers, their rows), which is exactly what makes V8 grow the young generation, and its peak
// RSS with it: a 100,000-follower CSV export peaked at 140 / 265 / 220 MB on Node 20 / 24 / 26
// without it, 112 / 158 / 168 MB with it (set at the start of main then), in the same wall time.
//
// Set here, before tkf's modules load: compiling them is what first grows the space, and a space
// grown then stays grown. Set later (at the start of main), a 100k JSONL export on Node 20 began
// in 1 to 3 runs of 10 with an 8 MB new space instead of 2-4 MB, and with main.ts's small old
// generation fell into ~140 full collections instead of ~35 (+0.5-1 s of CPU, peak RSS ~104 MB).
// Set here: 20-22 full collections and a peak of 90-94 MB in 48 runs of 48. Hence also main.js
// imported only after it. (An export whose rows are decoded grows it once, to 2 MiB: main.ts
// growYoungGenerationOnce.)
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
let loaded;
try {
  loaded = await import('../dist/cli/main.js');
} catch (error) {
  // Node reads tkf's modules many at once: a very small open-file limit fails that, before tkf
  // runs a line of its own. One sentence (exit 7, as other files tkf cannot open), not a stack.
  if (error?.code !== 'EMFILE' && error?.code !== 'ENFILE') throw error;
  process.stderr.write(`tkf: cannot start: too many open files while loading tkf (${error.code}); raise the limit with ulimit -n (1024 is common)\n`);
  process.exit(7);
}
loaded.main(process.argv);
