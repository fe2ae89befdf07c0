// Real-browser test of backstop's status page (run by tests/it/page.rs):
//   node status-page.js <agent url> <spec.json>
// and its measuring mode (run by bench/status-page.sh):
//   node status-page.js --bench <agent url> [runs]
// Uses the system Chromium (CHROMIUM, default /usr/bin/chromium) through playwright-core and
// axe-core for accessibility. Prints progress on stderr and one JSON summary line on stdout;
// exits 1 on the first failed check, with what was expected and what was found.
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const axe = require("axe-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function log(...args) {
  console.error("[status-page]", ...args);
}

function check(cond, what, found) {
  if (!cond) {
    throw new Error("check failed: " + what + (found === undefined ? "" : "\n  found: " + JSON.stringify(found)));
  }
}

async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(CHROMIUM + " not found: apt-get install -y chromium (or scripts/deps.sh test)");
  }
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 60000 });
}

// "2026-11-27T08:00:05Z" -> "2026-11-27T08:00:05" (datetime-local, the page reads it as UTC).
function localValue(rfc3339) {
  return rfc3339.replace(/Z$/, "").replace(/\+00:00$/, "");
}

// Fails on page errors, console errors and CSP violations (Chromium reports them as console errors).
function watchErrors(page, errors) {
  page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error") { errors.push("console: " + m.text()); }
  });
}

async function runAxe(page, what) {
  await page.evaluate(axe.source);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } })
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const all = result.violations.map((v) => v.id + " (" + v.impact + ", " + v.nodes.length + ")");
  log("axe on " + what + ": " + result.passes.length + " rules passed; violations: " + (all.join(", ") || "none"));
  check(bad.length === 0, "axe-core finds no serious or critical violation on " + what,
    bad.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.html) })));
  return all;
}

async function selectorAnswer(page, v, at) {
  const form = page.locator("#rp-" + v + " form.rp");
  await form.locator("input[name=at]").fill(localValue(at));
  const box = page.locator("#rp-answer-" + v);
  await form.locator("button[type=submit]").click();
  await page.waitForFunction((id) => {
    const b = document.getElementById(id);
    return b && (b.classList.contains("yes") || b.classList.contains("no"));
  }, "rp-answer-" + v, { timeout: 15000 });
  return { cls: await box.getAttribute("class"), text: await box.innerText() };
}

async function api(url, p) {
  const r = await fetch(new URL(p, url));
  return { status: r.status, body: await r.json() };
}

