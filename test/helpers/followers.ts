/**
 * One builder of followers for the suite, and one "expected JSONL of followers i..n" (what the
 * simulator serves, so what an export of it must hold byte for byte).
 */
import type { RawFollower } from '../../src/api/types.js';
import { renderFollower, type UserScenario } from '../../src/simulator/index.js';

/** A follower as the page parser hands it over: its uid and its exact JSON bytes. */
export function follower(fields: Record<string, unknown> | number | string = {}): RawFollower {
  let object: Record<string, unknown>;
  if (typeof fields === 'number') object = { uid: String(7000000000000000000n + BigInt(fields)), nickname: `user ${fields} 成功` };
  else if (typeof fields === 'string') object = { uid: fields };
  else object = { uid: '7005153156116071425', unique_id: 'someone', ...fields };
  return { uid: String(object.uid), bytes: Buffer.from(JSON.stringify(object)), hasLongNumbers: false };
}

/** A follower from its exact JSON text, for numbers JSON.stringify cannot write. */
export function rawFollower(text: string): RawFollower {
  return { uid: /"uid":"(\d+)"/.exec(text)?.[1] ?? '', bytes: Buffer.from(text), hasLongNumbers: true };
}

/** The simulator's followers from..to-1 of a user, one JSON object a line: an export's JSONL. */
export function expectedJsonl(uid: string, scenario: UserScenario, from: number, to: number, seed = 1): string {
  let text = '';
  for (let i = from; i < to; i++) text += `${renderFollower(seed, uid, i, scenario)}\n`;
  return text;
}
