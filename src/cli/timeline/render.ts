/**
 * The timeline as one self-contained HTML page: the model as inline JSON, the drawing script and
 * the style inline, no network. `timelineSection` is the part the live page (`dledger ui`) reuses.
 */
import type {TimelineModel} from './model.js'
import {TIMELINE_SCRIPT, TIMELINE_STYLE} from './page-script.js'

/** Text safe inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] as string)
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

const LEGEND: [string, string][] = [
  ['#3d9a4f', 'leader'],
  ['#f7d58a', 'candidate'],
  ['#cfe3f7', 'follower'],
  ['#9a9a9a', 'down (killed)'],
  ['repeating-linear-gradient(-45deg,#eee 0 3px,#bbb 3px 5px)', 'silent (no word from it)'],
  ['repeating-linear-gradient(45deg,#fde7e6 0 3px,#f0a8a3 3px 5px)', 'no leader (gap, with its duration)'],
]

/** The timeline block: heading, tools, legend, the SVG; the model (or none yet, for the live page). */
export function timelineSection(model: TimelineModel | null, heading: string): string {
  const swatches = LEGEND.map(([bg, label]) => `<span><i style="background:${bg}"></i>${label}</span>`).join('')
  const symbols = [
    '<span><b style="color:#1b7f2a">&#9670;</b> ballot won</span>',
    '<span><b style="color:#e08a00">&#9670;</b> ballot lost (hover: counters)</span>',
    '<span><b style="color:#1b5fae">&#8600;</b> vote (voter &#8594; candidate)</span>',
    '<span><b style="color:#7a4b00">&#9675;</b> heartbeat timeout</span>',
    '<span><b style="color:#6a1b9a">&#8644;</b> transfer</span>',
    '<span><b style="color:#6a1b9a">&#9733;</b> forced election</span>',
    '<span><b style="color:#c00">&#10005;</b> kill / stop</span>',
    '<span><b style="color:#1b7f2a">&#8635;</b> restart</span>',
    '<span><b style="color:#c00">&#8214;</b> pause / <b style="color:#c00">&#9654;</b> resume</span>',
    '<span><b style="color:#c00">&#8856;</b> isolate, faults set / <b style="color:#1b7f2a">&#10003;</b> cleared</span>',
    '<span><b style="color:#c00">&#8942;</b> partition / heal</span>',
    '<span>&#8942; term boundary</span>',
  ].join('')
  return `<section class="tl" id="timeline">
<div class="tl-head"><h1>${escapeHtml(heading)}</h1><span class="tl-summary" id="tl-summary"></span>
<span class="tl-crowded" id="tl-crowded"></span><span class="tl-tools"><button data-zoom="in" title="zoom in (or the mouse wheel)">+</button><button data-zoom="out" title="zoom out">&minus;</button><button data-zoom="reset" title="the whole run">all</button> drag to pan</span></div>
<div class="tl-legend">${swatches}${symbols}</div>
<svg class="tl-svg" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="election timeline"></svg>
<script type="application/json" id="timeline-data">${model === null ? '' : scriptJson(model)}</script>
</section>`
}

/** The inline script that draws the section (after it in the page). */
export function timelineScript(): string {
  return `<script>${TIMELINE_SCRIPT}</script>`
}

/** A whole page around `body`, with the timeline's style; no network unless `connectSrc` allows it. */
export function htmlPage(opts: {title: string; style?: string; body: string; connectSrc?: string}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src ${(opts.connectSrc ?? "'none'").replace(/["<>&]/g, '')}">
<title>${escapeHtml(opts.title)}</title>
<style>body { margin: 12px 16px; font: 13px system-ui, sans-serif; }${TIMELINE_STYLE}${opts.style ?? ''}</style></head>
<body>${opts.body}</body></html>
`
}

/** The static timeline page `dledger timeline` and `sim --html` write. */
export function renderTimelinePage(model: TimelineModel): string {
  const when = model.clock === 'wall' ? ` · from ${new Date(model.startMs).toISOString()}` : ' · simulated time'
  return htmlPage({title: model.title, body: `${timelineSection(model, model.title + when)}${timelineScript()}`})
}
