/**
 * Injected failures: what the vendor's gateway and TikTok do to a long export (shared/api/README.md:
 * "Expect HTTP 429 (maybe with Retry-After), 5xx from the vendor's gateway"), plus broken
 * transports: a reset socket, a body cut short, an HTML page where JSON was due.
 */
import type { ServerResponse } from 'node:http';
import { HTML_TYPE, JSON_TYPE, sendBody } from './send-body.js';
import { randomFor } from './seeded-random.js';
import { FAULT_KINDS, type FaultKind, type Faults } from './simulator-options.js';

/** What --fault-rate draws from when no kinds are named: the first seven, the everyday ones (the rest on request). */
export const EVERYDAY_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.slice(0, 7);

/** The kinds whose answer is made from the page the request would have had. */
export const FAULTS_FROM_PAGE: readonly FaultKind[] = ['truncate', 'duplicate-keys'];

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
  const kinds = faults?.kinds?.length ? faults.kinds : EVERYDAY_FAULT_KINDS;
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

/** What a gateway in front of the vendor answers when the vendor is down: its own JSON, no envelope. */
export const GATEWAY_BODY = '{"error":"upstream connect error or disconnect/reset before headers. reset reason: connection failure"}';

/**
 * The page with repeated keys in every follower, the last of each being the page's own value (as
 * JSON.parse reads them): a nickname and a 19-digit follower_count before the real ones, and a
 * url_list before the real one inside avatar_larger (a nested object).
 */
export function withDuplicateKeys(page: Buffer): Buffer {
  return Buffer.from(
    page
      .toString('utf8')
      .replaceAll('"nickname":', '"nickname":"dup-first","follower_count":7300000000000000114,"nickname":')
      .replaceAll('"avatar_larger":{', '"avatar_larger":{"url_list":["https://dup.invalid/first.jpg"],'),
  );
}

/** One chunk of an endless body: followers' worth of bytes, over and over. */
const ENDLESS_HEAD = Buffer.from('{"code":200,"msg":"成功","data":{"has_more":true,"followers":[');
const ENDLESS_CHUNK = Buffer.from(`${'{"uid":"7000000000000000001","nickname":"endless"},'.repeat(1300)}`);

/**
 * A 200 whose body never ends (chunked, no Content-Length): followers, written as fast as the
 * client reads them (backpressure: 'drain'), until the client hangs up. `onBytes` counts them.
 */
function sendEndless(res: ServerResponse, onBytes?: (bytes: number) => void): void {
  res.writeHead(200, { 'Content-Type': JSON_TYPE });
  let open = true;
  res.on('close', () => (open = false));
  const pump = () => {
    while (open) {
      onBytes?.(ENDLESS_CHUNK.length);
      if (!res.write(ENDLESS_CHUNK)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  onBytes?.(ENDLESS_HEAD.length);
  res.write(ENDLESS_HEAD);
  pump();
}

/**
 * Answers `res` with the fault instead of `body` (the answer it would have had; 'truncate' sends
 * its first half under a Content-Length promising all of it, then drops the connection).
 */
export function sendFault(res: ServerResponse, kind: FaultKind, body: Buffer, retryAfter: string, onBytes?: (bytes: number) => void): void {
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
    case 'gateway':
      sendBody(res, 200, JSON_TYPE, GATEWAY_BODY);
      return;
    case 'endless':
      sendEndless(res, onBytes);
      return;
    case 'duplicate-keys':
      sendBody(res, 200, JSON_TYPE, withDuplicateKeys(body));
      return;
    case 'truncate':
      res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
  }
}