async function test(url, spec) {
  const v = spec.venture;
  const errors = [];
  const browser = await launch();
  const summary = { ok: false, checks: [] };
  const passed = (what) => { summary.checks.push(what); log("ok: " + what); };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(url).origin });
    const page = await context.newPage();
    watchErrors(page, errors);
    const resp = await page.goto(url, { waitUntil: "load" });
    check(resp.status() === 200, "GET / answers 200", resp.status());
    const csp = resp.headers()["content-security-policy"] || "";
    check(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), "CSP without inline script", csp);

    // Every section renders.
    check((await page.getAttribute("html", "lang")) === "en", "the document has lang=en");
    check(await page.locator("h1").count() === 1, "one h1");
    const rows = page.locator("#status-table tbody tr");
    check(await rows.count() >= 1, "the status table has a row per venture", await rows.count());
    for (const id of ["backups", "window", "rp", "drills", "failovers", "alerts"]) {
      const section = page.locator("#" + id + "-" + v);
      check(await section.count() === 1 && await section.locator("h3").count() >= 1, "section #" + id + "-" + v + " with a heading");
    }
    const backupsText = await page.locator("#backups-" + v).innerText();
    check(spec.backups.every((b) => backupsText.includes(b)) || backupsText.includes(spec.inside_backup),
      "the backup status names the newest backup", backupsText);
    const trend = page.locator("#backups-" + v + " svg.trend");
    check(await trend.count() === 1, "the size trend is drawn");
    const trendLabel = await trend.getAttribute("aria-label");
    check(trendLabel.includes("(" + spec.size_samples + " samples)"), "the trend has one point per stored day", trendLabel);
    check(await trend.locator("polyline").getAttribute("points").then((p) => p.split(" ").length) === spec.size_samples,
      "the trend line has a point per sample");
    const timeline = page.locator("#window-" + v + " svg.timeline");
    check(await timeline.count() === 1, "the PITR window is drawn as an SVG timeline");
    check(await timeline.locator("rect.piece").count() === 2, "two window pieces", await timeline.locator("rect.piece").count());
    check(await timeline.locator("rect.gap").count() === 1, "one gap between them", await timeline.locator("rect.gap").count());
    const gapBox = await timeline.locator("rect.gap").boundingBox();
    check(gapBox && gapBox.width >= 2, "the gap is visible", gapBox);
    passed("every section renders; the window has 2 pieces and a gap");

    // Drill timeline: a passed and a failed drill, distinct beyond colour.
    const passedDrill = page.locator("#drills-" + v + " li.drill.passed").first();
    const failedDrill = page.locator("#drills-" + v + " li.drill.failed").first();
    check(await passedDrill.count() === 1 && await failedDrill.count() === 1, "a passed and a failed drill");
    const pText = await passedDrill.innerText();
    const fText = await failedDrill.innerText();
    check(/Passed/.test(pText) && /RTO/.test(pText) && /RPO/.test(pText) && /objective/.test(pText),
      "the passed drill shows its outcome, RTO and RPO against the objectives", pText);
    check(/Failed/.test(fText), "the failed drill says so in words", fText);
    const borders = await Promise.all([passedDrill, failedDrill].map((l) => l.evaluate((e) => getComputedStyle(e).borderTopStyle)));
    check(borders[0] !== borders[1], "passed and failed drills differ in border style, not only colour", borders);
    passed("drill timeline shows a passed and a failed drill");

    // Failovers and alert configuration.
    check((await page.locator("#failovers-" + v).innerText()).length > 10, "the failovers section says something");
    const runbooks = page.locator("#alerts-" + v + " a[href^='https://github.com/backstop-dr/backstop/blob/main/runbooks/']");
    check(await runbooks.count() >= 5, "runbook links", await runbooks.count());
    check(await page.locator("#objectives-" + v + " table").count() === 1, "objectives in force as a table");
    passed("failovers and alert configuration render");

    // The recovery point selector, against the agent's own API.
    const inside = await selectorAnswer(page, v, spec.inside);
    check(inside.cls.includes("yes") && /Recoverable/.test(inside.text), "inside the window: recoverable", inside);
    check(inside.text.includes(spec.inside_backup), "inside the window: from the newest backup " + spec.inside_backup, inside.text);
    const command = await page.locator("#rp-answer-" + v + " code").innerText();
    const [day, clock] = spec.inside.replace(/Z$/, "").split("T");
    check(/restore/.test(command) && command.includes(day) && command.includes(clock),
      "the command restores to the chosen time", command);
    const viaApi = await api(url, "/api/v1/ventures/" + v + "/recovery-points?at=" + encodeURIComponent(spec.inside));
    check(viaApi.status === 200 && viaApi.body.recoverable === true && viaApi.body.command === command,
      "the page shows the API's command exactly", { api: viaApi, page: command });
    await page.locator("#rp-answer-" + v + " button.copy").click();
    await page.waitForFunction(() => document.querySelector("button.copy").textContent !== "Copy command", null, { timeout: 5000 });
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    check(clip === command, "Copy puts the exact command on the clipboard", clip);
    await page.screenshot({ path: path.join(spec.artifacts, "status-page-selector.png"), fullPage: false,
      clip: await page.locator("#rp-" + v).boundingBox().then((b) => ({ x: 0, y: Math.max(0, b.y - 10), width: 1280, height: Math.min(600, b.height + 20) })) });

    const gap = await selectorAnswer(page, v, spec.gap);
    check(gap.cls.includes("no") && /Not recoverable/.test(gap.text) && /gap/i.test(gap.text), "in the gap: not recoverable, and the reason names the gap", gap);
    const gapApi = await api(url, "/api/v1/ventures/" + v + "/recovery-points?at=" + encodeURIComponent(spec.gap));
    check(gapApi.body.recoverable === false && gap.text.includes(gapApi.body.reason), "the gap answer is the API's", gapApi);
    check(await page.locator("#rp-answer-" + v + " code").count() === 0, "no command for a point in the gap");

    const outside = await selectorAnswer(page, v, spec.outside);
    check(outside.cls.includes("no") && /Not recoverable/.test(outside.text), "outside the window: not recoverable", outside);
    const outApi = await api(url, "/api/v1/ventures/" + v + "/recovery-points?at=" + encodeURIComponent(spec.outside));
    check(outApi.body.recoverable === false && outside.text.includes(outApi.body.reason) && !/gap/i.test(outApi.body.reason),
      "outside the window: the API's reason, about the window, not a gap", outApi);
    passed("recovery point selector: inside, in the gap, outside");

    summary.axe = await runAxe(page, "the page with an answer shown");

    // Objectives form: a wrong token is refused, the right one changes the metric.
    const form = page.locator("form.objectives-form[data-venture='" + v + "']");
    check(await form.isVisible(), "the objectives form is shown with JavaScript");
    check(await form.locator("input[name=token]").getAttribute("type") === "password", "the token field is a password field");
    await form.locator("input[name=rpo]").fill(spec.new_rpo);
    await form.locator("input[name=token]").fill("not-the-token");
    await form.locator("button[type=submit]").click();
    await page.waitForFunction((f) => /Not authorized/.test(document.querySelector(f + " .status-line").textContent), "form.objectives-form[data-venture='" + v + "']", { timeout: 10000 });
    await form.locator("input[name=token]").fill(spec.token);
    await form.locator("button[type=submit]").click();
    await page.waitForFunction((f) => /updated/.test(document.querySelector(f + " .status-line").textContent), "form.objectives-form[data-venture='" + v + "']", { timeout: 10000 });
    check(await form.locator("input[name=token]").inputValue() === "", "the token is cleared after use");
    const metrics = await (await fetch(new URL("/metrics", url))).text();
    const line = metrics.split("\n").find((l) => l.startsWith('backstop_rpo_objective_seconds{venture="' + v + '"}'));
    check(line && Number(line.split(" ").pop()) === spec.new_rpo_seconds, "/metrics shows the new RPO objective", line);
    await page.waitForFunction((id) => /30s/.test(document.getElementById(id).innerText), "objectives-" + v, { timeout: 10000 });
    const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
    check(!stored.includes(spec.token), "the token is not stored by the page");
    check(!(await page.content()).includes(spec.token), "the token is not in the page");
    passed("objectives form changes backstop_rpo_objective_seconds");

    // Refresh keeps typed input and swaps live sections.
    await page.locator("#rp-" + v + " input[name=at]").fill(localValue(spec.inside));
    const before = await page.getAttribute("body", "data-refreshed");
    await page.locator("#refresh-now").click();
    await page.waitForFunction((b) => document.body.getAttribute("data-refreshed") !== b, before, { timeout: 10000 });
    check(await page.locator("#rp-" + v + " input[name=at]").inputValue() === localValue(spec.inside), "a refresh keeps what was typed");
    passed("refresh re-fetches the live sections and keeps form input");

    // Screenshots with an answer in the selector; the README shows the first 1500 px.
    await selectorAnswer(page, v, spec.inside);
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    await page.screenshot({ path: path.join(spec.artifacts, "status-page.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: spec.docs_screenshot, fullPage: false });
    // The one expected failure: the PUT with the wrong token above answered 401.
    const unexpected = errors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e));
    check(errors.length - unexpected.length === 1, "exactly one 401 (the wrong token)", errors);
    check(unexpected.length === 0, "no page errors, console errors or CSP violations", unexpected);
    await context.close();

    // Without JavaScript: the table and every section are there, the meta refresh is active,
    // the objectives form (which needs PUT with a header) stays hidden behind a curl hint.
    const nojs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const plain = await nojs.newPage();
    await plain.goto(url, { waitUntil: "load" });
    check(await plain.locator("#status-table tbody tr").count() >= 1, "without JavaScript the status table renders");
    check(await plain.locator("#drills-" + v + " li.drill").count() >= 2, "without JavaScript the drills render");
    check(await plain.locator("meta[http-equiv=refresh][content='30']").count() === 1, "without JavaScript the page refreshes every 30 s");
    check(!(await plain.locator("form.objectives-form").first().isVisible()), "without JavaScript the objectives form is hidden");
    // The selector without JavaScript: the form reloads the page with ?venture=&at= and the
    // server answers in the same box.
    await plain.locator("#rp-at-" + v).fill(localValue(spec.inside));
    await Promise.all([plain.waitForURL(/[?&]at=/), plain.locator("#rp-" + v + " button[type=submit]").click()]);
    const plainAnswer = plain.locator("#rp-answer-" + v);
    check((await plainAnswer.getAttribute("class")).includes("yes"), "without JavaScript the selector answers: recoverable", await plainAnswer.innerText());
    check((await plainAnswer.innerText()).includes(spec.inside_backup), "without JavaScript the answer names the backup");
    const plainGap = new URL(url);
    plainGap.search = "?venture=" + v + "&at=" + encodeURIComponent(localValue(spec.gap));
    await plain.goto(plainGap.href);
    check((await plain.locator("#rp-answer-" + v).getAttribute("class")).includes("no"), "without JavaScript a point in the gap is not recoverable");
    await plain.screenshot({ path: path.join(spec.artifacts, "status-page-nojs.png"), fullPage: true });
    await nojs.close();
    passed("the page works without JavaScript");
    summary.ok = true;
  } finally {
    await browser.close();
  }
  return summary;
}

