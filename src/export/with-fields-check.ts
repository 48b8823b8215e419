/**
 * Guards --fields before money is spent: a column that no follower of the first page has is most
 * likely misspelt, and would cost a whole paid export for an empty column.
 */
import type { FollowersClient } from '../api/client.js';
import { PAGE_SIZE } from '../api/list-facts.js';
import { FieldsMissingError, UsageError } from '../errors.js';
import { decodeFollower, fieldsMissingFrom } from '../writers/fields.js';

/**
 * The client as the walk sees it, with one check on the first page (cursor 0) that has
 * followers. It throws inside that fetch, so the pager, which asks for the next page before
 * handing this one out, never sends a second request. A resumed walk (its first cursor is not 0)
 * was checked when it began: a column rarer than the first page must not block its resume.
 */
export function withFieldsCheck(client: FollowersClient, fields: readonly string[]): FollowersClient {
  let checked = false;
  return {
    get requests() {
      return client.requests;
    },
    get governor() {
      return client.governor;
    },
    account: (hooks) => client.account(hooks),
    async fetchPage(uid, cursor, signal, onArrived) {
      // No request is sent ahead of the page the check reads.
      const page = await client.fetchPage(uid, cursor, signal, checked || cursor !== 0 ? onArrived : undefined);
      if (!checked && cursor === 0 && page.followers?.length) {
        checked = true;
        const followers = page.followers.map(decodeFollower);
        const missing = fieldsMissingFrom(fields, followers);
        if (missing.length) {
          const names = missing.map((field) => `"${field}"`).join(', ');
          const known = [...new Set(followers.flatMap((f) => Object.keys(f)))];
          const near = [...new Set(missing.flatMap((field) => similarNames(field, known)))];
          // From a full page, a misspelt name for the run (it stops a --uids-file run); from a
          // short one (an account of a few followers), maybe a rare column: this account's only.
          const Refusal = page.followers.length >= PAGE_SIZE ? FieldsMissingError : UsageError;
          throw new Refusal(
            `--fields: ${names} ${missing.length === 1 ? 'is' : 'are'} in none of the ${page.followers.length} followers of the first page, so nothing was exported; ${
              near.length ? `did you mean ${near.join(', ')}? ` : ''
            }check the spelling (--out - --limit 1 shows a follower's fields)`,
          );
        }
      }
      return page;
    },
    close: () => client.close(),
  };
}

/** Field names close to a misspelt one (its first part, as a dot path may go deeper): a typo or a case slip away. */
function similarNames(field: string, known: readonly string[]): string[] {
  const head = field.split('.')[0]!.toLowerCase();
  const rest = field.includes('.') ? field.slice(field.indexOf('.')) : '';
  return known
    .filter((name) => {
      const lower = name.toLowerCase();
      return lower !== head && (editDistance(lower, head) <= 2 || (head.length >= 4 && (lower.includes(head) || head.includes(lower))));
    })
    .slice(0, 5)
    .map((name) => `${name}${rest}`);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

