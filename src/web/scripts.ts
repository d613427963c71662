/**
 * Code that runs inside the captured page (page.evaluate). Kept as plain JavaScript source
 * strings on purpose: functions compiled by TypeScript tooling can pick up helpers (such as
 * esbuild's `__name`) that do not exist in the page. Each is an arrow function expression;
 * call it with `evalCall(SCRIPT, args)`.
 */

/** `(${script})(${JSON args})` */
export function evalCall(script: string, args?: unknown): string {
  return `(${script})(${args === undefined ? '' : JSON.stringify(args)})`;
}

/**
 * Serializes the rendered DOM: every element with its attributes (no style/on*), text, and for
 * elements in <body> a layout tuple:
 *   [x, y, w, h, visible, fontSize, fontWeight, color, backgroundColor, borderSum, position, pointer, naturalWidth]
 * in document coordinates. Script contents go to `scripts`; the contents of style, svg, iframe
 * and similar elements are dropped (the elements stay, so sibling positions match the page).
 * Options: { maxNodes, maxDepth, maxText, maxTotalText, maxScript }.
 */
export const SNAPSHOT_SCRIPT = String.raw`(opts) => {
  const SKIP = new Set(['style', 'noscript', 'template', 'svg', 'iframe', 'object', 'canvas', 'video', 'audio', 'math', 'embed']);
  const sx = window.scrollX, sy = window.scrollY;
  const lcpEl = window.__shLcp || null;
  const body = document.body;
  let count = 0, truncated = false, totalText = 0;
  const scripts = [];
  const R = Math.round;
  function lay(el, parentVis) {
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const styleVis = parentVis && cs.display !== 'none' && cs.visibility !== 'hidden' && cs.visibility !== 'collapse' && parseFloat(cs.opacity) > 0.05;
    const vis = styleVis && r.width > 0 && r.height > 0;
    const bw = (parseFloat(cs.borderTopWidth) || 0) + (parseFloat(cs.borderRightWidth) || 0) + (parseFloat(cs.borderBottomWidth) || 0) + (parseFloat(cs.borderLeftWidth) || 0);
    const nat = el.tagName === 'IMG' ? (el.complete ? el.naturalWidth : 0) : -1;
    return { l: [R(r.left + sx), R(r.top + sy), R(r.width), R(r.height), vis ? 1 : 0, parseFloat(cs.fontSize) || 0, parseInt(cs.fontWeight, 10) || 400, cs.color, cs.backgroundColor, R(bw), cs.position, cs.cursor === 'pointer' ? 1 : 0, nat], styleVis };
  }
  function walk(el, depth, parentVis, inBody) {
    if (count >= opts.maxNodes) { truncated = true; return null; }
    count++;
    const tag = el.localName;
    const node = { t: tag };
    const attrs = {};
    let any = false;
    for (const a of el.attributes) {
      const n = a.name;
      if (n === 'style' || n.startsWith('on')) continue;
      let v = a.value;
      if (v.length > 300) v = v.slice(0, 300);
      attrs[n] = v;
      any = true;
    }
    if (any) node.a = attrs;
    let vis = parentVis;
    const inB = inBody || el === body;
    if (inB) { const x = lay(el, parentVis); node.l = x.l; vis = x.styleVis; }
    if (lcpEl && el === lcpEl) node.lcp = 1;
    if (tag === 'script') {
      const src = el.getAttribute('src');
      scripts.push({ src: src, text: src ? '' : (el.textContent || '').trim().slice(0, opts.maxScript) });
      return node;
    }
    if (SKIP.has(tag)) return node;
    if (depth >= opts.maxDepth) { if (el.children.length > 0) truncated = true; return node; }
    const kids = [];
    for (const c of el.childNodes) {
      if (c.nodeType === 1) {
        const k = walk(c, depth + 1, vis, inB);
        if (k) kids.push(k); else break;
      } else if (c.nodeType === 3) {
        let t = c.data.replace(/\s+/g, ' ').trim();
        if (!t) continue;
        if (totalText >= opts.maxTotalText) { truncated = true; continue; }
        if (t.length > opts.maxText) t = t.slice(0, opts.maxText);
        totalText += t.length;
        kids.push(t);
      }
    }
    if (kids.length > 0) node.k = kids;
    return node;
  }
  const root = walk(document.documentElement, 0, true, false);
  return {
    root,
    count: document.getElementsByTagName('*').length,
    truncated,
    vw: window.innerWidth,
    vh: window.innerHeight,
    docH: Math.max(document.documentElement.scrollHeight, body ? body.scrollHeight : 0),
    scripts,
  };
}`;

/** Navigation and paint timing (ms from navigation start); remembers the LCP element for the snapshot. */
export const TIMING_SCRIPT = String.raw`async () => {
  const nav = performance.getEntriesByType('navigation')[0] || null;
  const fcp = performance.getEntriesByName('first-contentful-paint')[0] || null;
  const lcp = await new Promise((resolve) => {
    let last = null;
    try {
      const po = new PerformanceObserver((list) => { const e = list.getEntries(); if (e.length > 0) last = e[e.length - 1]; });
      po.observe({ type: 'largest-contentful-paint', buffered: true });
      setTimeout(() => { po.disconnect(); resolve(last); }, 40);
    } catch (e) { resolve(null); }
  });
  window.__shLcp = lcp && lcp.element ? lcp.element : null;
  const n = (v) => (typeof v === 'number' && v > 0 ? Math.round(v) : null);
  return {
    ttfb_ms: nav ? n(nav.responseStart) : null,
    fcp_ms: fcp ? n(fcp.startTime) : null,
    lcp_ms: lcp ? n(lcp.startTime || lcp.renderTime || lcp.loadTime) : null,
    dom_content_loaded_ms: nav ? n(nav.domContentLoadedEventEnd) : null,
    load_ms: nav ? n(nav.loadEventEnd) : null,
  };
}`;

