/**
 * Checks whose outcome does not depend on the Node that runs the suite: another program (headless
 * Chromium, LibreOffice) reading a file tkf wrote. scripts/test-node-versions.sh runs the suite on
 * three Nodes and sets TKF_TEST_EXTERNAL_READERS=0 for the second and third, so these run once
 * per `npm run test:node` (on the machine's Node), not three times: each costs seconds of CPU
 * starting the other program. What tkf writes is still checked on every Node, by the suite's own
 * strict readers (the workbook's XML in xlsx.test.ts and xlsx-cells.test.ts, the page's HTML in
 * render-html.test.ts and report-command.test.ts). `npm test` and `npx vitest run` run them.
 */
export const externalReaders: { run: true } | { run: false; why: string } =
  process.env.TKF_TEST_EXTERNAL_READERS === '0'
    ? { run: false, why: 'TKF_TEST_EXTERNAL_READERS=0: run once, on the first Node of scripts/test-node-versions.sh' }
    : { run: true };
