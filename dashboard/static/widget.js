// Embeds the CIS web chat on an agency's site:
//   <script src="https://cis.example.co/static/widget.js" async></script>
// The chat runs in an iframe served by CIS (its CSP frame-ancestors lists the
// sites allowed by --widget-origins), so the host page never sees the conversation.
(function () {
  "use strict";
  var me = document.currentScript, base = new URL(me.src).origin;
  var btn = document.createElement("button");
  btn.type = "button"; btn.textContent = "💬"; btn.setAttribute("aria-label", "Chat");
  btn.style.cssText = "position:fixed;right:16px;bottom:16px;width:56px;height:56px;border-radius:50%;border:0;background:#075e54;color:#fff;font-size:26px;cursor:pointer;z-index:2147483646";
  var frame = document.createElement("iframe");
  // The page's campaign tag goes with the chat, so its lead is attributed to it.
  var utm = new URLSearchParams(location.search).get("utm_campaign");
  frame.src = base + "/chat?embed=1" + (utm ? "&utm_campaign=" + encodeURIComponent(utm) : ""); frame.title = "Chat";
  frame.style.cssText = "position:fixed;right:16px;bottom:84px;width:min(380px,calc(100vw - 32px));height:min(560px,calc(100vh - 120px));border:0;border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.2);display:none;z-index:2147483647;background:#fff";
  btn.addEventListener("click", function () { frame.style.display = frame.style.display === "none" ? "block" : "none"; });
  document.body.appendChild(frame); document.body.appendChild(btn);
})();
