// Drives the built report in headless Chromium (Debian's, through playwright-core, which
// downloads no browser) and prints what the pages show as one JSON object. The Rust test
// (trainer/tests/report_browser.rs) compares it with the report's data.
//
//   node check.mjs <base-url> <screenshot-dir> <run-id> <run-id> <run-id>...
//
// Fails (exit 1) on any page error, failed request or console error.
import { chromium } from 'playwright-core';

const [base, shots, ...ids] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
// A navigation aborts the previous page's fetches: that is not a failure.
page.on('requestfailed', (r) => {
  if (!(r.failure()?.errorText || '').includes('ERR_ABORTED')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
});
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

const out = {};
const timeout = 60_000;

async function chartsAtLeast(n) {
  await page.waitForFunction((n) => Number(document.body.dataset.charts || 0) >= n, n, { timeout });
}

// Plotly's own data and rendered labels of one chart.
async function chart(selector) {
  return page.$eval(`${selector} .js-plotly-plot`, (el) => ({
    traces: el.data.map((t) => ({
      name: t.name, type: t.type, x: Array.from(t.x || []), y: Array.from(t.y || []),
      showlegend: t.showlegend, error_plus: t.error_y ? Array.from(t.error_y.array) : null,
      error_minus: t.error_y ? Array.from(t.error_y.arrayminus) : null, text: t.text || null,
    })),
    xticks: Array.from(el.querySelectorAll('.xtick text')).map((t) => t.textContent),
    legend: Array.from(el.querySelectorAll('.legendtext')).map((t) => t.textContent),
    yaxisType: el.layout.yaxis.type,
  }));
}

// 1. Runs table.
await page.goto(`${base}#/`);
await page.waitForSelector('#runs-table tbody tr', { timeout });
out.runs = await page.$$eval('#runs-table tbody tr', (rows) => rows.map((r) => Array.from(r.cells).map((c) => c.textContent.trim())));
await page.screenshot({ path: `${shots}/runs.png`, fullPage: true });
// Filtering: typing narrows the table, lands in the URL, and adds no history entries.
const historyBefore = await page.evaluate(() => history.length);
await page.type('input[type=search]', 'lr2', { delay: 50 });
await page.waitForFunction(() => document.querySelectorAll('#runs-table tbody tr').length === 1, null, { timeout });
out.filtered = {
  rows: await page.$$eval('#runs-table tbody tr', (rows) => rows.map((r) => r.cells[1].textContent.trim())),
  hash: await page.evaluate(() => location.hash),
  historyGrowth: (await page.evaluate(() => history.length)) - historyBefore,
};

// 2. A run: curves, evaluation bars, worst utterances (fresh load: time to first chart).
await page.goto(`${base}#/run/${ids[0].slice(0, 12)}?log=1`);
await page.reload();
await chartsAtLeast(10);
out.firstChartMs = Number(await page.evaluate(() => document.body.dataset.firstChartMs));
out.run = {
  title: await page.$eval('article.run h1', (h) => h.textContent),
  loss: await chart('.chart-loss'),
  dialectWer: await chart('.chart-dialect-wer'),
  dialectCer: await chart('.chart-dialect-cer'),
  alignments: await page.$$eval('.alignment', (a) => a.map((x) => x.textContent)),
  substitutions: await page.$$eval('.alignment .sub', (a) => a.length),
  lineage: await page.$eval('.lineage dl', (d) => d.textContent),
  reproductions: await page.$eval('.lineage .reproductions', (d) => d.textContent),
};
await page.screenshot({ path: `${shots}/run.png`, fullPage: true });

// Zoom the loss chart: the visible range is re-bucketed from the full series.
await page.evaluate(() => {
  const el = document.querySelector('.chart-loss .js-plotly-plot');
  return window.Plotly.relayout(el, { 'xaxis.range[0]': 100, 'xaxis.range[1]': 140 });
});
await page.waitForFunction(() => {
  const el = document.querySelector('.chart-loss .js-plotly-plot');
  const xs = el.data[el.data.length - 1].x;
  return xs.length > 0 && xs[0] >= 100 && xs[xs.length - 1] <= 140;
}, null, { timeout });
out.zoomed = await chart('.chart-loss');

// On the wall-time axis too: 35–49 s is steps 100–140 in the fixture (0.35 s a step).
await page.evaluate((id) => { location.hash = `#/run/${id}?x=wall&log=1`; }, ids[0].slice(0, 12));
await page.waitForFunction(() => {
  const el = document.querySelector('.chart-loss .js-plotly-plot');
  return el && el.layout.xaxis.title.text.startsWith('wall') && el.data[0].x.length > 41;
}, null, { timeout });
await page.evaluate(() => {
  const el = document.querySelector('.chart-loss .js-plotly-plot');
  return window.Plotly.relayout(el, { 'xaxis.range[0]': 35, 'xaxis.range[1]': 49 });
});
await page.waitForFunction(() => {
  const el = document.querySelector('.chart-loss .js-plotly-plot');
  const xs = el.data[el.data.length - 1].x;
  return xs.length > 0 && xs.length <= 41 && xs[0] >= 35 && xs[xs.length - 1] <= 49.0001;
}, null, { timeout });
out.zoomedWall = await chart('.chart-loss');

// Smoothing slider and x axis are kept in the URL.
await page.$eval('.controls input[type=range]', (el) => { el.value = '0.9'; el.dispatchEvent(new Event('change', { bubbles: true })); });
await page.waitForFunction(() => location.hash.includes('smooth=0.9'), null, { timeout });
out.smoothedHash = await page.evaluate(() => location.hash);

// 3. Compare all runs.
await page.goto(`${base}#/compare/${ids.map((i) => i.slice(0, 12)).join(',')}`);
await page.waitForSelector('.delta-table tbody tr', { timeout });
await page.waitForFunction(() => document.querySelectorAll('.compare .js-plotly-plot').length >= 5, null, { timeout });
out.compare = {
  loss: await chart('.compare .chart-loss'),
  configKeys: await page.$$eval('.config-diff tbody th', (t) => t.map((x) => x.textContent)),
  deltaRows: await page.$$eval('.delta-table', (tables) => tables.map((t) => Array.from(t.tBodies[0].rows).map((r) => Array.from(r.cells).map((c) => c.textContent.trim())))),
  sideBySide: await chart('.chart-compare-dialect'),
};
await page.screenshot({ path: `${shots}/compare.png`, fullPage: true });

// 4. Nothing hostile ran.
out.pwned = await page.evaluate(() => window.__pwned ?? null);
out.problems = problems;
await browser.close();
// Not process.exit(): it would cut a long stdout off at the pipe's buffer.
console.log(JSON.stringify(out));
process.exitCode = problems.length ? 1 : 0;
