/**
 * The script and style of the timeline page, inlined into the HTML (no network). The script draws
 * a TimelineModel (model.ts) as SVG and redraws it on zoom (wheel, +/- buttons) and pan (drag);
 * hover shows each mark's details through SVG <title>s. `window.dledgerTimeline.setModel(m)`
 * replaces the model (the live page calls it as events stream in) and keeps following the end
 * unless the user zoomed or panned away from it.
 *
 * Every element carries data-* attributes (data-node, data-role, data-term, data-duration-ms …)
 * so tests and users can read the picture back.
 */

export const TIMELINE_STYLE = `
.tl { font: 12px system-ui, sans-serif; color: #222; }
.tl-head { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; margin: 4px 0 8px; }
.tl-head h1 { font-size: 17px; margin: 0; }
.tl-summary { color: #444; } .tl-crowded { color: #8a5300; }
.tl-tools button { font: inherit; padding: 1px 8px; margin-right: 2px; cursor: pointer; }
.tl-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 6px; color: #333; }
.tl-legend span { display: inline-flex; align-items: center; gap: 4px; }
.tl-legend i { display: inline-block; width: 14px; height: 10px; border: 1px solid #0003; }
.tl-svg { width: 100%; display: block; user-select: none; cursor: grab; background: #fff; border: 1px solid #ddd; }
.tl-svg.dragging { cursor: grabbing; }
.band-FOLLOWER { fill: #cfe3f7; } .band-CANDIDATE { fill: #f7d58a; } .band-LEADER { fill: #3d9a4f; }
.band-DOWN { fill: #9a9a9a; } .band-SILENT { fill: url(#tl-hatch-silent); }
.gap { fill: url(#tl-hatch-gap); } .gap-label { fill: #b3261e; font-weight: 600; font-size: 11px; }
.term-line { stroke: #555; stroke-dasharray: 3 3; } .term-label { fill: #333; font-size: 11px; }
.lane-label { font-weight: 600; font-size: 13px; } .lane-sep { stroke: #eee; }
.tick { stroke: #ccc; } .tick-label { fill: #666; font-size: 10px; }
.ballot-line { stroke: #a26b00; stroke-width: 2; }
.ballot { stroke: #333; stroke-width: .5; } .ballot-PASSED { fill: #1b7f2a; } .ballot-other { fill: #e08a00; } .ballot-none { fill: #bbb; }
.vote { stroke: #1b5fae; stroke-width: 1.2; fill: none; marker-end: url(#tl-arrow); opacity: .8; }
.marker text { font-size: 13px; font-weight: 700; text-anchor: middle; dominant-baseline: central; }
.mk-kill text { fill: #c00; } .mk-restart text { fill: #1b7f2a; } .mk-heartbeat-timeout text { fill: #7a4b00; font-size: 11px; }
.mk-quorum-lost text { fill: #7a4b00; } .mk-transfer text { fill: #6a1b9a; } .mk-elect text { fill: #6a1b9a; }
.mk-pause text, .mk-resume text, .mk-isolate text, .mk-fault-set text { fill: #c00; } .mk-fault-cleared text { fill: #1b7f2a; }
.fault-line { stroke: #c00; stroke-width: 1.5; stroke-dasharray: 6 3; } .fault-label { fill: #c00; font-size: 11px; }
.tl-empty { fill: #888; font-size: 14px; }
`

