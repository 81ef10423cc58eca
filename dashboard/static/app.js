// CIS dashboard behaviour: live countdowns, a self-updating queue with
// opt-in hot-lead alerts, the web chat and the pairing page's refreshing QR. Loaded as a file (the CSP allows
// no inline script); everything it writes into the page goes through
// textContent, never innerHTML, so prospects' text stays text.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // The countdown's words come from the page (data-i18n on #queue or #lead),
  // so the script says "vence en 24 min" / "vencido hace 2 h 10 min" exactly
  // as the server first wrote it.
  var words = null;
  function loadWords() {
    var holder = document.querySelector("[data-i18n]");
    if (!holder) { return; }
    try { words = JSON.parse(holder.dataset.i18n); } catch (e) { words = null; }
  }
  function span(secs) {
    var m = Math.floor(secs / 60);
    if (m < 1) { return words.under_min; }
    if (m < 60) { return m + " " + words.min; }
    if (m < 1440) { return Math.floor(m / 60) + " " + words.h + (m % 60 ? " " + (m % 60) + " " + words.min : ""); }
    var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
    var unit = d === 1 ? words.day : words.days;
    return d + " " + unit + (d < 3 && h > 0 ? " " + h + " " + words.h : "");
  }
  function left(secs) {
    if (secs >= 0) {
      // Under an hour the advisor wants the seconds.
      if (secs < 3600) { return words.due.replace("%s", Math.floor(secs / 60) + ":" + pad(secs % 60)); }
      return words.due.replace("%s", span(secs));
    }
    return words.overdue.replace("%s", span(-secs));
  }

  // Only open leads carry data-deadline: a won or lost lead has no countdown.
  function tick() {
    if (!words) { return; }
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var secs = Math.round((Date.parse(el.dataset.deadline) - now) / 1000);
      el.textContent = left(secs);
      if (secs < 0) {
        el.classList.add("overdue");
        var row = el.closest(".lead"); if (row) { row.classList.add("overdue"); }
      }
    });
  }

  // Hot-lead alerts are opt-in: a sound and a browser notification when a
  // hot lead appears that this page had not shown yet.
  var alerts = { on: false, audio: null };
  function setupAlerts() {
    var btn = document.getElementById("notify-toggle");
    if (!btn) { return; }
    btn.hidden = false;
    alerts.on = window.localStorage && localStorage.getItem("cis.hotAlerts") === "1";
    function show() {
      btn.setAttribute("aria-pressed", alerts.on ? "true" : "false");
      btn.textContent = alerts.on ? btn.dataset.on : btn.dataset.off;
    }
    show();
    btn.addEventListener("click", function () {
      alerts.on = !alerts.on;
      if (alerts.on) {
        try { alerts.audio = alerts.audio || new (window.AudioContext || window.webkitAudioContext)(); alerts.audio.resume(); } catch (e) {}
        if (window.Notification && Notification.permission === "default") { Notification.requestPermission(); }
      }
      try { localStorage.setItem("cis.hotAlerts", alerts.on ? "1" : "0"); } catch (e) {}
      show();
    });
  }
  function beep() {
    try {
      var ctx = alerts.audio || new (window.AudioContext || window.webkitAudioContext)();
      alerts.audio = ctx;
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.15;
      o.connect(g); g.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.25);
    } catch (e) {}
  }
  function alertHot(leads, title) {
    if (!alerts.on || !leads.length) { return; }
    beep();
    if (window.Notification && Notification.permission === "granted") {
      var names = leads.map(function (li) { var a = li.querySelector("a.name"); return a ? a.textContent.trim() : ""; });
      try { new Notification(title, { body: names.join(", "), tag: "cis-hot" }); } catch (e) {}
    }
  }
  function seenIDs(root) {
    var ids = {};
    root.querySelectorAll("li.lead[data-lead]").forEach(function (li) { ids[li.dataset.lead] = true; });
    return ids;
  }

  // The queue polls a cheap version and swaps the lists in place when it
  // changes; the tab title carries the count of leads waiting for a call.
  function pollQueue(q) {
    var version = q.dataset.version, seen = seenIDs(q);
    setInterval(function () {
      fetch(q.dataset.poll, { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j || j.version === version) { return; }
          version = j.version;
          return fetch(location.href, { headers: { "X-CIS-Background": "1" }, credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("queue");
            if (!fresh) { return; }
            var hot = Array.prototype.filter.call(fresh.querySelectorAll("li.lead[data-class=hot]"), function (li) { return !seen[li.dataset.lead]; });
            var open = q.querySelector("details.filters-box"), wasOpen = open && open.open;
            q.replaceWith(fresh); q = fresh; q.dataset.version = version;
            var box = q.querySelector("details.filters-box"); if (box && wasOpen) { box.open = true; }
            document.title = doc.title;
            seen = seenIDs(q);
            setupAlerts();
            tick();
            var btn = document.getElementById("notify-toggle");
            alertHot(hot, btn ? btn.dataset.title : "");
          });
        })
        .catch(function () {});
    }, 3000);
  }

  // The web chat: messages arrive as styled runs of text (WhatsApp's *bold*,
  // _italic_, ~strike~, ```mono```) built with text nodes, and the newest
  // reply's choices as buttons that send the option's id with its title.
  function styled(parts, fallback) {
    var frag = document.createDocumentFragment();
    (parts || [{ t: fallback }]).forEach(function (p) {
      var node = document.createTextNode(p.t);
      [["m", "code"], ["s", "s"], ["i", "em"], ["b", "strong"]].forEach(function (w) {
        if (p[w[0]]) { var el = document.createElement(w[1]); el.appendChild(node); node = el; }
      });
      frag.appendChild(node);
    });
    return frag;
  }

  function chat(root) {
    var list = document.getElementById("bubbles"), form = document.getElementById("composer");
    var input = document.getElementById("chat-text"), hint = list.querySelector(".hint");
    function render(lines) {
      if (!lines.length) { return; }
      list.textContent = "";
      lines.forEach(function (l) {
        var li = document.createElement("li");
        li.className = l["in"] ? "me" : "bot";
        li.appendChild(styled(l.parts, l.text));
        if (l.menu && l.menu.length) { li.appendChild(choices(l.menu)); }
        list.appendChild(li);
      });
      list.scrollTop = list.scrollHeight;
    }
    function choices(menu) {
      var box = document.createElement("div");
      box.className = "choices"; box.setAttribute("role", "group");
      menu.forEach(function (o) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "choice"; b.dataset.choice = o.id; b.textContent = o.title;
        if (o.description) { b.title = o.description; }
        b.addEventListener("click", function () {
          box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          send(o.title, o.id);
        });
        box.appendChild(b);
      });
      return box;
    }
    function rid() {
      var a = new Uint8Array(12); crypto.getRandomValues(a);
      return Array.prototype.map.call(a, function (b) { return pad(b.toString(16)).slice(-2); }).join("");
    }
    function send(text, choice) {
      var li = document.createElement("li"); li.className = "me pending"; li.textContent = text;
      if (hint && hint.parentNode) { hint.remove(); }
      list.appendChild(li); list.scrollTop = list.scrollHeight;
      var body = new URLSearchParams(); body.set("text", text); body.set("id", rid());
      if (choice) { body.set("choice", choice); }
      fetch(root.dataset.endpoint, { method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(render)
        .catch(function () { li.classList.add("failed"); });
    }
    fetch(root.dataset.endpoint, { headers: { "Accept": "application/json", "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(render).catch(function () {});
    // Keep the newest message in view when the keyboard or a rotation resizes the page.
    window.addEventListener("resize", function () { list.scrollTop = list.scrollHeight; });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) { return; }
      input.value = "";
      send(text, "");
    });
  }

  function show(id, on, text) {
    var el = document.getElementById(id);
    if (!el) { return; }
    el.hidden = !on;
    if (on) { el.textContent = text; }
  }

  function pairing(root) {
    var img = document.getElementById("pairing-qr"), last = "";
    setInterval(function () {
      fetch(root.dataset.status, { headers: { "Accept": "application/json", "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          // The passkey step and its code are forms: the page reloads to show them.
          var passkey = s.state === "passkey" || root.dataset.state === "passkey";
          if (passkey && (s.state !== root.dataset.state || (s.passkey_code || "") !== root.dataset.code)) { location.reload(); return; }
          document.getElementById("pairing-state").textContent = s.state_text;
          document.getElementById("pairing-phone").textContent = s.phone;
          show("pairing-problem", s.problem, s.problem && root.dataset.problemLabel + ": " + s.problem);
          img.closest("figure").hidden = !s.has_qr;
          if (s.has_qr && s.qr_version !== last) { last = s.qr_version; img.src = (root.dataset.qr || "/admin/pairing/qr.png?") + "v=" + s.qr_version; }
        }).catch(function () {});
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadWords(); tick(); setInterval(tick, 1000);
    var q = document.getElementById("queue"); if (q) { setupAlerts(); pollQueue(q); }
    var c = document.getElementById("chat"); if (c) { chat(c); }
    var p = document.getElementById("pairing"); if (p) { pairing(p); }
    // "Preparing the demo": look again every 3 s until the page is served.
    var st = document.getElementById("starting");
    if (st && !st.dataset.failed) { setTimeout(function () { location.reload(); }, 3000); }
  });
})();
