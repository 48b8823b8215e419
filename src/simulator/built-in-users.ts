import type { UserScenario } from './simulator-options.js';

/** The sample's list owner: a public list that tells the README's "exports 5,000 of 8,229,668" story. */
export const PUBLIC_UID = '6754915036232582149';
/** A user whose privacy settings hide the list: data.status_code 2096, hidden shape. */
export const PRIVATE_UID = '6754915036232582000';
/** A user who does not exist: data.status_code 2065. */
export const MISSING_UID = '6754915036232582001';
/** The token the simulator accepts unless told otherwise. Not a secret: it opens nothing real. */
export const DEFAULT_TOKEN = 'sim-token';

export const BUILT_IN_USERS: Readonly<Record<string, UserScenario>> = {
  [PUBLIC_UID]: {
    size: 5000,
    total: 8229668,
    cap: 5000,
    boundaryDuplicates: true,
    randomDuplicates: 0.05,
    bigRoomIds: 0.01,
  },
  [PRIVATE_UID]: { size: 0, status: 'private' },
  [MISSING_UID]: { size: 0, status: 'missing' },
};

/** The first uid of `tkf simulate --accounts n`: generated accounts are this, this + 1, ... */
export const GENERATED_UID_BASE = 7200000000000000001n;

/**
 * n generated public accounts for batch runs (`tkf simulate --accounts n`), uids counted up from
 * GENERATED_UID_BASE, each with a list of `size` followers and no depth cap. Their lists are
 * rendered only when asked, so ten thousand accounts cost nothing until exported.
 */
export function generatedUsers(count: number, size: number): Record<string, UserScenario> {
  const users: Record<string, UserScenario> = {};
  for (let i = 0n; i < BigInt(count); i++) users[String(GENERATED_UID_BASE + i)] = { size };
  return users;
}
