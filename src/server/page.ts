/**
 * The web chat page served at `/`: one self-contained HTML document (inline CSS and JS, no
 * external assets or URLs), talking to this server's own /v1 API. Conversations live in the
 * page's localStorage; answers stream over fetch + SSE; Stop aborts the request, which cancels the
 * generation on the server. Model output is inserted as text, never as HTML.
 *
 * (Kept as a TypeScript string so the build ships it without copying assets. The script avoids
 * backticks and dollar-brace so it can live inside this template literal unescaped.)
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LocalGPT</title>
<style>
  :root { --bg:#f6f6f4; --panel:#fff; --ink:#1d1d1f; --muted:#6b6b70; --line:#e2e2de; --accent:#2f6f4f; --user:#e8f0ea; }
  @media (prefers-color-scheme: dark) { :root { --bg:#17181a; --panel:#202124; --ink:#e8e8e6; --muted:#9a9aa0; --line:#33343a; --accent:#6fbf8f; --user:#25322b; } }
  * { box-sizing: border-box; }
  body { margin:0; height:100vh; display:flex; font:15px/1.5 system-ui, sans-serif; background:var(--bg); color:var(--ink); }
  aside { width:240px; border-right:1px solid var(--line); background:var(--panel); display:flex; flex-direction:column; }
  aside header { padding:12px; font-weight:600; }
  #convs { flex:1; overflow:auto; }
  .conv { padding:8px 12px; cursor:pointer; display:flex; justify-content:space-between; gap:6px; }
  .conv:hover, .conv.on { background:var(--user); }
  .conv span { overflow:hidden; white-space:nowrap; text-overflow:ellipsis; }
  .conv button { border:0; background:none; color:var(--muted); cursor:pointer; }
  details { padding:8px 12px; border-top:1px solid var(--line); font-size:13px; }
  details label { display:block; margin-top:6px; color:var(--muted); }
  details input, details textarea { width:100%; font:inherit; padding:4px; background:var(--bg); color:var(--ink); border:1px solid var(--line); border-radius:4px; }
  main { flex:1; display:flex; flex-direction:column; min-width:0; }
  #bar { padding:10px 16px; border-bottom:1px solid var(--line); color:var(--muted); font-size:13px; }
  #log { flex:1; overflow:auto; padding:16px; }
  .msg { max-width:760px; margin:0 auto 12px; padding:10px 14px; border-radius:8px; white-space:pre-wrap; word-wrap:break-word; background:var(--panel); border:1px solid var(--line); }
  .msg.user { background:var(--user); }
  .msg.error { border-color:#c0392b; color:#c0392b; }
  .msg .who { font-size:12px; color:var(--muted); display:block; }
  form { display:flex; gap:8px; padding:12px 16px; border-top:1px solid var(--line); max-width:792px; width:100%; margin:0 auto; }
  form textarea { flex:1; resize:none; height:60px; font:inherit; padding:8px; border-radius:6px; border:1px solid var(--line); background:var(--panel); color:var(--ink); }
  button.main { padding:0 18px; border-radius:6px; border:0; background:var(--accent); color:#fff; font:inherit; cursor:pointer; }
  button.main:disabled { opacity:.5; cursor:default; }
  #new { margin:0 12px 8px; padding:6px; border-radius:6px; border:1px solid var(--line); background:none; color:var(--ink); cursor:pointer; }
</style>
</head>
<body>
<aside>
  <header>LocalGPT</header>
  <button id="new">+ New chat</button>
  <div id="convs"></div>
  <details>
    <summary>Settings</summary>
    <label>API key (if the server needs one)<input id="key" type="password" autocomplete="off"></label>
    <label>System prompt<textarea id="system" rows="3"></textarea></label>
    <label>Temperature<input id="temp" type="number" min="0" max="2" step="0.1" value="0.7"></label>
    <label>Max tokens<input id="max" type="number" min="1" step="1" value="512"></label>
  </details>
</aside>
<main>
  <div id="bar">connecting...</div>
  <div id="log"></div>
  <form id="form">
    <textarea id="input" placeholder="Message (Enter to send, Shift+Enter for a new line)"></textarea>
    <button class="main" id="send" type="submit">Send</button>
    <button class="main" id="stop" type="button" disabled>Stop</button>
  </form>
</main>
<script>
"use strict";
var $ = function (id) { return document.getElementById(id); };
var store = window.localStorage;
var state = { convs: [], current: null, model: null, busy: null };
try { state.convs = JSON.parse(store.getItem("localgpt.convs") || "[]"); } catch (e) { state.convs = []; }
$("key").value = store.getItem("localgpt.key") || "";
$("system").value = store.getItem("localgpt.system") || "";
["key", "system"].forEach(function (id) { $(id).addEventListener("change", function () { store.setItem("localgpt." + id, $(id).value); }); });

function save() { store.setItem("localgpt.convs", JSON.stringify(state.convs)); }
function headers() {
  var h = { "Content-Type": "application/json" };
  if ($("key").value) h["Authorization"] = "Bearer " + $("key").value;
  return h;
}
function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }

function loadInfo() {
  fetch("/v1/models", { headers: headers() }).then(function (r) {
    return r.json().then(function (body) {
      if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
      var m = body.data[0];
      state.model = m.id;
      var x = m.localgpt || {};
      $("bar").textContent = "model " + m.id + (x.architecture ? " (" + x.architecture + ", " + x.context_length + " tokens of context)" : "") + "  |  backend " + (x.backend_description || x.backend || "?");
    });
  }).catch(function (e) { $("bar").textContent = "cannot reach the model: " + e.message + " (set the API key in Settings if the server needs one)"; });
}
$("key").addEventListener("change", loadInfo);

function current() {
  for (var i = 0; i < state.convs.length; i++) if (state.convs[i].id === state.current) return state.convs[i];
  return null;
}
function newConv() {
  var c = { id: String(Date.now()) + Math.random().toString(36).slice(2, 6), title: "New chat", messages: [] };
  state.convs.unshift(c); state.current = c.id; save(); render();
}
function renderList() {
  var list = $("convs"); list.textContent = "";
  state.convs.forEach(function (c) {
    var row = el("div", "conv" + (c.id === state.current ? " on" : ""));
    row.appendChild(el("span", "", c.title));
    var del = el("button", "", "x"); del.title = "delete";
    del.onclick = function (ev) { ev.stopPropagation(); state.convs = state.convs.filter(function (o) { return o !== c; }); if (state.current === c.id) state.current = state.convs.length ? state.convs[0].id : null; save(); render(); };
    row.appendChild(del);
    row.onclick = function () { if (!state.busy) { state.current = c.id; render(); } };
    list.appendChild(row);
  });
}
function bubble(role, text) {
  var d = el("div", "msg " + role);
  d.appendChild(el("span", "who", role === "user" ? "you" : role === "error" ? "error" : "assistant"));
  var body = el("span", "body", text); d.appendChild(body);
  $("log").appendChild(d); $("log").scrollTop = $("log").scrollHeight;
  return body;
}
function render() {
  renderList();
  $("log").textContent = "";
  var c = current(); if (!c) return;
  c.messages.forEach(function (m) { bubble(m.role, m.content); });
}

function send(text) {
  var c = current(); if (!c) { newConv(); c = current(); }
  c.messages.push({ role: "user", content: text });
  if (c.title === "New chat") c.title = text.slice(0, 40);
  save(); renderList(); bubble("user", text);
  var out = bubble("assistant", "");
  var answer = { role: "assistant", content: "" };
  var messages = [];
  if ($("system").value.trim()) messages.push({ role: "system", content: $("system").value });
  c.messages.forEach(function (m) { if (m.role !== "error") messages.push({ role: m.role, content: m.content }); });
  var body = { messages: messages, stream: true, temperature: Number($("temp").value), max_tokens: Number($("max").value) };
  if (state.model) body.model = state.model;
  var ctrl = new AbortController(); state.busy = ctrl; setBusy(true);
  var finish = function (err) {
    if (answer.content) c.messages.push(answer);
    if (err) { c.messages.push({ role: "error", content: err }); bubble("error", err); }
    state.busy = null; setBusy(false); save();
  };
  fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(body), signal: ctrl.signal }).then(function (r) {
    if (!r.ok) return r.json().then(function (b) { throw new Error(b.error ? b.error.message : r.statusText); });
    var reader = r.body.getReader(); var dec = new TextDecoder(); var buf = "";
    var pump = function () {
      return reader.read().then(function (step) {
        if (step.done) return;
        buf += dec.decode(step.value, { stream: true });
        var events = buf.split("\\n\\n"); buf = events.pop();
        for (var i = 0; i < events.length; i++) {
          var lines = events[i].split("\\n");
          for (var j = 0; j < lines.length; j++) {
            if (lines[j].indexOf("data:") !== 0) continue;
            var data = lines[j].slice(5).trim();
            if (data === "[DONE]") return;
            var chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            var delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
            if (delta && delta.content) { answer.content += delta.content; out.textContent = answer.content; $("log").scrollTop = $("log").scrollHeight; }
          }
        }
        return pump();
      });
    };
    return pump();
  }).then(function () { finish(null); }, function (e) { finish(e.name === "AbortError" ? null : e.message); });
}
function setBusy(on) { $("send").disabled = on; $("stop").disabled = !on; }

$("stop").onclick = function () { if (state.busy) state.busy.abort(); };
$("new").onclick = function () { if (!state.busy) newConv(); };
$("form").onsubmit = function (ev) { ev.preventDefault(); var t = $("input").value.trim(); if (!t || state.busy) return; $("input").value = ""; send(t); };
$("input").addEventListener("keydown", function (ev) { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("form").requestSubmit(); } });

if (state.convs.length) state.current = state.convs[0].id;
render(); loadInfo();
</script>
</body>
</html>
`;
