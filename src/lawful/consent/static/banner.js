/* Lawful cookie banner: no dependency. Tagged scripts (<script type="text/plain"
   data-lawful-category="advertising">) run only once their category is allowed. Every choice
   is recorded by the server; Global Privacy Control turns off sale/sharing without asking. */
(function () {
  "use strict";
  var me = document.currentScript, base = new URL(me.src).origin, d = document;
  var cfg, choice = null, gpc = false, box = null;

  function readCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function writeCookie(name, value, days) {
    d.cookie = name + "=" + encodeURIComponent(value) + "; Max-Age=" + days * 86400 +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }
  function browserId() {
    var id = readCookie(cfg.browserCookie);
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(id || "")) {
      var a = new Uint8Array(16);
      crypto.getRandomValues(a);
      id = Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    }
    writeCookie(cfg.browserCookie, id, cfg.maxAgeDays);
    return id;
  }
  function optional() { return cfg.categories.filter(function (c) { return !c.required; }); }
  function locked(c) { return gpc && c.saleOrSharing; }
  function allowed(id) {
    var c = cfg.categories.filter(function (x) { return x.id === id; })[0];
    if (!c || locked(c)) return false;
    if (c.required) return true;
    if (choice && id in choice.c) return !!choice.c[id];
    return c.exempt;
  }

  function activate() {
    var tags = d.querySelectorAll('script[type="text/plain"][data-lawful-category]');
    Array.prototype.forEach.call(tags, function (old) {
      if (!allowed(old.getAttribute("data-lawful-category"))) return;
      var s = d.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (a) {
        if (a.name !== "type") s.setAttribute(a.name, a.value);
      });
      s.type = old.getAttribute("data-lawful-type") || "text/javascript";
      if (!old.src) s.text = old.text;
      old.parentNode.replaceChild(s, old);
    });
    d.dispatchEvent(new CustomEvent("lawful:consent", { detail: choice && choice.c }));
  }

  function forget(previous) {
    cfg.categories.forEach(function (c) {
      if (previous[c.id] && !allowed(c.id)) c.trackers.forEach(function (t) {
        var host = location.hostname.split(".");
        while (host.length) {
          d.cookie = t.name + "=; Max-Age=0; Path=/; Domain=" + host.join(".");
          host.shift();
        }
        d.cookie = t.name + "=; Max-Age=0; Path=/";
      });
    });
  }

  function record(action, wanted, answered) {
    var previous = choice ? choice.c : {}, c = {};
    Object.keys(previous).forEach(function (k) { c[k] = previous[k]; });
    Object.keys(wanted).forEach(function (k) { c[k] = wanted[k]; });
    choice = { v: cfg.version, t: Date.now(), c: c, g: gpc, a: answered || !!(choice && choice.a) };
    writeCookie(cfg.cookie, JSON.stringify(choice), cfg.maxAgeDays);
    var body = { browser_id: browserId(), choices: wanted, action: action, gpc: gpc,
      config_version: cfg.version, language: d.documentElement.lang || null };
    fetch(base + cfg.endpoint, { method: "POST", body: JSON.stringify(body), keepalive: true,
      credentials: "omit", headers: { "Content-Type": "text/plain" } }).catch(function () {});
    forget(previous);
    activate();
  }

  function all(on) {
    var wanted = {};
    optional().forEach(function (c) { wanted[c.id] = on && !locked(c); });
    return wanted;
  }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function button(text, onclick) {
    var b = el("button", "lawful-btn", text);
    b.type = "button";
    b.onclick = onclick;
    return b;
  }

  /* The map's colours, as CSS variables of the banner (set through the CSSOM: no inline
     style, which a strict Content-Security-Policy would block). */
  function paint(node) {
    var c = cfg.colours;
    [["--lawful-bg", c.background], ["--lawful-fg", c.text], ["--lawful-btn", c.button],
     ["--lawful-btn-fg", c.button_text], ["--lawful-link", c.link]].forEach(function (p) {
      node.style.setProperty(p[0], p[1]);
    });
  }

  function close() { if (box) { box.remove(); box = null; } }

  function show(details) {
    close();
    box = el("div", "lawful-banner");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Cookie choices");
    paint(box);
    box.appendChild(el("p", "lawful-title", cfg.texts.title));
    box.appendChild(el("p", null, cfg.texts.message));
    if (gpc) box.appendChild(el("p", "lawful-gpc", "Global Privacy Control honoured: we do not sell or share your personal information, and advertising cookies stay off."));
    var list = el("div", "lawful-list");
    if (!details) list.hidden = true;
    cfg.categories.forEach(function (c) {
      var label = el("label", "lawful-cat"), input = el("input");
      input.type = "checkbox";
      input.name = c.id;
      input.checked = allowed(c.id);
      input.disabled = c.required || locked(c);
      label.appendChild(input);
      label.appendChild(el("strong", null, " " + c.name));
      label.appendChild(el("span", null, " — " + c.description + (locked(c) ? " (off: Global Privacy Control)" : "")));
      label.appendChild(el("small", "lawful-trackers", c.trackers.map(function (t) {
        return t.name + " (" + t.provider + ", " + t.lifetime + ")";
      }).join("; ")));
      list.appendChild(label);
    });
    box.appendChild(list);
    var actions = el("div", "lawful-actions");
    actions.appendChild(button(cfg.texts.acceptAll, function () { close(); record("accept_all", all(true), true); }));
    actions.appendChild(button(cfg.texts.rejectAll, function () { close(); record("reject_all", all(false), true); }));
    actions.appendChild(button(details ? cfg.texts.save : cfg.texts.choose, function () {
      if (list.hidden) { list.hidden = false; this.textContent = cfg.texts.save; return; }
      var wanted = {};
      optional().forEach(function (c) { wanted[c.id] = list.querySelector('[name="' + c.id + '"]').checked; });
      close();
      record("save", wanted, true);
    }));
    box.appendChild(actions);
    var link = el("a", "lawful-link", cfg.texts.noticeLink);
    link.href = base + cfg.notice;
    box.appendChild(link);
    d.body.appendChild(box);
  }

  function honoured() {
    var note = el("div", "lawful-banner lawful-note");
    paint(note);
    note.setAttribute("role", "status");
    note.appendChild(el("p", "lawful-gpc", "Global Privacy Control honoured: we do not sell or share your personal information."));
    note.appendChild(button("Close", function () { note.remove(); }));
    d.body.appendChild(note);
  }

  function start(config) {
    cfg = config;
    gpc = cfg.gpc || navigator.globalPrivacyControl === true;
    try { choice = JSON.parse(readCookie(cfg.cookie)); } catch (e) { choice = null; }
    if (!(choice && choice.v === cfg.version && Date.now() - choice.t < cfg.maxAgeDays * 864e5)) choice = null;
    var ask = !(choice && choice.a) && optional().some(function (c) { return !c.exempt && !locked(c); });
    var stale = optional().some(function (c) { return locked(c) && (!choice || !choice.g || choice.c[c.id]); });
    if (stale) {
      var wanted = {};
      optional().forEach(function (c) { if (locked(c)) wanted[c.id] = false; });
      record("gpc", wanted, false);
      if (!ask) honoured();
    } else activate();
    if (ask) show(false);
  }

  d.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-lawful-consent-open]");
    if (t && cfg) { e.preventDefault(); show(true); }
  });
  window.lawfulConsent = { open: function () { if (cfg) show(true); }, allowed: allowed };

  var css = el("link");
  css.rel = "stylesheet";
  css.href = base + "/consent/banner.css";
  d.head.appendChild(css);
  fetch(base + "/consent/config.json", { credentials: "omit" })
    .then(function (r) { return r.json(); })
    .then(function (c) {
      if (d.readyState !== "loading") start(c);
      else d.addEventListener("DOMContentLoaded", function () { start(c); });
    });
})();
