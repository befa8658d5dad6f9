// Browser test of `xpulse serve`: Playwright drives Debian's chromium (headless) on the dashboard while a fit
// runs; the page must show the fit running with its progress increasing, then its frequency map. A screenshot
// is kept as a test artifact. Exit status 0 when all of that is seen.
//
// Environment: XPULSE_BIN, XPULSE_PYTHON (Debian's python3, with h5py), XPULSE_WEB (web/, with node_modules),
// XPULSE_ARTIFACTS (where the screenshot goes), CHROMIUM (default /usr/bin/chromium).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const env = name => {
  if (!process.env[name]) throw new Error(`${name} is not set (run this test through ctest)`);
  return process.env[name];
};
const xpulse = env('XPULSE_BIN');
const { chromium } = createRequire(join(env('XPULSE_WEB'), 'package.json'))('playwright-core');
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'xpulse-dashboard-'));
const artifacts = env('XPULSE_ARTIFACTS');
mkdirSync(artifacts, { recursive: true });
const db = join(dir, 'runs.db');
const jobEnv = { ...process.env, XPULSE_DB: db };

function run(command, args) {
  const r = spawnSync(command, args, { env: jobEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

let server, fit, browser;
try {
  // 120 delays on 1536 x 1536 pixels (a 64 x 64 stack tiled 24 x 24 times): seconds of fitting on one thread.
  run(xpulse, ['simulate', 'pump-probe', '--out', join(dir, 'tile.h5'), '--shape', '120x64x64', '--seed', '5']);
  run(env('XPULSE_PYTHON'), [join(here, 'make_tiled_stack.py'), join(dir, 'tile.h5'), join(dir, 'stack.h5'), '24']);

  server = spawn(xpulse, ['serve', '--port', '0', '--db', db], { env: jobEnv });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    server.stdout.on('data', d => {
      text += d;
      const m = text.match(/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', code => reject(new Error(`xpulse serve exited (${code})`)));
    setTimeout(() => reject(new Error(`xpulse serve did not start: ${text}`)), 10000);
  });

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const problems = [];
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('#status:has-text("runs, updated")', { timeout: 10000 });

  fit = spawn(xpulse, ['fit', join(dir, 'stack.h5'), '--out', join(dir, 'fit.h5'), '--threads', '1',
    '--unit-rows', '32'], { env: jobEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let fitErr = '';
  fit.stderr.on('data', d => { fitErr += d; });
  const fitDone = new Promise(resolve => fit.on('exit', code => resolve(code)));

  // The page follows the running fit: a progress above zero, then a larger one, while it still runs.
  const runningProgress = async above => {
    const handle = await page.waitForFunction(limit => {
      const title = document.getElementById('detail-title').textContent;
      const status = document.getElementById('detail-status').textContent;
      const fraction = Number(document.getElementById('progress-value').dataset.fraction);
      return title.includes(': fit on') && status === 'running' && fraction > limit ? fraction : false;
    }, above, { timeout: 60000, polling: 100 });
    return handle.jsonValue();
  };
  const first = await runningProgress(0);
  const second = await runningProgress(first);
  console.log(`progress seen while the fit ran: ${(100 * first).toFixed(1)}% then ${(100 * second).toFixed(1)}%`);

  const code = await fitDone;
  if (code !== 0) throw new Error(`the fit failed (${code}): ${fitErr}`);
  // Then the frequency map, drawn from the fit's output, appears.
  await page.waitForFunction(() => {
    const img = document.getElementById('map-frequency');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000, polling: 100 });
  const size = await page.$eval('#map-frequency', img => `${img.naturalWidth}x${img.naturalHeight}`);
  const caption = await page.$eval('#map-frequency + figcaption', c => c.textContent);
  if (!caption.includes('THz')) throw new Error(`the frequency map's caption has no unit: ${caption}`);
  await page.waitForSelector('#weather-box:not([hidden])', { timeout: 10000 });
  const shot = join(artifacts, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`frequency map ${size} (${caption}); screenshot ${shot}`);
  if (problems.length) throw new Error(problems.join('\n'));
  console.log('dashboard test: passed');
} catch (e) {
  console.error(`dashboard test: FAILED: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (fit && fit.exitCode === null) fit.kill('SIGKILL');
  if (server && server.exitCode === null) server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
