/**
 * The response envelopes, as compact text in the sample's key order:
 *
 *   {"code":200,"msg":"成功","data":{"max_time":..,"min_time":..,"has_more":..,"myself_user_id":"0",
 *    "offset":..,"extra":{"fatal_item_ids":[],"logid":"..","now":..},"log_pb":{"impr_id":".."},
 *    "status_code":0,"rec_has_more":..,"total":..,"followers":[...]}}
 *
 * Vendor refusals (bad token, bad uid, quota) come as HTTP 200 with their own `code` and
 * `data: null`; only `code` 200 carries TikTok's answer.
 */
import { vendorString } from './follower-template.js';
import { mix, randomFor } from './seeded-random.js';

/** data.status_code values (vendor's table): list hidden by privacy settings; user does not exist. */
const STATUS_HIDDEN = 2096;
const STATUS_NO_USER = 2065;

/** What a list answer says besides its followers. */
export interface ListAnswer {
  /** Follow time of the first follower; -1 past the depth cap. */
  maxTime: number;
  /** The next cursor: follow time of the last follower; -1 past the depth cap. */
  minTime: number;
  hasMore: boolean;
  /** Position in the list after this answer (the sample's first page says 20); not a cursor. */
  offset: number;
}

/** Where an answer was made: `extra` and `log_pb` carry the time and a log id. */
export interface Stamp {
  now: number;
  logid: string;
}

const SALT_LOGID = 0x6c6f6764;

/**
 * A log id like the sample's "202109080115520102450220261546B838": the UTC time of `now` as
 * yyyyMMddHHmmss, then 20 upper-case hex digits, here drawn from what the answer is about.
 */
export function stampFor(now: number, ...about: number[]): Stamp {
  const time = new Date(now * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
  const random = randomFor(SALT_LOGID, mix(...about));
  let tail = '';
  while (tail.length < 20) tail += Math.floor(random() * 2 ** 24).toString(16).padStart(6, '0');
  return { now, logid: time + tail.slice(0, 20).toUpperCase() };
}

function extraAndLog(stamp: Stamp): [string, string] {
  return [
    `"extra":{"fatal_item_ids":[],"logid":"${stamp.logid}","now":${stamp.now * 1000}}`,
    `"log_pb":{"impr_id":"${stamp.logid}"}`,
  ];
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}}');

/** The full list envelope around the already rendered followers. */
export function listEnvelope(
  answer: ListAnswer,
  followers: Buffer[],
  total: number,
  stamp: Stamp,
  statusCode = 0,
  loose = false,
): Buffer {
  const [extra, logPb] = extraAndLog(stamp);
  // Drifted types (UserScenario.looseTypes): numbers as strings of digits, booleans as 1/0.
  const num = (value: number) => (loose ? `"${value}"` : String(value));
  const flag = (value: boolean) => (loose ? (value ? '1' : '0') : String(value));
  const head =
    `{"code":${num(200)},"msg":"成功","data":{"max_time":${num(answer.maxTime)},"min_time":${num(answer.minTime)},` +
    `"has_more":${flag(answer.hasMore)},"myself_user_id":"0","offset":${num(answer.offset)},${extra},${logPb},` +
    `"status_code":${num(statusCode)},"rec_has_more":${flag(answer.hasMore)},"total":${num(total)},"followers":[`;
  const parts: Buffer[] = [Buffer.from(head)];
  for (const follower of followers) {
    if (parts.length > 1) parts.push(COMMA);
    parts.push(follower);
  }
  parts.push(TAIL);
  return Buffer.concat(parts);
}

/** 2096, the hidden-list shape: no followers, no has_more (shared/api/README.md). */
export function hiddenEnvelope(stamp: Stamp, loose = false): Buffer {
  const [extra, logPb] = extraAndLog(stamp);
  const [code, status] = loose ? ['"200"', `"${STATUS_HIDDEN}"`] : ['200', String(STATUS_HIDDEN)];
  return Buffer.from(`{"code":${code},"msg":"成功","data":{"status_code":${status},${logPb},${extra}}}`);
}

/** 2065: the user does not exist; an empty, finished list. */
export function missingEnvelope(stamp: Stamp, loose = false): Buffer {
  return listEnvelope({ maxTime: 0, minTime: 0, hasMore: false, offset: 0 }, [], 0, stamp, STATUS_NO_USER, loose);
}

/** A vendor refusal: HTTP 200, its own code, `data: null`. */
export function refusalEnvelope(code: number, msg: string): string {
  return `{"code":${code},"msg":${vendorString(msg)},"data":null}`;
}