/**
 * Hides cookie/consent banners and modal overlays (never clicks them: a click can follow a link
 * or submit a form). A consent banner is a known CMP container, or an element whose id, class or
 * label says cookie/consent that is pinned (fixed/sticky) or holds an "Accept"-like button; a
 * modal is a pinned dialog, modal, popup or overlay that covers at least a fifth of the screen.
 * Restores scrolling when the page locked it for the overlay.
 * Returns [{ kind: 'consent' | 'modal', element: 'tag#id.class' }].
 */
export const OVERLAY_SCRIPT = String.raw`() => {
  const KNOWN = ['#onetrust-consent-sdk', '#onetrust-banner-sdk', '#CybotCookiebotDialog', '#didomi-host', '#truste-consent-track', '.cc-window',
    '#usercentrics-root', '.fc-consent-root', '#qc-cmp2-container', '#cookiefirst-root'];
  const CANDIDATES = '[id*=cookie i],[class*=cookie i],[id*=consent i],[class*=consent i],[id*=gdpr i],[class*=gdpr i],[aria-label*=cookie i],' +
    '[aria-label*=consent i],[role=dialog],[role=alertdialog],[aria-modal=true],[id*=modal i],[class*=modal i],[id*=popup i],[class*=popup i],' +
    '[id*=overlay i],[class*=overlay i],[class*=newsletter i],[class*=lightbox i],[class*=interstitial i]';
  const ACCEPT = /^\s*(?:accept(?: all)?(?: cookies)?|allow(?: all)?(?: cookies)?|i agree|agree(?: and (?:close|continue))?|i accept|got it|ok(?:ay)?|understood|yes,? i agree|alle akzeptieren|akzeptieren|tout accepter|accepter|aceptar(?: todo)?|accetta(?: tutto)?)\s*[.!]?\s*$/i;
  const CONSENT = /cookie|consent|gdpr|\bcmp\b|onetrust|cookiebot|didomi|privacy/i;
  const MODAL = /modal|popup|pop-up|overlay|lightbox|newsletter|subscribe|interstitial|dialog/i;
  const vw = window.innerWidth, vh = window.innerHeight;
  const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el); return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none' && parseFloat(cs.opacity) > 0.05; };
  const describe = (c) => (c.id ? '#' + c.id : '') + (typeof c.className === 'string' && c.className.trim() ? '.' + c.className.trim().split(/\s+/).join('.') : '');
  const pinned = (el) => { for (let c = el, i = 0; c && c !== document.body && i < 6; c = c.parentElement, i++) { const p = getComputedStyle(c).position; if (p === 'fixed' || p === 'sticky') return true; } return false; };
  const hasAccept = (el) => { for (const b of el.querySelectorAll('button, a, [role=button], input[type=button], input[type=submit]')) { const t = (b.innerText || b.value || b.getAttribute('aria-label') || '').trim(); if (t.length <= 40 && ACCEPT.test(t)) return true; } return false; };
  const hidden = [];
  const hide = (el, kind) => {
    el.style.setProperty('display', 'none', 'important');
    hidden.push({ kind: kind, element: (el.localName + describe(el)).slice(0, 120) });
  };
  for (const s of KNOWN) for (const el of document.querySelectorAll(s)) if (visible(el)) hide(el, 'consent');
  let n = 0;
  for (const el of document.querySelectorAll(CANDIDATES)) {
    if (++n > 300) break;
    if (el === document.body || el === document.documentElement || !visible(el)) continue;
    const label = describe(el) + ' ' + (el.getAttribute('aria-label') || '');
    if (CONSENT.test(label) && (pinned(el) || hasAccept(el))) { hide(el, 'consent'); continue; }
    const dialog = el.getAttribute('role') === 'dialog' || el.getAttribute('role') === 'alertdialog' || el.getAttribute('aria-modal') === 'true' || MODAL.test(label);
    if (!dialog || getComputedStyle(el).position !== 'fixed') continue;
    const r = el.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0)), h = Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
    if (w * h >= 0.2 * vw * vh) hide(el, 'modal');
  }
  if (hidden.length > 0) {
    for (const el of [document.documentElement, document.body]) if (el && getComputedStyle(el).overflowY === 'hidden') el.style.setProperty('overflow', 'visible', 'important');
  }
  return hidden;
}`;

/** Scrolls down a screen at a time (lazy content), then back to the top. Options: { maxSteps, pauseMs }. */
export const SCROLL_SCRIPT = String.raw`async (opts) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const height = () => Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);
  const step = Math.max(200, Math.round(window.innerHeight * 0.85));
  let steps = 0;
  for (let y = step; y < height() && steps < opts.maxSteps; y += step, steps++) {
    window.scrollTo({ top: y, left: 0, behavior: 'instant' });
    await sleep(opts.pauseMs);
  }
  const reachedEnd = steps < opts.maxSteps;
  window.scrollTo({ top: 0, left: 0, behavior: 'instant' });
  await sleep(20);
  return { steps, reachedEnd, height: height() };
}`;
