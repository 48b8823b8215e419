/**
 * Injected failures: what the vendor's gateway and TikTok do to a long export (shared/api/README.md:
 * "Expect HTTP 429 (maybe with Retry-After), 5xx from the vendor's gateway"), plus broken
 * transports: a reset socket, a body cut short, an HTML page where JSON was due.
 */
import type { ServerResponse } from 'node:http';
import { HTML_TYPE, JSON_TYPE, sendBody } from './send-body.js';
import { randomFor } from './seeded-random.js';
import type { FaultKind, Faults } from './simulator-options.js';

export const FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '429', 'reset', 'truncate', 'html'];

const SALT_FAULTS = 0x66617574;
const DEFAULT_MAX_CONSECUTIVE = 2;

/**
 * Decides, per global request number, whether that request fails and how. A random fault is drawn
 * from (seed, request number) alone, so the same request sequence fails the same way. A scheduled
 * fault always happens (tests ask for exact failures); random ones are held back once
 * `maxConsecutive` requests in a row have failed, so an export that retries always gets through.
 * Call it only for requests that would otherwise be answered.
 */
export function faultPicker(seed: number, faults: Faults | undefined): (requestNumber: number) => FaultKind | undefined {
  const rate = faults?.rate ?? 0;
  const kinds = faults?.kinds?.length ? faults.kinds : FAULT_KINDS;
  const maxConsecutive = faults?.maxConsecutive ?? DEFAULT_MAX_CONSECUTIVE;
  let consecutive = 0;
  return (requestNumber) => {
    let kind = faults?.schedule?.[requestNumber];
    if (kind === undefined && rate > 0 && consecutive < maxConsecutive) {
      const random = randomFor(SALT_FAULTS, seed, requestNumber);
      if (random() < rate) kind = kinds[Math.floor(random() * kinds.length)];
    }
    consecutive = kind === undefined ? 0 : consecutive + 1;
    return kind;
  };
}

const GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const CHALLENGE_PAGE =
  '<html><head><title>Security check</title></head><body><p>Please wait while we verify your browser...</p></body></html>';

/**
 * Answers `res` with the fault instead of `body` (the answer it would have had; 'truncate' sends
 * its first half under a Content-Length promising all of it, then drops the connection).
 */
export function sendFault(res: ServerResponse, kind: FaultKind, body: Buffer, retryAfter: string): void {
  switch (kind) {
    case '500':
      sendBody(res, 500, JSON_TYPE, '{"code":500,"msg":"Internal Server Error","data":null}');
      return;
    case '502':
      sendBody(res, 502, HTML_TYPE, GATEWAY_PAGE);
      return;
    case '503':
      sendBody(res, 503, 'text/plain; charset=utf-8', 'Service Temporarily Unavailable');
      return;
    case '429':
      res.setHeader('Retry-After', retryAfter);
      sendBody(res, 429, JSON_TYPE, '{"code":429,"msg":"请求过于频繁 (too many requests)","data":null}');
      return;
    case 'html':
      sendBody(res, 200, HTML_TYPE, CHALLENGE_PAGE);
      return;
    case 'reset':
      res.socket?.destroy();
      return;
    case 'truncate':
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
  }
}
