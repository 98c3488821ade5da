/* consentkit chat: loads the chat widget the server decided on, or turns the consent placeholder
   into a one-click "allow and open chat". No eval, no inline handlers; scripts it adds carry the
   nonce chat.js itself was loaded with. */
(function () {
  'use strict';
  var d = document, w = window;
  if (w.consentkitChat) return;
  var me = d.currentScript, nonce = (me && (me.nonce || me.getAttribute('nonce'))) || '';
  var cfgEl = d.getElementById('consentkit-chat');
  if (!cfgEl) return;
  var C = JSON.parse(cfgEl.textContent), P = C.params || {}, loaded = false, busy = false;
  var ph = d.getElementById('consentkit-chat-ph');

  function attrs() {
    var out = {}, k;
    for (k in C.prechat) out[k] = Array.isArray(C.prechat[k]) ? C.prechat[k].join(', ') : C.prechat[k];
    for (k in C.data) out[k] = C.data[k];
    return out;
  }
  function keys(o) { return Object.keys(o); }
  function script(src, ordered) {
    var s = d.createElement('script');
    s.src = src;
    s.async = !ordered;
    if (nonce) s.nonce = nonce;
    (d.head || d.body).appendChild(s);
    return s;
  }

  // One loader per preset: the provider's documented globals, then its script.
  var LOADERS = {
    livechat: function (a) {
      var lc = w.__lc = w.__lc || {};
      lc.license = Number(P.site_id);
      var params = keys(a).map(function (k) { return { name: k, value: String(a[k]) }; });
      if (params.length) lc.params = (lc.params || []).concat(params);
      script('https://cdn.livechatinc.com/tracking.js');
    },
    tawkto: function (a) {
      var api = w.Tawk_API = w.Tawk_API || {}, set = {};
      w.Tawk_LoadStart = new Date();
      keys(a).forEach(function (k) { set[k.replace(/[^A-Za-z0-9-]/g, '-')] = String(a[k]); });
      if (keys(set).length) {
        var before = api.onLoad;
        api.onLoad = function () {
          if (typeof before === 'function') before();
          api.setAttributes(set, function () {});
        };
      }
      var s = script('https://embed.tawk.to/' + encodeURIComponent(P.site_id) + '/' + encodeURIComponent(P.widget_id));
      s.charset = 'UTF-8';
      s.setAttribute('crossorigin', '*');
    },
    crisp: function (a) {
      w.$crisp = w.$crisp || [];
      w.CRISP_WEBSITE_ID = P.site_id;
      var pairs = keys(a).map(function (k) { return [k, String(a[k])]; });
      if (pairs.length) w.$crisp.push(['set', 'session:data', [pairs]]);
      script('https://client.crisp.chat/l.js');
    },
    chatwoot: function (a) {
      if (keys(a).length) {
        w.addEventListener('chatwoot:ready', function () { w.$chatwoot.setCustomAttributes(a); });
      }
      var s = script(P.base_url + '/packs/js/sdk.js');
      s.defer = true;
      s.addEventListener('load', function () {
        w.chatwootSDK.run({ websiteToken: P.site_id, baseUrl: P.base_url });
      });
    },
    zendesk: function () {
      script('https://static.zdassets.com/ekr/snippet.js?key=' + encodeURIComponent(P.site_id)).id = 'ze-snippet';
    },
    generic: function () {
      var tpl = d.getElementById('consentkit-chat-tpl');
      if (!tpl) return;
      var frag = tpl.content.cloneNode(true);
      // Scripts parsed inside a <template> never run: recreate them so that they do, in order.
      [].forEach.call(frag.querySelectorAll('script'), function (old) {
        var s = d.createElement('script');
        [].forEach.call(old.attributes, function (at) { if (at.name !== 'nonce') s.setAttribute(at.name, at.value); });
        if (nonce) s.nonce = nonce;
        if (old.src) s.async = old.hasAttribute('async'); else s.text = old.text;
        old.parentNode.replaceChild(s, old);
      });
      var at = ph && ph.parentNode ? ph : null;
      if (at) at.parentNode.insertBefore(frag, at); else d.body.appendChild(frag);
    }
  };

  function load() {
    if (loaded) return;
    loaded = true;
    exposed.loaded = true;
    var loader = LOADERS[C.provider];
    if (loader) loader(attrs());
    if (ph) { ph.remove(); ph = null; }
    d.dispatchEvent(new CustomEvent('consentkit:chat', { detail: { provider: C.provider, prechat: C.prechat } }));
  }

  function granted(state) {
    return !!state && Array.isArray(state.effective) && state.effective.indexOf(C.category) >= 0;
  }

  // Adds the chat's category to the visitor's current choice, which the server reads from the
  // choice cookie: this page's idea of that choice may be stale (another tab changed it since).
  function grant() {
    if (w.consentkit && typeof w.consentkit.add === 'function') return w.consentkit.add([C.category]);
    return fetch(C.prefix, {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ add: [C.category], source: 'banner', lang: C.lang })
    }).then(function (r) {
      if (!r.ok) throw new Error('consentkit: HTTP ' + r.status);
      return r.json();
    });
  }

  // Floating: in the banner's dock when the page has the banner (it keeps the placeholder clear of
  // the banner and its notices), else fixed in the bottom corner at the end of its reading direction.
  function style(el) {
    var s = el.style, b = el.querySelector('button'), p = el.querySelector('p');
    var dock = d.querySelector('#consentkit-banner .ck-dock-end');
    if (dock) dock.appendChild(el);
    else {
      s.position = 'fixed'; s.bottom = '16px'; s.zIndex = '2147483000';
      s[getComputedStyle(el).direction === 'rtl' ? 'left' : 'right'] = '16px';
    }
    s.maxWidth = '320px'; s.boxSizing = 'border-box';
    s.background = '#fff'; s.color = '#111'; s.border = '1px solid #bbb'; s.borderRadius = '8px';
    s.padding = '12px 14px'; s.boxShadow = '0 4px 16px rgba(0,0,0,.18)'; s.font = '14px/1.4 system-ui,sans-serif';
    if (p) p.style.margin = '0 0 8px';
    if (b) {
      b.style.font = 'inherit'; b.style.padding = '6px 12px'; b.style.borderRadius = '6px'; b.style.cursor = 'pointer';
      b.style.border = '1px solid #333'; b.style.background = '#111'; b.style.color = '#fff';
    }
  }

  function wire() {
    var form = ph.querySelector('form'), button = ph.querySelector('button');
    if (C.style === 'floating') style(ph);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      ph.removeAttribute('data-error');
      fetch(C.prefix + '/chat/click', { method: 'POST', credentials: 'same-origin', keepalive: true })
        .catch(function () {});
      grant().then(function (state) {
        busy = false;
        if (granted(state)) load(); else throw new Error('consentkit: the chat category is still not in effect');
      }).catch(function () {
        busy = false;
        if (ph) { button.disabled = false; ph.setAttribute('data-error', 'true'); }
      });
    });
  }

  // A choice made in the banner meanwhile counts too. The banner also reloads a page whose widget
  // lost its category elsewhere (`loaded` tells it the widget ran); without the banner, a page
  // restored from the back/forward cache asks the server itself.
  d.addEventListener('consentkit:change', function (e) { if (ph && granted(e.detail)) load(); });
  w.addEventListener('pageshow', function (e) {
    if (!e.persisted || (w.consentkit && w.consentkit.get)) return;
    fetch(C.prefix + '/state', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (s) {
      if (!s) return;
      if (loaded && !granted(s)) location.reload(); else if (ph && granted(s)) load();
    }, function () {});
  });

  var exposed = w.consentkitChat = { config: C, loaded: false };
  if (C.mode === 'show') load();
  else if (ph) wire();
})();
