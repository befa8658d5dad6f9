// The xpulse serve dashboard: the runs table, and for the selected run (the newest running one unless a row is
// clicked) its progress and ETA, fit maps, series charts (uPlot) and computational weather. Polls the JSON API.
'use strict';

const FIT_MAPS = ['frequency', 'amplitude', 'damping', 'phase'];
let selected = null;         // the run id clicked by the user, or null to follow the newest running run
let shown = null;            // the run whose details are on the page
let mapsLoadedFor = null;    // the run whose maps are on the page
const charts = new Map();    // series name -> uPlot

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function eta(run, now) {
  if (run.status !== 'running' || !(run.progress > 0)) return '';
  const elapsed = now - run.started;
  return `${((1 - run.progress) / run.progress * elapsed).toFixed(0)} s`;
}

function renderRuns(runs, now) {
  const body = document.getElementById('runs');
  body.replaceChildren();
  for (const r of runs) {
    const row = body.insertRow();
    row.dataset.id = r.id;
    if (r.id === shown) row.className = 'selected';
    row.onclick = () => { selected = r.id; refresh(); };
    cell(row, r.id);
    cell(row, r.command);
    cell(row, r.status, r.status);
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.style.width = `${(100 * r.progress).toFixed(1)}%`;
    bar.appendChild(fill);
    row.insertCell().appendChild(bar);
    cell(row, eta(r, now));
    cell(row, new Date(r.started * 1000).toLocaleString());
    cell(row, r.host);
    cell(row, r.ranks);
    cell(row, r.metrics && Object.keys(r.metrics).length ? JSON.stringify(r.metrics) : '');
  }
}

async function loadMaps(run) {
  const box = document.getElementById('maps');
  box.replaceChildren();
  mapsLoadedFor = run.id;
  for (const name of FIT_MAPS) {
    const response = await fetch(`api/runs/${run.id}/maps/${name}.png`);
    if (!response.ok) continue;
    const low = Number(response.headers.get('X-Xpulse-Low'));
    const high = Number(response.headers.get('X-Xpulse-High'));
    const units = response.headers.get('X-Xpulse-Units') || '';
    const figure = document.createElement('figure');
    const img = document.createElement('img');
    img.id = `map-${name}`;
    img.alt = `${name} map`;
    img.src = URL.createObjectURL(await response.blob());
    const caption = document.createElement('figcaption');
    caption.textContent = `${name}: ${low.toPrecision(4)} .. ${high.toPrecision(4)} ${units} (viridis, grey: no value)`;
    figure.append(img, caption);
    box.appendChild(figure);
  }
}

function renderSeries(points) {
  const byName = new Map();
  for (const p of points) {
    if (!byName.has(p.name)) byName.set(p.name, [[], []]);
    byName.get(p.name)[0].push(p.x);
    byName.get(p.name)[1].push(p.y);
  }
  for (const [name, data] of byName) {
    if (charts.has(name)) {
      charts.get(name).setData(data);
      continue;
    }
    const holder = document.createElement('div');
    holder.id = `chart-${name}`;
    document.getElementById('charts').appendChild(holder);
    charts.set(name, new uPlot({
      title: name.replaceAll('_', ' '), width: 440, height: 220,
      scales: { x: { time: false } },
      series: [{ label: 'x' }, { label: name, stroke: '#1f77b4', width: 1.5, points: { show: data[0].length < 60 } }],
    }, data, holder));
  }
}

function renderWeather(run) {
  const units = run.work_units || [];
  const box = document.getElementById('weather-box');
  box.hidden = units.length === 0;
  if (!units.length) return;
  const canvas = document.getElementById('weather');
  const ranks = Math.max(run.ranks, ...units.map(u => u.rank + 1));
  canvas.height = 20 + 22 * ranks;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const t0 = run.started;
  const t1 = Math.max(...units.map(u => u.ended));
  const rates = units.map(u => u.bytes / Math.max(u.ended - u.started, 1e-9) / 1e6);
  const sorted = [...rates].sort((a, b) => a - b);
  const lo = sorted[Math.floor(0.02 * (sorted.length - 1))], hi = sorted[Math.floor(0.98 * (sorted.length - 1))];
  const left = 50, width = canvas.width - left - 10;
  const x = t => left + (t - t0) / Math.max(t1 - t0, 1e-9) * width;
  ctx.font = '12px system-ui';
  for (let r = 0; r < ranks; ++r) ctx.fillText(`rank ${r}`, 2, 16 + 22 * r);
  units.forEach((u, i) => {
    const f = hi > lo ? Math.min(1, Math.max(0, (rates[i] - lo) / (hi - lo))) : 0.5;
    ctx.fillStyle = `hsl(${260 - 200 * f}, 70%, ${35 + 20 * f}%)`;
    ctx.fillRect(x(u.started), 4 + 22 * u.rank, Math.max(1, x(u.ended) - x(u.started)), 18);
  });
  document.getElementById('weather-scale').textContent =
    `${units.length} work units over ${(t1 - t0).toFixed(1)} s; colour from ${lo.toPrecision(3)} MB/s (violet) ` +
    `to ${hi.toPrecision(3)} MB/s (yellow-green)`;
}

async function renderDetail(id, now) {
  const response = await fetch(`api/runs/${id}`);
  if (!response.ok) return;
  const run = await response.json();
  if (shown !== run.id) {
    shown = run.id;
    charts.forEach(c => c.destroy());
    charts.clear();
    document.getElementById('charts').replaceChildren();
    document.getElementById('maps').replaceChildren();
    mapsLoadedFor = null;
  }
  document.getElementById('detail').hidden = false;
  document.getElementById('detail-title').textContent = `run ${run.id}: ${run.command} on ${run.host}`;
  const status = document.getElementById('detail-status');
  status.textContent = run.status + (run.message ? ` (${run.message})` : '');
  status.className = run.status;
  document.getElementById('progress-value').textContent = `${(100 * run.progress).toFixed(1)}%`;
  document.getElementById('progress-value').dataset.fraction = run.progress;
  const left = eta(run, now);
  document.getElementById('detail-eta').textContent = left ? `, about ${left} left` : '';
  document.getElementById('detail-command').textContent = run.command_line;
  if (run.command === 'fit' && run.status === 'finished' && mapsLoadedFor !== run.id) await loadMaps(run);
  renderSeries(run.series || []);
  renderWeather(run);
}

async function refresh() {
  try {
    const runs = await (await fetch('api/runs?limit=50')).json();
    const now = Date.now() / 1000;
    const running = runs.find(r => r.status === 'running');
    const id = selected ?? (running ? running.id : (runs.length ? runs[0].id : null));
    if (id !== null) await renderDetail(id, now);
    renderRuns(runs, now);
    document.getElementById('status').textContent = `${runs.length} runs, updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    document.getElementById('status').textContent = `cannot reach the server: ${e}`;
  }
}

refresh();
setInterval(refresh, 1000);
