/**
 * How counts are written wherever a person reads them: the CLI's lines (tkf diff, tkf history,
 * progress) and the HTML report's page. One place, so that "12,345" and "+12" / "0" read the same
 * in the terminal and on the page.
 */

/** 12,345. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** A change counted: "+12", "-3", but "0": no sign on nothing. */
export const signedCount = (sign: '+' | '-', n: number): string => (n === 0 ? '0' : `${sign}${formatCount(n)}`);
