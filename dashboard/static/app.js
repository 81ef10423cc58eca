// CIS dashboard behaviour: live countdowns, a self-updating queue, the web
// chat and the pairing page's refreshing QR. Loaded as a file (the CSP allows
// no inline script); everything it writes into the page goes through
// textContent, never innerHTML, so prospects' text stays text.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.deadline) - now) / 1000);
      var row = el.closest(".lead");
      if (left <= 0) {
        el.textContent = el.dataset.overdue + " " + fmt(-left);
        el.classList.add("overdue");
        if (row) { row.classList.add("overdue"); }
      } else {
        el.textContent = fmt(left);
      }
    });
  }
  function fmt(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(r);
  }

  // The queue polls a cheap version and swaps the list in place when it changes.
  function pollQueue(q) {
    var version = q.dataset.version;
    setInterval(function () {
      fetch(q.dataset.poll, { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j || j.version === version) { return; }
          version = j.version;
          return fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("queue");
            if (fresh) { q.replaceWith(fresh); q = fresh; q.dataset.version = version; tick(); }
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
          if (s.has_qr && s.qr_version !== last) { last = s.qr_version; img.src = "/admin/pairing/qr.png?v=" + s.qr_version; }
        }).catch(function () {});
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick(); setInterval(tick, 1000);
    var q = document.getElementById("queue"); if (q) { pollQueue(q); }
    var c = document.getElementById("chat"); if (c) { chat(c); }
    var p = document.getElementById("pairing"); if (p) { pairing(p); }
  });
})();