// Page weight (HTML + assets) and time to first render over `runs` cold loads.
async function bench(url, runs) {
  const browser = await launch();
  const samples = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const bytes = {};
      page.on("response", async (r) => {
        try { bytes[new URL(r.url()).pathname] = (await r.body()).length; } catch (e) { /* aborted */ }
      });
      await page.goto(url, { waitUntil: "load" });
      await page.waitForTimeout(200);
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const paint = {};
        performance.getEntriesByType("paint").forEach((p) => { paint[p.name] = p.startTime; });
        return {
          ttfb: nav.responseStart, html_done: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd, first_paint: paint["first-paint"], first_contentful_paint: paint["first-contentful-paint"],
          html_bytes: nav.transferSize, ventures: document.querySelectorAll("#status-table tbody tr").length
        };
      });
      t.bytes = bytes;
      samples.push(t);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const median = (k) => {
    const xs = samples.map((s) => s[k]).filter((x) => typeof x === "number").sort((a, b) => a - b);
    return xs.length ? xs[Math.floor(xs.length / 2)] : null;
  };
  const last = samples[samples.length - 1].bytes;
  const html = last["/"] || 0;
  const css = last["/assets/status.css"] || 0;
  const js = last["/assets/status.js"] || 0;
  return {
    runs, ventures: samples[0].ventures, html_bytes: html, css_bytes: css, js_bytes: js, total_bytes: html + css + js,
    median_ms: { ttfb: median("ttfb"), html_done: median("html_done"), first_paint: median("first_paint"),
      first_contentful_paint: median("first_contentful_paint"), dom_content_loaded: median("dom_content_loaded"), load: median("load") },
    samples: samples.map((s) => ({ fcp: s.first_contentful_paint, load: s.load }))
  };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--bench") {
    const out = await bench(args[1], Number(args[2] || 10));
    console.log(JSON.stringify(out));
    return;
  }
  if (args.length !== 2) {
    throw new Error("usage: node status-page.js <agent url> <spec.json> | --bench <agent url> [runs]");
  }
  const spec = JSON.parse(fs.readFileSync(args[1], "utf8"));
  const summary = await test(args[0], spec);
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error("[status-page] FAILED: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
