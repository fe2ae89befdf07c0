// backstop status page: progressive enhancement only. The page is complete without this file;
// with it, the recovery point selector answers in place, the objectives form works (PUT with
// the admin token, which is never stored), commands can be copied, and the live parts of the
// page are re-fetched every 30 s without losing what is typed in the forms.
// Everything shown from a response goes through textContent: never parsed as markup.
"use strict";
(function () {
  var REFRESH_MS = 30000;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  // datetime-local gives "YYYY-MM-DDTHH:MM[:SS]"; the page labels it UTC.
  function toRfc3339(value) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) { return null; }
    return (value.length === 16 ? value + ":00" : value) + "Z";
  }

  function copyButton(target) {
    var b = el("button", "copy secondary", "Copy command");
    b.type = "button";
    b.setAttribute("data-copy-target", target.id);
    return b;
  }

  function showAnswer(box, venture, answer) {
    box.textContent = "";
    box.className = "answer " + (answer.recoverable ? "yes" : "no");
    var head = el("p");
    head.appendChild(el("strong", null, answer.recoverable ? "✓ Recoverable" : "✗ Not recoverable"));
    box.appendChild(head);
    if (answer.reason) { box.appendChild(el("p", "reason", answer.reason)); }
    if (answer.backup) {
      var label = typeof answer.backup === "object" ? (answer.backup.label || JSON.stringify(answer.backup)) : String(answer.backup);
      box.appendChild(el("p", "backup", "From backup: " + label));
    }
    if (answer.wal_range && answer.wal_range.from) {
      box.appendChild(el("p", "wal", "WAL: " + answer.wal_range.from + " … " + answer.wal_range.to));
    }
    if (answer.command) {
      var pre = el("pre", "command");
      var code = el("code", null, answer.command);
      code.id = "rp-command-" + venture;
      pre.appendChild(code);
      box.appendChild(pre);
      box.appendChild(copyButton(code));
    }
  }

  function onRecoveryPoint(ev) {
    var form = ev.target.closest("form.rp");
    if (!form) { return; }
    ev.preventDefault();
    var venture = form.getAttribute("data-venture");
    var box = document.getElementById(form.getAttribute("data-answer"));
    var at = toRfc3339(form.elements.at.value);
    if (!at) {
      box.className = "answer no";
      box.textContent = "Enter a date and time (UTC), e.g. 2026-11-27 08:00:00.";
      return;
    }
    box.className = "answer";
    box.textContent = "Asking the agent…";
    var url = "/api/v1/ventures/" + encodeURIComponent(venture) + "/recovery-points?at=" + encodeURIComponent(at);
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      })
      .then(function (res) {
        if (res.status !== 200) {
          box.className = "answer no";
          box.textContent = "The agent answered " + res.status + ": " + (res.body.error || "no detail");
          return;
        }
        showAnswer(box, venture, res.body);
      })
      .catch(function (e) {
        box.className = "answer no";
        box.textContent = "The agent could not be reached: " + e.message;
      });
  }

  function onObjectives(ev) {
    var form = ev.target.closest("form.objectives-form");
    if (!form) { return; }
    ev.preventDefault();
    var venture = form.getAttribute("data-venture");
    var status = form.querySelector(".status-line");
    var body = {};
    ["rpo", "rto", "pitr_window", "backup_max_age"].forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) { body[k] = v; }
    });
    var token = form.elements.token.value;
    status.className = "status-line";
    if (Object.keys(body).length === 0) {
      status.className = "status-line error";
      status.textContent = "Enter at least one objective, e.g. 30s, 15m, 4h, 7d.";
      return;
    }
    if (!token) {
      status.className = "status-line error";
      status.textContent = "Enter the admin token (agent.admin_token_env).";
      return;
    }
    status.textContent = "Saving…";
    fetch("/api/v1/ventures/" + encodeURIComponent(venture) + "/objectives", {
      method: "PUT",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify(body),
      cache: "no-store"
    })
      .then(function (r) {
        return r.text().then(function (t) {
          var parsed = {};
          try { parsed = JSON.parse(t); } catch (e) { parsed = {}; }
          return { status: r.status, body: parsed, retry: r.headers.get("Retry-After") };
        });
      })
      .then(function (res) {
        if (res.status === 200) {
          form.elements.token.value = "";
          status.className = "status-line done";
          status.textContent = "Objectives updated; alerts follow at the next scrape.";
          refresh();
        } else if (res.status === 401) {
          status.className = "status-line error";
          status.textContent = "Not authorized: the admin token is wrong.";
        } else if (res.status === 429) {
          status.className = "status-line error";
          status.textContent = "Too many writes; retry in " + (res.retry || "a few") + " s.";
        } else {
          status.className = "status-line error";
          status.textContent = "Not saved (" + res.status + "): " + (res.body.error || "no detail");
        }
      })
      .catch(function (e) {
        status.className = "status-line error";
        status.textContent = "The agent could not be reached: " + e.message;
      });
  }

  function onClick(ev) {
    var b = ev.target.closest("button.copy");
    if (!b) { return; }
    var target = document.getElementById(b.getAttribute("data-copy-target"));
    if (!target) { return; }
    var text = target.textContent;
    var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy command"; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { select(target); });
    } else {
      select(target);
      b.textContent = "Selected: press Ctrl+C";
    }
  }

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // Replaces every [data-live] element by its counterpart in a fresh copy of the page.
  var refreshing = false;
  function refresh() {
    if (refreshing) { return; }
    refreshing = true;
    fetch(window.location.pathname, { cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-live]").forEach(function (node) {
          var old = document.getElementById(node.id);
          if (old) { old.replaceWith(document.importNode(node, true)); }
        });
        document.body.setAttribute("data-refreshed", new Date().toISOString());
      })
      .catch(function (e) {
        var u = document.getElementById("updated");
        if (u) { u.textContent = "Refresh failed (" + e.message + "); showing the last good page."; }
      })
      .then(function () { refreshing = false; });
  }

  document.addEventListener("submit", function (ev) { onRecoveryPoint(ev); onObjectives(ev); });
  document.addEventListener("click", onClick);
  document.querySelectorAll("form.objectives-form[hidden], #refresh-now[hidden]").forEach(function (n) {
    n.hidden = false;
  });
  var now = document.getElementById("refresh-now");
  if (now) { now.addEventListener("click", refresh); }
  setInterval(function () { if (!document.hidden) { refresh(); } }, REFRESH_MS);
})();
