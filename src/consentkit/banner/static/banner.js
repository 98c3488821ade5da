/* consentkit banner: progressive enhancement of the server-rendered banner, script/embed gating,
   Consent Mode updates, the consentkit JS API and consented measurement. No eval, no inline handlers. */
(function () {
  'use strict';
  var d = document, w = window, de = d.documentElement;
  var root = d.getElementById('consentkit-banner'), cfgEl = d.getElementById('consentkit-config');
  if (!root || !cfgEl || (w.consentkit && w.consentkit.get)) return;
  var C = JSON.parse(cfgEl.textContent), S = C.state, T = C.texts;
  var l1 = d.getElementById('ck-l1'), l2 = d.getElementById('ck-l2');
  var status = root.querySelector('[role=status]');
  var FOCUSABLE = 'a[href],button:not([disabled]),input:not([disabled]):not([type=hidden]),select,textarea,[tabindex="0"]';
  var open = null, prev = null, busy = false;

  function has(c) { return S.effective.indexOf(c) >= 0; }
  function cats(el) { return (el.getAttribute('data-consent') || '').split(/\s+/).filter(Boolean); }
  function copy() { return JSON.parse(JSON.stringify(S)); }
  function emit(name, detail) { d.dispatchEvent(new CustomEvent('consentkit:' + name, { detail: detail })); }
  function panel(layer) { return layer.querySelector('[role=dialog]'); }
  // The cookies scripts can reach of withdrawn categories go, on this host and each parent domain:
  // analytics scripts set theirs on the parent domain, where the server's expiry may not reach.
  function forget(gone) {
    var globs = [];
    (S.categories || []).forEach(function (c) { if (gone.indexOf(c.key) >= 0) globs = globs.concat(c.cookies || []); });
    if (!globs.length) return;
    var rx = globs.map(function (g) {
      return new RegExp('^' + g.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    });
    var labels = location.hostname.split('.'), where = [''];
    for (var i = 0; i < labels.length - 1; i++) where.push('; domain=' + labels.slice(i).join('.'));
    d.cookie.split(';').forEach(function (pair) {
      var name = pair.split('=')[0].trim();
      if (!name || !rx.some(function (r) { return r.test(name); })) return;
      where.forEach(function (dm) { d.cookie = name + '=; Max-Age=0; path=/' + dm; });
    });
  }
  function modal(layer) { return layer && layer.classList.contains('ck-modal'); }
  var said = [];
  function say(text) {
    said.forEach(clearTimeout);
    status.textContent = '';
    said = [setTimeout(function () { status.textContent = text; }, 50),
      setTimeout(function () { status.textContent = ''; }, 6000)];
  }
  function shown(el) { return el.getClientRects().length > 0; }
  function fabs(show) {
    [].forEach.call(d.querySelectorAll('.ck-fab'), function (b) { b.hidden = !show; });
  }
  // The dock (floating button, notice, chat placeholder) sits above a first layer shown at the bottom.
  var dock = root.querySelector('.ck-dock');
  function lift() {
    var p = panel(l1), h = 0;
    if (!l1.hidden && !modal(l1) && !root.classList.contains('ck-bar-top') && shown(p)) {
      h = p.offsetHeight + parseFloat(getComputedStyle(l1).paddingBottom) + 8;
    }
    if (dock) dock.style.setProperty('--ck-lift', h + 'px');
  }

  // Layers: focus goes in when one opens and back where it was when the last one closes.
  function focusIn(layer) { open = layer; panel(layer).focus(); }
  function restore() {
    open = null;
    fabs(true);
    if (prev && prev !== d.body && d.contains(prev) && shown(prev)) prev.focus();
    else if (root.contains(d.activeElement)) d.activeElement.blur();
    prev = null;
  }
  function openSettings() {
    if (open === l2) return;
    if (!open) prev = d.activeElement;
    sync();
    l1.hidden = true;
    l2.classList.add('ck-open');
    focusIn(l2);
  }
  function closeSettings() {
    l2.classList.remove('ck-open');
    if (!S.choice_made && !dismissed()) {
      l1.hidden = false; focusIn(l1);
      var back = l1.querySelector('[form=ck-go],[data-consentkit-open]');
      if (back) back.focus();
    } else restore();
  }
  function closeAll() {
    var was = open;
    l2.classList.remove('ck-open');
    l1.hidden = true;
    fabs(true);
    if (was) restore();
  }

  function sync() {
    [].forEach.call(l2.querySelectorAll('input.ck-sw:not([disabled])'), function (i) {
      // Under an opt-out or notice regime what is in effect before a choice is switched on.
      i.checked = S.choice_made ? S.granted.indexOf(i.value) >= 0 : !!C.preset && has(i.value);
    });
  }

  // Talking to the server: the reply is the new state, announced to the site's other open pages.
  function send(body) {
    body.source = 'banner';
    body.lang = C.lang;
    busy = true;
    return fetch(C.prefix, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) throw new Error('consentkit: HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      busy = false;
      apply(s, false);
      if (bc) bc.postMessage(s);
      closeAll();
      say(T.saved);
      return copy();
    }, function (e) { busy = false; say(T.save_error); throw e; });
  }

  // `elsewhere`: the change was made outside this page (another tab, or while it was in the
  // back/forward cache). Code that already ran cannot be unloaded, so the page then reloads.
  function apply(s, elsewhere) {
    var before = S.effective;
    if (elsewhere && key(s) === key(S)) return;
    S = s;
    var gone = before.filter(function (c) { return !has(c); });
    sync();
    if (elsewhere) reshape();
    var stale = gate();
    update();
    if (has(C.measure)) measure();
    emit('change', copy());
    if (gone.length) { forget(gone); emit('withdraw', { categories: gone, state: copy() }); }
    if (elsewhere && stale) location.reload();
  }
  // A notice (opt-out or notice regime) the visitor dismissed stays dismissed in that regime.
  var DISMISSED = 'consentkit:dismissed:' + C.prefix;
  function dismissed() {
    try { return !!C.preset && w.localStorage.getItem(DISMISSED) === String(S.regime); } catch (e) { return false; }
  }
  function dismiss() {
    try { w.localStorage.setItem(DISMISSED, String(S.regime)); } catch (e) { /* kept for this page only */ }
    closeAll();
  }
  function key(s) { return JSON.stringify([s.choice_made, s.consent_id, s.decided_at, s.granted, s.effective]); }
  function reshape() {
    if (open === l2) return;
    if (S.choice_made) { if (!l1.hidden) closeAll(); }
    else if (l1.hidden) { fabs(false); l1.hidden = false; prev = d.activeElement; focusIn(l1); }
  }
  // What the cookie says now: asked whenever this page may have missed a change.
  var asking = null;
  function recheck() {
    if (asking) return;
    asking = fetch(C.prefix + '/state', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('consentkit: HTTP ' + r.status);
      return r.json();
    }).then(function (s) { asking = null; apply(s, true); }, function () { asking = null; });
  }
  var bc = null;
  try { bc = new BroadcastChannel('consentkit:' + C.prefix); } catch (e) { bc = null; }

  function update() {
    if (!C.gtag || typeof w.gtag !== 'function') return;
    var m = {};
    for (var k in C.gtag) m[k] = C.gtag[k].every(has) ? 'granted' : 'denied';
    w.gtag('consent', 'update', m);
  }

  // Gating: <script type="text/plain" data-consent>, <template data-consent> (its content is inert:
  // a frame in it is neither loaded nor restored by the browser's history until it is put in the
  // page) and [data-consent][data-src] embeds. Embeds come and go with their categories; a gated
  // script that ran while its categories are no longer in effect makes gate() return true.
  function gate() {
    var stale = false;
    [].forEach.call(d.querySelectorAll('[data-consent]'), function (el) {
      if (root.contains(el)) return;
      var ok = cats(el).every(has);
      if (el.tagName === 'SCRIPT') {
        if (el.ckDone) stale = stale || !ok;
        else if (ok && el.type === 'text/plain') runScript(el);
      } else if (el.tagName === 'TEMPLATE' || el.hasAttribute('data-src')) {
        if (ok && !el.ckOn) load(el);
        else if (!ok && el.ckOn) unload(el);
        else if (!ok && !el.ckPh) placeholder(el);
      }
    });
    // The chat widget is code that ran, too: rendered into the page, or loaded by chat.js.
    var ce = d.getElementById('consentkit-chat'), chat = ce && JSON.parse(ce.textContent);
    var ran = chat && (chat.mode === 'show' || (w.consentkitChat && w.consentkitChat.loaded));
    return stale || !!(ran && !has(chat.category));
  }
  function runScript(el) {
    var s = d.createElement('script'), src = el.getAttribute('data-src') || el.getAttribute('src');
    [].forEach.call(el.attributes, function (a) {
      if (!/^(type|src|nonce|data-src|data-consent|data-type)$/.test(a.name)) s.setAttribute(a.name, a.value);
    });
    if (el.getAttribute('data-type')) s.type = el.getAttribute('data-type');
    s.nonce = el.nonce || el.getAttribute('nonce') || '';
    if (src) { s.src = src; if (!el.hasAttribute('async')) s.async = false; } else s.text = el.text;
    el.ckDone = true;
    el.parentNode.insertBefore(s, el.nextSibling);
  }
  function load(el) {
    el.ckOn = true;
    if (el.tagName === 'TEMPLATE') {
      var frag = el.content.cloneNode(true);
      el.ckNodes = [].slice.call(frag.childNodes);
      el.parentNode.insertBefore(frag, el.nextSibling);
    } else {
      el.setAttribute('src', el.getAttribute('data-src'));
      el.classList.remove('ck-hide');
    }
    if (el.ckPh) { el.ckPh.remove(); el.ckPh = null; }
  }
  function unload(el) {
    el.ckOn = false;
    if (el.tagName === 'TEMPLATE') {
      el.ckNodes.forEach(function (n) { if (n.parentNode) n.parentNode.removeChild(n); });
      el.ckNodes = null;
      placeholder(el);
    } else {  // a copy without src: the loaded frame or media goes with the element it lived in
      var fresh = el.cloneNode(true);
      fresh.removeAttribute('src');
      el.parentNode.replaceChild(fresh, el);
      placeholder(fresh);
    }
  }
  function firstLoaded(el) {
    var n = el.tagName === 'TEMPLATE' ? (el.ckNodes || []).filter(function (x) { return x.nodeType === 1; })[0] : el;
    return n || null;
  }
  function placeholder(el) {
    var need = cats(el), box = d.createElement('div'), p = d.createElement('p'), b = d.createElement('button');
    var names = need.map(function (c) { return C.titles[c] || c; }).join(', ');
    box.className = 'ck-embed';
    box.lang = C.lang;  // it speaks the banner's language wherever the page puts it
    box.dir = root.dir;
    p.textContent = T.embed_text.replace('{category}', names);
    b.type = 'button';
    b.className = 'ck-btn';
    b.textContent = T.embed_load;
    // Adds exactly these categories to the visitor's current choice, which the server reads from
    // the choice cookie: this page's own state may be stale.
    b.addEventListener('click', function () {
      api.add(need).then(function () { var n = el.ckOn && firstLoaded(el); if (n && n.focus) n.focus(); }, function () {});
    });
    box.appendChild(p);
    box.appendChild(b);
    el.parentNode.insertBefore(box, el);
    el.classList.add('ck-hide');
    el.ckPh = box;
  }

  // Measurement, only while the measuring category is in effect: engaged time, scroll depth, outbound clicks.
  var M = null;
  function engaged() { return d.visibilityState === 'visible' && d.hasFocus(); }
  function tick() {
    var now = Date.now();
    if (M.since) M.ms += now - M.since;
    M.since = engaged() ? now : 0;
  }
  function scrolled() {
    var h = de.scrollHeight || 1, pct = Math.round(Math.min(1, (w.scrollY + w.innerHeight) / h) * 100);
    if (pct > M.scroll) M.scroll = pct;
  }
  // One beacon each time the page is hidden or left (leaving fires both pagehide and
  // visibilitychange), and only while the measuring category is in effect as far as the page
  // knows: other pages announce changes, and the state is asked again whenever the page is shown.
  function beacon() {
    if (M.out) return;
    tick();
    M.out = true;
    M.since = 0;
    if (!has(C.measure) || (M.sent && !M.ms && !M.clicks.length)) return;
    var body = JSON.stringify({ path: location.pathname, engaged_ms: M.ms, scroll: M.scroll, clicks: M.clicks });
    var url = C.prefix + '/beacon', ok = false;
    try { ok = navigator.sendBeacon(url, new Blob([body], { type: 'application/json' })); } catch (e) { ok = false; }
    if (!ok) {
      fetch(url, { method: 'POST', keepalive: true, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: body }).catch(function () {});
    }
    M.sent = true;
    M.ms = 0;
    M.clicks = [];
  }
  function measure() {
    if (M) return;
    M = { ms: 0, since: 0, scroll: 0, clicks: [], sent: false, out: false };
    tick();
    scrolled();
    w.addEventListener('focus', tick);
    w.addEventListener('blur', tick);
    w.addEventListener('scroll', scrolled, { passive: true });
    w.addEventListener('pagehide', beacon);
    w.addEventListener('pageshow', function () { M.out = false; tick(); });
    d.addEventListener('visibilitychange', function () {
      if (d.visibilityState === 'hidden') beacon(); else { M.out = false; tick(); }
    });
    d.addEventListener('click', function (e) {
      var a = e.target.closest && e.target.closest('a[href]');
      if (a && /^https?:$/.test(a.protocol) && a.host !== location.host && M.clicks.length < 20) M.clicks.push(a.href);
    }, true);
  }

  // Wiring.
  root.classList.add('ck-js');
  lift();  // and again whenever the first layer changes size, which it does when it hides or shows
  if (w.ResizeObserver) new ResizeObserver(lift).observe(panel(l1));
  for (var k in C.colors) de.style.setProperty('--ck-' + k, C.colors[k]);
  var clicked = null;  // the submit button, for browsers without SubmitEvent.submitter
  root.addEventListener('click', function (e) { clicked = e.target.closest && e.target.closest('button'); }, true);
  root.addEventListener('submit', function (e) {
    var f = e.target, b = e.submitter || clicked;
    if (f.id !== 'ck-go' && !f.classList.contains('ck-form')) return;  // not ours (the docked chat placeholder's)
    e.preventDefault();
    if (f.id === 'ck-go') { openSettings(); return; }
    if (busy) return;
    var a = b && b.value;
    var body = a === 'accept_all' || a === 'reject_all' ? { action: a } : {
      grant: [].map.call(f.querySelectorAll('input[name=grant]:checked:not([disabled]),input[name=grant][type=hidden]'),
        function (i) { return i.value; })
    };
    send(body).catch(function () {});
  });
  d.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-consentkit-open],a[href="#ck-l2"],.ck-back,.ck-dismiss');
    if (!t) return;
    if (t.classList.contains('ck-dismiss')) { e.preventDefault(); dismiss(); return; }
    e.preventDefault();
    if (t.classList.contains('ck-back')) closeSettings(); else openSettings();
  });
  d.addEventListener('keydown', function (e) {
    if (!open) return;
    if (e.key === 'Escape' && open === l2) { e.preventDefault(); closeSettings(); return; }
    if (e.key !== 'Tab' || !modal(open)) return;
    var items = [].filter.call(panel(open).querySelectorAll(FOCUSABLE), shown);
    var first = items[0], last = items[items.length - 1], at = d.activeElement;
    if (!first) return;
    if (e.shiftKey && (at === first || at === panel(open) || !panel(open).contains(at))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (at === last || !panel(open).contains(at))) { e.preventDefault(); first.focus(); }
  });
  d.addEventListener('focusin', function (e) {
    if (modal(open) && !panel(open).contains(e.target)) panel(open).focus();
  });

  // A page that may have missed a change asks again: restored from the back/forward cache, or shown again.
  w.addEventListener('pageshow', function (e) { if (e.persisted) recheck(); });
  d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'visible') recheck(); });
  // Another page's announcement: a narrower state is applied at once (nothing is lost by trusting
  // it); one that allows more is taken from the server, which alone can say so.
  if (bc) bc.addEventListener('message', function (e) {
    var s = e.data, fewer = s && Array.isArray(s.effective) && s.effective.every(has);
    if (fewer) apply(s, true); else recheck();
  });

  function unique(categories) { return categories.filter(function (c, i, a) { return a.indexOf(c) === i; }); }
  var api = w.consentkit = {
    get: copy,
    set: function (categories) { return send({ grant: unique(categories) }); },
    add: function (categories) { return send({ add: unique(categories) }); },
    show: openSettings,
    on: function (name, fn) {
      var h = function (e) { fn(e.detail); };
      d.addEventListener('consentkit:' + name, h);
      return function () { d.removeEventListener('consentkit:' + name, h); };
    }
  };

  gate();
  if (has(C.measure)) measure();
  if (location.hash === '#ck-l2') openSettings();
  else if (!S.choice_made && dismissed()) { l1.hidden = true; fabs(true); }
  else if (!S.choice_made && !C.preset) { prev = d.activeElement; focusIn(l1); }
})();
