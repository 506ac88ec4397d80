// Time from navigation to the first drawn chart, median of 5 fresh page loads each:
// the viewer's run page, its 10-run compare page, and the reference page (naive.html).
import { chromium } from 'playwright-core';

const [base, ids] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
async function firstChart(url) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems = [];
    const pending = new Set();
    page.on('request', (r) => pending.add(r.url()));
    page.on('requestfinished', (r) => pending.delete(r.url()));
    page.on('requestfailed', (r) => { pending.delete(r.url()); problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    await page.goto(url);
    try {
      await page.waitForFunction(() => Number(document.body.dataset.charts || 0) >= 1, null, { timeout: 30_000 });
    } catch (e) {
      const text = await page.evaluate(() => document.body.innerText.slice(0, 500));
      throw new Error(`${url}: no chart after 30 s. Page: ${text} Problems: ${problems.join('; ')} Unfinished: ${[...pending].join(' ')}`);
    }
    times.push(Number(await page.evaluate(() => document.body.dataset.firstChartMs)));
    await page.close();
  }
  times.sort((a, b) => a - b);
  return times[2];
}
const first = ids.split(',')[0].slice(0, 12);
const run = await firstChart(`${base}#/run/${first}`);
const compare = await firstChart(`${base}#/compare/${ids.split(',').map((i) => i.slice(0, 12)).join(',')}`);
const naive = await firstChart(`${base}naive.html`);
await browser.close();
const row = (name, ms) => console.log(`${name.padEnd(46)} ${ms.toFixed(0).padStart(7)} ms`);
row('viewer: run page, first chart', run);
row('viewer: compare 10 runs, first chart', compare);
row('reference: every point to plotly.js (1 chart)', naive);
console.log(`ratio reference / viewer compare-10: ${(naive / compare).toFixed(1)}x`);
console.log(run < 1000 && compare < 1000 ? 'first chart < 1 s: yes' : 'first chart < 1 s: NO');