/** The drawing code, run in the browser. Plain JS (it is inlined as text). */
export const TIMELINE_SCRIPT = String.raw`
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var LANE = 34, TOP = 46, LEFT = 64, RIGHT = 16, BOTTOM = 22;
  var SYMBOL = {kill: '\u2715', restart: '\u21bb', 'heartbeat-timeout': '\u25cb', 'quorum-lost': '!', transfer: '\u21c4', elect: '\u2605', pause: '\u2016', resume: '\u25b6', isolate: '\u2298', 'fault-set': '\u2298', 'fault-cleared': '\u2713'};
  var CLUSTER_WIDE = {partition: 1, cut: 1, heal: 1, loss: 1};
  var root = document.getElementById('timeline');
  var svg = root.querySelector('svg.tl-svg');
  var model = null, view = null, following = true;

  function el(name, attrs, parent, title) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (title) { var t = document.createElementNS(NS, 'title'); t.textContent = title; e.appendChild(t); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function dur(ms) {
    ms = Math.round(ms);
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    var m = Math.floor(ms / 60000), s = Math.round((ms % 60000) / 1000);
    if (m < 60) return m + 'm ' + (s < 10 ? '0' : '') + s + 's';
    return Math.floor(m / 60) + 'h ' + (m % 60) + 'm';
  }
  function offset(ms) {
    if (ms === 0) return '0';
    if (ms < 1000) return '+' + Math.round(ms) + 'ms';
    if (ms < 60000) return '+' + +(ms / 1000).toFixed(3) + 's';
    var m = Math.floor(ms / 60000), s = +((ms % 60000) / 1000).toFixed(3);
    return '+' + (m >= 60 ? Math.floor(m / 60) + 'h' + (m % 60) + 'm' : m + 'm') + (s ? s + 's' : '');
  }
  function when(ms) {
    var rel = offset(ms);
    if (model.clock !== 'wall') return rel;
    return new Date(model.startMs + ms).toISOString().replace('T', ' ').replace('Z', ' UTC') + ' (' + rel + ')';
  }
  function niceStep(span, px) {
    var want = span / Math.max(1, px / 110);
    var steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000];
    for (var i = 0; i < steps.length; i++) if (steps[i] >= want) return steps[i];
    return steps[steps.length - 1];
  }

  function summary() {
    var leaders = model.terms.filter(function (t) { return t.leaderId; }).map(function (t) { return 't' + t.term + ' ' + t.leaderId; });
    // a long, busy run led hundreds of terms: name the first and the last few
    if (leaders.length > 12) leaders = leaders.slice(0, 4).concat(['\u2026 ' + (leaders.length - 8) + ' more \u2026'], leaders.slice(-4));
    var closed = model.gaps.filter(function (g) { return !g.open && g.fromMs > 0; });
    return model.members.length + ' members \u00b7 ' + dur(model.endMs) + ' \u00b7 leaders: ' + (leaders.join(', ') || 'none') +
      ' \u00b7 leaderless ' + dur(model.leaderlessMs) + ' in ' + model.gaps.length + ' gap' + (model.gaps.length === 1 ? '' : 's') +
      (closed.length ? ' (longest after the start: ' + dur(closed.reduce(function (m, g) { return Math.max(m, g.durationMs); }, 0)) + ')' : '');
  }

  function draw() {
    if (!model) return;
    var width = Math.max(300, svg.parentNode.clientWidth || 900);
    var lanes = model.members.length;
    var height = TOP + Math.max(1, lanes) * LANE + BOTTOM;
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    while (svg.lastChild) svg.removeChild(svg.lastChild);
    var defs = el('defs', {}, svg);
    var hg = el('pattern', {id: 'tl-hatch-gap', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)'}, defs);
    el('rect', {width: 6, height: 6, fill: '#fde7e6'}, hg);
    el('line', {x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#f0a8a3', 'stroke-width': 3}, hg);
    var hs = el('pattern', {id: 'tl-hatch-silent', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)'}, defs);
    el('rect', {width: 6, height: 6, fill: '#eee'}, hs);
    el('line', {x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#bbb', 'stroke-width': 2}, hs);
    var mk = el('marker', {id: 'tl-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse'}, defs);
    el('path', {d: 'M0,0 L10,5 L0,10 z', fill: '#1b5fae'}, mk);
    document.getElementById('tl-summary').textContent = summary();

    var end = Math.max(1, model.endMs);
    // following the end: the whole run stays whole; a zoomed-in window slides along with the end
    if (!view || (following && view.from <= 0)) view = {from: 0, to: end};
    else if (following) view = {from: Math.max(0, end - (view.to - view.from)), to: end};
    var plot = width - LEFT - RIGHT;
    var k = plot / Math.max(1, view.to - view.from);
    function x(ms) { return LEFT + (ms - view.from) * k; }
    function laneY(node) { return TOP + model.members.indexOf(node) * LANE; }
    function visible(a, b) { return b >= view.from && a <= view.to; }
    function clipX(ms) { return Math.min(width - RIGHT, Math.max(LEFT, x(ms))); }

    var axis = el('g', {'class': 'axis'}, svg);
    var step = niceStep(view.to - view.from, plot);
    for (var t = Math.ceil(view.from / step) * step; t <= view.to; t += step) {
      el('line', {'class': 'tick', x1: x(t), x2: x(t), y1: 14, y2: height - BOTTOM}, axis);
      el('text', {'class': 'tick-label', x: x(t) + 2, y: 11}, axis).textContent = offset(t);
    }
    var lanesG = el('g', {'class': 'lanes'}, svg);
    model.members.forEach(function (m, i) {
      var y = TOP + i * LANE;
      el('line', {'class': 'lane-sep', x1: 0, x2: width, y1: y + LANE, y2: y + LANE}, lanesG);
      var label = el('text', {'class': 'lane-label', x: 8, y: y + LANE / 2 + 4, 'data-lane': m}, lanesG);
      label.textContent = m;
    });
    var gapsG = el('g', {'class': 'gaps'}, svg);
    model.gaps.forEach(function (g) {
      if (!visible(g.fromMs, g.toMs)) return;
      var x1 = clipX(g.fromMs), x2 = clipX(g.toMs);
      var tip = 'no leader for ' + dur(g.durationMs) + (g.open ? ' (until the end)' : '') + '\nfrom ' + when(g.fromMs) + '\nto ' + when(g.toMs);
      el('rect', {'class': 'gap', x: x1, y: 28, width: Math.max(1, x2 - x1), height: height - 28 - BOTTOM, 'data-from-ms': g.fromMs, 'data-to-ms': g.toMs, 'data-duration-ms': g.durationMs, 'data-open': g.open}, gapsG, tip);
      if (x2 - x1 > 24 || g.durationMs >= 50) el('text', {'class': 'gap-label', x: x1 + 2, y: 38, 'data-duration-ms': g.durationMs}, gapsG, tip).textContent = dur(g.durationMs);
    });
    var bandsG = el('g', {'class': 'bands'}, svg);
    model.bands.forEach(function (b) {
      if (!visible(b.fromMs, b.toMs)) return;
      var x1 = clipX(b.fromMs), x2 = clipX(b.toMs), y = laneY(b.node);
      var h = b.role === 'LEADER' ? LANE - 8 : b.role === 'CANDIDATE' ? LANE - 14 : LANE - 18;
      el('rect', {'class': 'band band-' + b.role, x: x1, y: y + (LANE - h) / 2, width: Math.max(1, x2 - x1), height: h,
        'data-node': b.node, 'data-role': b.role, 'data-term': b.term, 'data-from-ms': b.fromMs, 'data-to-ms': b.toMs},
        bandsG, b.node + ' ' + b.role + (b.role === 'DOWN' || b.role === 'SILENT' ? '' : ' in term ' + b.term) + ' for ' + dur(b.toMs - b.fromMs) +
        '\nfrom ' + when(b.fromMs) + '\nto ' + when(b.toMs) + (b.reason ? '\n' + b.reason : ''));
    });
    var termsG = el('g', {'class': 'terms'}, svg);
    var lastLabelX = -1e9;
    model.terms.forEach(function (t) {
      if (t.atMs < view.from || t.atMs > view.to) return;
      var tx = x(t.atMs);
      var tip = 'term ' + t.term + ' begins ' + when(t.atMs) + (t.leaderId ? '\nled by ' + t.leaderId : '\nno leader');
      el('line', {'class': 'term-line', x1: tx, x2: tx, y1: 14, y2: height - BOTTOM, 'data-term': t.term}, termsG, tip);
      if (tx - lastLabelX > 46) { el('text', {'class': 'term-label', x: tx + 2, y: 24}, termsG, tip).textContent = 't' + t.term + (t.leaderId ? ' ' + t.leaderId : ''); lastLabelX = tx; }
    });
    // too many marks to tell apart at this zoom: keep the won ballots, leave the rest for zooming in
    var crowd = plot / 3, hidden = [];
    var shownBallots = model.ballots.filter(function (b) { return visible(b.fromMs, b.toMs); });
    if (shownBallots.length > crowd) {
      hidden.push((shownBallots.length - shownBallots.filter(function (b) { return b.result === 'PASSED'; }).length) + ' lost ballots');
      shownBallots = shownBallots.filter(function (b) { return b.result === 'PASSED'; });
    }
    var shownVotes = model.votes.filter(function (v) { return v.atMs >= view.from && v.atMs <= view.to; });
    if (shownVotes.length > crowd) { hidden.push(shownVotes.length + ' votes'); shownVotes = []; }
    var shownMarkers = model.markers.filter(function (m) { return m.atMs >= view.from && m.atMs <= view.to; });
    var timeouts = shownMarkers.filter(function (m) { return m.kind === 'heartbeat-timeout'; }).length;
    if (timeouts > crowd) { hidden.push(timeouts + ' heartbeat timeouts'); shownMarkers = shownMarkers.filter(function (m) { return m.kind !== 'heartbeat-timeout'; }); }
    var ballotsG = el('g', {'class': 'ballots'}, svg);
    shownBallots.forEach(function (b) {
      var y = laneY(b.node) + 6, x2 = x(b.toMs);
      var c = b.counters, lines = ['ballot of ' + b.node + ' in term ' + b.term + ': ' + (b.result || 'no result logged'), 'from ' + when(b.fromMs) + ' (' + dur(b.toMs - b.fromMs) + ')'];
      for (var key in c) lines.push(key + ' = ' + c[key]);
      var tip = lines.join('\n');
      if (x2 - x(b.fromMs) > 2) el('line', {'class': 'ballot-line', x1: clipX(b.fromMs), x2: clipX(b.toMs), y1: y, y2: y}, ballotsG, tip);
      el('path', {'class': 'ballot ' + (b.result === 'PASSED' ? 'ballot-PASSED' : b.result ? 'ballot-other' : 'ballot-none'), d: 'M' + x2 + ',' + (y - 5) + ' l5,5 l-5,5 l-5,-5 z',
        'data-node': b.node, 'data-term': b.term, 'data-result': b.result || ''}, ballotsG, tip);
    });
    var votesG = el('g', {'class': 'votes'}, svg);
    shownVotes.forEach(function (v) {
      var y1 = laneY(v.from) + LANE / 2, y2 = laneY(v.to) + LANE / 2, vx = x(v.atMs);
      var dir = y2 > y1 ? -1 : 1;
      el('path', {'class': 'vote', d: 'M' + vx + ',' + y1 + ' Q' + (vx + 10) + ',' + ((y1 + y2) / 2) + ' ' + vx + ',' + (y2 + dir * 9), 'data-from': v.from, 'data-to': v.to, 'data-term': v.term},
        votesG, v.from + ' votes for ' + v.to + ' in term ' + v.term + '\n' + when(v.atMs));
    });
    var marksG = el('g', {'class': 'markers'}, svg);
    shownMarkers.forEach(function (m) {
      var mx = x(m.atMs), tip = m.label + '\n' + when(m.atMs);
      if (m.node === null || CLUSTER_WIDE[m.kind]) {
        var g = el('g', {'class': 'marker mk-' + m.kind, 'data-kind': m.kind}, marksG, tip);
        el('line', {'class': 'fault-line', x1: mx, x2: mx, y1: 28, y2: height - 4}, g);
        el('text', {'class': 'fault-label', x: mx + 3, y: height - 7}, g).textContent = m.label;
        return;
      }
      var y = laneY(m.node) + LANE - 8;
      var g2 = el('g', {'class': 'marker mk-' + m.kind, 'data-kind': m.kind, 'data-node': m.node}, marksG, tip);
      el('text', {x: mx, y: m.kind === 'heartbeat-timeout' ? y + 2 : laneY(m.node) + LANE / 2}, g2).textContent = SYMBOL[m.kind] || '\u2022';
    });
    if (model.members.length === 0) el('text', {'class': 'tl-empty', x: LEFT, y: TOP + 20}, svg).textContent = 'no events yet';
    var crowded = document.getElementById('tl-crowded');
    crowded.textContent = hidden.length ? 'zoom in to see ' + hidden.join(', ') : '';
  }

  function zoom(factor, atX) {
    if (!model) return;
    var width = svg.clientWidth || 900, plot = width - LEFT - RIGHT;
    var span = view.to - view.from;
    var center = view.from + Math.min(1, Math.max(0, ((atX === undefined ? LEFT + plot / 2 : atX) - LEFT) / plot)) * span;
    var next = Math.min(Math.max(model.endMs, 1), Math.max(5, span * factor));
    var from = center - (center - view.from) * (next / span);
    setView(from, from + next);
  }
  function setView(from, to) {
    var end = Math.max(1, model.endMs), span = to - from;
    if (from < 0) { from = 0; to = span; }
    if (to > end) { to = end; from = Math.max(0, end - span); }
    view = {from: from, to: to};
    following = to >= end - 1;
    draw();
  }
  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, e.clientX - r.left);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('mousedown', function (e) { drag = {x: e.clientX, from: view.from, to: view.to}; svg.classList.add('dragging'); });
  window.addEventListener('mouseup', function () { drag = null; svg.classList.remove('dragging'); });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var plot = (svg.clientWidth || 900) - LEFT - RIGHT;
    var dms = (e.clientX - drag.x) * (drag.to - drag.from) / plot;
    setView(drag.from - dms, drag.to - dms);
  });
  root.querySelector('[data-zoom=in]').addEventListener('click', function () { zoom(0.5); });
  root.querySelector('[data-zoom=out]').addEventListener('click', function () { zoom(2); });
  root.querySelector('[data-zoom=reset]').addEventListener('click', function () { view = null; following = true; draw(); });
  window.addEventListener('resize', draw);

  window.dledgerTimeline = {
    setModel: function (m) { model = m; draw(); },
    view: function () { return view; },
  };
  var data = document.getElementById('timeline-data');
  if (data && data.textContent.trim() !== '') window.dledgerTimeline.setModel(JSON.parse(data.textContent));
})();
`
