/**
 * One simulated follower: the sample's follower template with per-follower values, each a pure
 * function of (seed, list owner's uid, index), so any follower can be rendered on its own and in
 * any order.
 */
import { followerTemplate, vendorString, type SlotName } from './follower-template.js';
import { HANDLE_WORDS, LOCALES, NICKNAMES, SIGNATURES } from './follower-texts.js';
import { hashString, mix, randomFor } from './seeded-random.js';
import type { UserScenario } from './simulator-options.js';

const SALT_UID = 0x75696420;
const SALT_FOLLOWER = 0x666f6c6c;

/** uids are 7 "high" digits and 12 "low" digits; the low part is two halves of 6 digits. */
const HALF = 1e6;
const SEC_UID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let encodedNicknames: string[] | undefined;
let encodedSignatures: string[] | undefined;

/**
 * The 19-digit uid of follower #index of listUid's list: distinct within a list (its low 12 digits
 * are a bijection of the index) and never the list owner's own uid.
 */
export function followerUid(seed: number, listUid: string, index: number): string {
  return uidOf(lowDigits(seed, hashString(listUid), index), seed, listUid);
}

/**
 * A 4-round Feistel network over [0, 10^12) as two base-10^6 halves: a bijection, so distinct
 * indexes give distinct values, and neighbours look unrelated (real uids are not sequential).
 */
function lowDigits(seed: number, listHash: number, index: number): number {
  const key = mix(SALT_UID, seed, listHash);
  let left = Math.floor(index / HALF);
  let right = index % HALF;
  for (let round = 0; round < 4; round++) {
    const next = (left + (mix(key, round, right) % HALF)) % HALF;
    left = right;
    right = next;
  }
  return left * HALF + right;
}

function uidOf(low: number, seed: number, listUid: string): string {
  // Real uids start 66..75 (the sample's: 6754..., 7005...); the high part only decorates.
  let high = 6_600_000 + (mix(seed, low >>> 0, Math.floor(low / 2 ** 32)) % 1_000_000);
  const lowText = String(low).padStart(12, '0');
  if (`${high}${lowText}` === listUid) high += 1;
  return `${high}${lowText}`;
}

/** Compact JSON text of follower #index (0 = newest) of listUid's list, in the vendor's style. */
export function renderFollower(seed: number, listUid: string, index: number, scenario: UserScenario): string {
  const values = followerValues(seed, listUid, index, scenario);
  const { statics, slots } = followerTemplate();
  let text = statics[0]!;
  for (let k = 0; k < slots.length; k++) text += values[slots[k]!] + statics[k + 1]!;
  return text;
}

/** Each slot's JSON text for one follower, every one a pure function of (seed, list, index). */
function followerValues(seed: number, listUid: string, index: number, scenario: UserScenario): Record<SlotName, string> {
  const listHash = hashString(listUid);
  const low = lowDigits(seed, listHash, index);
  const random = randomFor(SALT_FOLLOWER, seed, listHash, index);
  encodedNicknames ??= NICKNAMES.map(vendorString);
  encodedSignatures ??= SIGNATURES.map(vendorString);
  const lowText = String(low).padStart(12, '0');
  const locale = LOCALES[Math.floor(random() * LOCALES.length)]!;
  return {
    uid: `"${uidOf(low, seed, listUid)}"`,
    sec_uid: `"MS4wLjABAAAA${secUidTail(random)}"`,
    unique_id: `"${HANDLE_WORDS[Math.floor(random() * HANDLE_WORDS.length)]!}${['', '.', '_'][index % 3]!}${low % 10_000_000}"`,
    nickname: encodedNicknames[(index + listHash) % encodedNicknames.length]!,
    signature: encodedSignatures[(index * 7 + listHash) % encodedSignatures.length]!,
    // Skewed like real accounts: most followers have few followers, a handful have millions.
    follower_count: String(Math.floor(Math.exp(random() ** 2 * 16)) - 1),
    following_count: String(Math.floor(random() * 3000)),
    aweme_count: String(Math.floor(Math.exp(random() * 7)) - 1),
    total_favorited: String(Math.floor(Math.exp(random() ** 2 * 20)) - 1),
    region: `"${locale[0]}"`,
    language: `"${locale[1]}"`,
    avatar_id: `7${lowText}${String(Math.floor(random() * 1e6)).padStart(6, '0')}`,
    room_id: roomId(random, scenario.bigRoomIds ?? 0, lowText),
  };
}

function secUidTail(random: () => number): string {
  let tail = '';
  while (tail.length < 64) {
    let bits = Math.floor(random() * 2 ** 30);
    for (let c = 0; c < 5 && tail.length < 64; c++, bits >>>= 6) tail += SEC_UID_ALPHABET[bits & 63];
  }
  return tail;
}

/**
 * 0 for most followers; for a live one a 19-digit JSON *number* such as 7300000000000000114,
 * beyond 2^53, so JSON.parse rounds it. Built as text because JSON.stringify cannot write it.
 */
function roomId(random: () => number, probability: number, lowText: string): string {
  if (probability <= 0 || random() >= probability) return '0';
  return `73${lowText}${String(Math.floor(random() * 1e5)).padStart(5, '0')}`;
}
