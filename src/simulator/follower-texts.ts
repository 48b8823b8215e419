/**
 * Text that breaks naive exporters, cycled through the simulated followers' `nickname` and
 * `signature`: CSV delimiters and quotes, line breaks inside a field (CRLF, lone LF, U+2028),
 * tabs, emoji incl. ZWJ sequences and flags, CJK, right-to-left scripts, spreadsheet formula
 * triggers (leading = + - @ and the full-width ＝ that some spreadsheets also read), backslashes
 * and slashes (the vendor escapes '/' as '\/'), mixed with ordinary names so a page looks real.
 */

export const NICKNAMES: readonly string[] = [
  'mqyeq',
  'Lopez, Mia',
  'The "Real" Jay',
  'first line\r\nsecond line',
  'lone\nfeed',
  'tab\tseparated',
  '🔥 Ana 🔥',
  '👩‍👩‍👧‍👦 family',
  '🇧🇷 Bruna',
  '小红书达人',
  'محمد علي',
  'דוד כהן',
  '=SUM(A1:A9)',
  '+1 555 0100',
  '-minus-',
  '@handle',
  '＝HYPERLINK("http://x.test")',
  'liajoseph5',
  'Zoë Ångström',
  'C:\\Users\\tk',
  'AC/DC fan',
  'Kim Min-jun',
  '東京 🗼 Tokyo',
  'ok\u2028split',
  'Sam',
];

export const SIGNATURES: readonly string[] = [
  '',
  'dance, sing, repeat',
  'she said "hi"',
  'links below\r\n👇 ig: @x',
  'line one\nline two',
  'col1\tcol2',
  '',
  '👨‍💻 coder | 🎮 gamer',
  '生活就是这样',
  'مرحبا بالعالم',
  'שלום עולם',
  '=cmd|\' /C calc\'!A0',
  '+ add me',
  '-',
  '@brand collab',
  '＝1+1',
  'business: mail@example.com',
  'https://example.com/path',
  '',
  'just vibes ✨',
];

/** Words for ASCII handles (`unique_id`): letters, digits, '.' and '_' as TikTok allows. */
export const HANDLE_WORDS: readonly string[] = [
  'mia', 'jay', 'ana', 'leo', 'sara', 'kenji', 'omar', 'dana', 'lucas', 'yuki',
  'nora', 'ravi', 'zoe', 'ivan', 'lina', 'tomas', 'ayla', 'min', 'rosa', 'eli',
];

/** [region, language] pairs, including the empty values the sample carries. */
export const LOCALES: readonly (readonly [string, string])[] = [
  ['CN', ''],
  ['US', 'en'],
  ['BR', 'pt'],
  ['ID', 'id'],
  ['SA', 'ar'],
  ['IL', 'he'],
  ['JP', 'ja'],
  ['DE', 'de'],
  ['MX', 'es'],
  ['GB', 'en'],
  ['TR', 'tr'],
  ['', ''],
];
