/**
 * The report page's inline style and script. The system's own fonts (no web fonts: the page loads
 * nothing), with CJK, Arabic and emoji faces named for each platform so nicknames in any script
 * show. One column on a phone, two on a wide screen; print: white, no shadows, no figure split
 * across pages.
 *
 * The script only reports: a script error or a blocked load (the page's Content Security Policy
 * refuses every fetch) is written into #page-errors, where a reader and the browser test see it,
 * and the last script marks the page rendered.
 */

export const PAGE_STYLE = `
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --paper: #ffffff; --panel: #f5f7fa;
  --bar: #0f766e; --bar-muted: #b8c4ce; --accent: #e11d48; --added: #15803d; --removed: #c2410c; --beyond: #99e2d8;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", Arial,
    "PingFang SC", "Hiragino Sans", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans Arabic", "Segoe UI Historic",
    sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji";
  color: var(--ink); background: var(--paper);
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 20px 40px; line-height: 1.45; }
header h1 { margin: 0 0 4px; font-size: 1.6rem; overflow-wrap: anywhere; }
.meta { margin: 0; color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
#page-errors { color: #b00020; white-space: pre-wrap; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 20px; margin-top: 20px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { margin: 0 0 10px; font-size: 1.1rem; }
h2 small { color: var(--muted); font-weight: normal; font-size: .85rem; margin-left: .4em; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: 4px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font-size: 14px; fill: var(--ink); }
svg text.value { font-variant-numeric: tabular-nums; }
svg text.tick, svg text.share { fill: var(--muted); font-size: 12px; }
svg .row rect, svg .column rect { fill: var(--bar); }
svg .row.muted rect { fill: var(--bar-muted); }
svg .row.muted text.label { fill: var(--muted); }
svg .column.muted rect { fill: var(--bar-muted); }
svg .column.muted text.label { fill: var(--muted); }
svg line.axis { stroke: var(--muted); }
svg line.grid { stroke: var(--line); }
svg path.part { fill: var(--accent); }
svg path.rest { fill: var(--line); }
svg text.big { font-size: 28px; font-weight: 600; }
svg path.served { fill: none; stroke: var(--bar); stroke-width: 2.5; }
svg circle.served { fill: var(--bar); }
svg path.beyond { fill: var(--beyond); }
svg rect.added { fill: var(--added); }
svg rect.removed { fill: var(--removed); }
.growth-charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 16px; }
.growth svg text.tick { font-size: 14px; }
.key { display: inline-block; width: .8em; height: .8em; border-radius: 2px; vertical-align: -1px; margin: 0 .2em 0 .8em; }
.key.served { background: var(--bar); } .key.beyond { background: var(--beyond); }
.key.added { background: var(--added); } .key.removed { background: var(--removed); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card-value { font-size: 1.6rem; font-weight: 650; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.card-label { color: var(--muted); font-size: .85rem; }
.card-note { font-size: .85rem; }
.activity { display: grid; grid-template-columns: minmax(0, 1fr); gap: 12px; }
.activity figure.ring { width: min(180px, 60%); margin: 0 auto; }
svg.donut { display: block; width: 100%; height: auto; }
.note { color: var(--muted); font-size: .85rem; margin: 8px 0 0; }
ul.note { padding-left: 1.2em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .82rem; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.who { width: 100%; }
td.who .name { overflow-wrap: anywhere; }
td.uid, span.uid { color: var(--muted); font-size: .8rem; font-variant-numeric: tabular-nums; }
a { color: #1d4ed8; }
details summary { cursor: pointer; color: var(--muted); margin-top: 8px; }
footer { color: var(--muted); font-size: .82rem; margin-top: 24px; }
@media (max-width: 560px) {
  body { padding: 14px 10px 28px; }
  header h1 { font-size: 1.3rem; }
  section { padding: 12px 10px; }
  td.uid, th:last-child { display: none; }
}
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  main { grid-template-columns: 1fr 1fr; gap: 6mm; }
  section { background: none; border: none; border-top: 1px solid var(--line); border-radius: 0; padding: 10px 0; break-inside: avoid; }
  figure, tr, .card { break-inside: avoid; }
  details > summary { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;

export const PAGE_SCRIPT = `(function () {
  var errors = [];
  function render() {
    var box = document.getElementById('page-errors');
    if (box && errors.length) { box.hidden = false; box.textContent = 'Errors on this page: ' + errors.join('; '); }
  }
  function show(message) { errors.push(message); render(); }
  window.addEventListener('error', function (event) { show(String(event.message || event.type)); });
  window.addEventListener('unhandledrejection', function (event) { show(String(event.reason)); });
  document.addEventListener('securitypolicyviolation', function (event) { show('blocked ' + event.violatedDirective + ' ' + event.blockedURI); });
  document.addEventListener('DOMContentLoaded', render);
})();`;
