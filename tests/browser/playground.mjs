// Uses the playground of a live `braid demo` as a person would, in Debian's headless Chromium.
// BRAID_URL=http://127.0.0.1:PORT node tests/browser/playground.mjs [SCREENSHOT_DIR]
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const base = process.env.BRAID_URL;
if (!base) throw new Error("set BRAID_URL");
const shots = process.argv[2] || "target/screenshots";
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
         "--no-first-run", "--disable-component-update", "--disable-sync"],
});
let failures = 0;
async function check(name, fn) {
  try { await fn(); console.log(`ok - ${name}`); } catch (e) { failures++; console.log(`not ok - ${name}: ${e.message}`); }
}
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  await page.goto(base + "/");

  await check("status line shows the knowledge base", async () => {
    await page.waitForFunction(() => /entities/.test(document.getElementById("status").textContent), null, { timeout: 15000 });
  });

  await check("a graph question typed with the keyboard shows Germany and the plan bars", async () => {
    await page.focus("#q");
    await page.keyboard.type("Which countries border France?");
    await page.keyboard.press("Enter");
    await page.waitForSelector('.card[data-id="country:DEU"]', { timeout: 15000 });
    assert.equal(await page.locator(".plan .route").count(), 3);
    const graphPct = Number(await page.locator('.route[data-route="graph"] [role=meter]').getAttribute("aria-valuenow"));
    assert.ok(graphPct > 50, `graph probability ${graphPct}`);
    assert.ok(await page.locator('.card[data-id="country:DEU"] .badge.graph').count() >= 1, "source badge");
    await page.waitForSelector("#graph-view:not([hidden]) svg circle", { timeout: 15000 });
    await page.screenshot({ path: `${shots}/graph-question.png`, fullPage: true });
  });

  await check("an image query shows picture cards whose images load", async () => {
    await page.getByRole("button", { name: "pictures of musical instruments" }).click();
    await page.waitForSelector('.card[data-kind="image"] img', { timeout: 15000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.card[data-kind="image"] img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 15000 });
    await page.screenshot({ path: `${shots}/image-query.png`, fullPage: true });
  });

  await check("bad input shows a readable error, not a crash", async () => {
    await page.fill("#q", "x");
    await page.selectOption("#k", "50");
    await page.evaluate(() => { document.getElementById("q").value = " "; });
    await page.click("#go");
    await page.waitForSelector("#message:not([hidden])", { timeout: 5000 });
  });

  await check("works on a narrow screen without horizontal scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill("#q", "what is a koala a kind of?");
    await page.keyboard.press("Enter");
    await page.waitForSelector('.card[data-id^="concept:"]', { timeout: 15000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `overflows by ${overflow}px`);
    await page.screenshot({ path: `${shots}/narrow.png`, fullPage: true });
  });

  await check("no script errors and no requests leave the server", async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
  });
} finally {
  await browser.close();
}
console.log(`browser: ${6 - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
