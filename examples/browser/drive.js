// Drives the example's page in headless Chromium (playwright-core, with
// the system's browser): waits until the page has joined the realm and
// shown live events, clicks the call button, waits for the result, saves
// a screenshot and prints one JSON line of what the page showed.
//
//   node drive.js PAGE_URL SCREENSHOT.png /usr/bin/chromium
//
// TestBrowser runs it with NODE_PATH pointing at tests/interop/js/node_modules.
"use strict";
const { chromium } = require("playwright-core");

const [url, screenshot, executablePath] = process.argv.slice(2);
const wait = { timeout: 15000 };

(async () => {
  const logs = [];
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    page.on("console", (m) => logs.push(m.type() + ": " + m.text()));
    page.on("pageerror", (e) => logs.push("pageerror: " + e.message));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("joined"), null, wait);
    await page.waitForFunction(() => Number(document.getElementById("event-count").textContent) >= 2, null, wait);
    await page.click("#call");
    await page.waitForFunction(() => document.getElementById("result").textContent === "liftoff", null, wait);
    const shown = await page.evaluate(() => ({
      status: document.getElementById("status").textContent,
      events: Number(document.getElementById("event-count").textContent),
      lastEvent: document.querySelector("#events li").textContent,
      progress: document.getElementById("progress").textContent,
      result: document.getElementById("result").textContent,
    }));
    await page.screenshot({ path: screenshot });
    console.log(JSON.stringify({ ok: true, ...shown }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: String(e), logs }));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
