// The dashboard's client. Every value from the API is attacker-influenced (tags, actors, failure
// reasons are free text), so this file builds the page with DOM APIs and textContent only: it never
// assigns innerHTML/outerHTML, never calls insertAdjacentHTML or document.write, and opens only
// https links, with rel="noopener noreferrer".
/* global uPlot */

const state = {
  window: '30d',
  filters: {},
  sort: 'timestamp',
  order: 'desc',
  page: 1,
  totalPages: 1,
  charts: [],
  lastKpi: undefined,
};

const $ = (id) => document.getElementById(id);

/** Creates an element with text content and optional class / attributes; never parses HTML. */
function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [k, v] of Object.entries(options.attrs ?? {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

/** An https URL as a link, or undefined. Any other scheme (javascript:, data:, http:) is not linked. */
function safeLink(url, label) {
  if (typeof url !== 'string') return undefined;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:') return undefined;
  const a = el('a', { text: label, attrs: { target: '_blank', rel: 'noopener noreferrer' } });
  a.href = parsed.href;
  return a;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = body?.error?.code ?? `HTTP_${response.status}`;
    const message = body?.error?.message ?? response.statusText;
    throw new Error(`${code}: ${message}`);
  }
  return body;
}

function showError(error) {
  const box = $('error');
  if (error === undefined) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.hidden = false;
  box.textContent = error instanceof Error ? error.message : String(error);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

// ---------------------------------------------------------------- KPIs

function renderCards(cards) {
  const box = $('cards');
  box.replaceChildren(
    ...cards.map((card) =>
      el('div', { className: `card ${card.tone}`, attrs: { 'data-kpi': card.id } }, [
        el('div', { className: 'label', text: card.label }),
        el('div', { className: 'value', text: card.value }),
        el('div', { className: 'detail', text: card.detail ?? '' }),
      ]),
    ),
  );
}

function renderBreakdown(breakdown) {
  const box = $('breakdown');
  const group = (title, rows) => {
    const out = [el('h4', { text: title })];
    if (rows.length === 0) out.push(el('p', { className: 'muted', text: 'no entries in this window' }));
    for (const row of rows) {
      const fill = el('div', { className: `fill ${row.tone ?? ''}` });
      fill.style.width = `${Math.max(0, Math.min(100, row.share * 100)).toFixed(1)}%`;
      out.push(
        el('div', { className: 'bar-row', attrs: { 'data-breakdown': row.label } }, [
          el('span', { text: row.label }),
          el('div', { className: 'bar' }, [fill]),
          el('span', { className: 'count', text: `${row.count} (${(row.share * 100).toFixed(1)}%)` }),
        ]),
      );
    }
    return out;
  };
  box.replaceChildren(
    ...group('Status', breakdown.status),
    ...group('Governance flag', breakdown.governance_flag),
  );
}

const palette = {
  success: '#1a7f4b',
  failure: '#b42318',
  missing: '#a86500',
  validated: '#2457c5',
  lag: '#6b4bc5',
};

function chartOptions(target, series, yLabel, yRange) {
  const width = Math.max(300, target.clientWidth || 400);
  return {
    width,
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: yRange ? { range: yRange } : { auto: true } },
    axes: [{}, { label: yLabel, size: 56 }],
    series: [{}, ...series],
  };
}

function drawCharts(series) {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
  if (typeof uPlot === 'undefined') {
    showError(new Error('the chart library did not load'));
    return;
  }
  const days = series.days;
  const specs = [
    {
      id: 'chart-entries',
      label: 'entries',
      series: [
        { label: 'success', stroke: palette.success, fill: 'rgba(26,127,75,0.12)', width: 2 },
        { label: 'failure', stroke: palette.failure, fill: 'rgba(180,35,24,0.12)', width: 2 },
      ],
      data: [days, series.entries_success, series.entries_failure],
    },
    {
      id: 'chart-rates',
      label: '%',
      range: [0, 100],
      series: [
        { label: 'failure %', stroke: palette.failure, width: 2 },
        { label: 'missing artifact %', stroke: palette.missing, width: 2 },
        { label: 'validated %', stroke: palette.validated, width: 2 },
      ],
      data: [
        days,
        series.failure_rate.map(pct),
        series.missing_artifact_rate.map(pct),
        series.validated_rate.map(pct),
      ],
    },
    lagSpec(days, series.lag_p95_s),
  ];
  for (const spec of specs) {
    const target = $(spec.id);
    target.replaceChildren();
    if (days.length === 0) {
      target.append(el('p', { className: 'muted', text: 'no entries in this window' }));
      continue;
    }
    state.charts.push(
      new uPlot(chartOptions(target, spec.series, spec.label, spec.range), spec.data, target),
    );
  }
}

/** The lag chart in the unit that suits its largest value (seconds, minutes, hours or days). */
function lagSpec(days, values) {
  const max = Math.max(0, ...values.filter((v) => typeof v === 'number'));
  const [unit, div] =
    max >= 172800
      ? ['days', 86400]
      : max >= 7200
        ? ['hours', 3600]
        : max >= 120
          ? ['minutes', 60]
          : ['seconds', 1];
  return {
    id: 'chart-lag',
    label: unit,
    series: [{ label: `lag p95 (${unit})`, stroke: palette.lag, width: 2, spanGaps: true }],
    data: [days, values.map((v) => (typeof v === 'number' ? Math.round((v / div) * 100) / 100 : null))],
  };
}

function pct(v) {
  return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
}

async function loadKpi() {
  const since = state.window;
  const body = await getJson(`/api/kpi${query({ since })}`);
  state.lastKpi = body;
  const w = body.window;
  $('window-text').textContent =
    `${w.since ? w.since.slice(0, 10) : 'start'} → ${w.until ? w.until.slice(0, 10) : 'now'}`;
  renderCards(body.view.headline);
  renderBreakdown(body.view.breakdown);
  drawCharts(body.view.series);
}

// ---------------------------------------------------------------- runs table

/** `2026-11-24T10:00:00Z` as `2026-11-24 10:00` (the full value stays in the title). */
function shortTime(value) {
  if (typeof value !== 'string') return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${m[1]} ${m[2]}` : value;
}

function runLink(run) {
  const a = el('a', { className: 'tag-link', text: run.tag });
  a.href = `#/run/${encodeURIComponent(run.tag)}/${run.run_id}`;
  return a;
}

function renderRuns(body) {
  const rows = body.runs.map((run) => {
    const links = el('td', { className: 'nowrap' });
    for (const [url, label] of [
      [run.release_url, 'release'],
      [run.artifact_url, 'artifact'],
    ]) {
      const a = safeLink(url, label);
      if (a) links.append(a);
    }
    const statusCell = el('td', {}, [el('span', { className: `status ${run.status}`, text: run.status })]);
    if (run.failure_reason) statusCell.append(el('div', { className: 'reason', text: run.failure_reason }));
    return el('tr', { attrs: { 'data-tag': run.tag, 'data-run-id': String(run.run_id) } }, [
      el('td', {}, [runLink(run)]),
      el('td', { text: run.run_id, className: 'nowrap' }),
      statusCell,
      el('td', { text: run.governance_flag ?? '' }),
      el('td', { text: shortTime(run.timestamp), className: 'nowrap', attrs: { title: run.timestamp } }),
      el('td', { text: run.actor }),
      el('td', {
        text: shortTime(run.validated_at),
        className: 'nowrap',
        attrs: { title: run.validated_at ?? '' },
      }),
      links,
    ]);
  });
  if (rows.length === 0) {
    rows.push(
      el('tr', {}, [el('td', { text: 'no runs match', attrs: { colspan: '8' }, className: 'muted' })]),
    );
  }
  $('runs-body').replaceChildren(...rows);
  state.totalPages = Math.max(1, body.total_pages);
  const more = body.total_capped ? '+' : '';
  $('page-text').textContent = `page ${body.page} of ${state.totalPages}${more} · ${body.total}${more} runs`;
  $('prev').disabled = body.page <= 1;
  $('next').disabled = body.page >= state.totalPages && !body.total_capped;
  if (body.total_capped) state.totalPages = Number.MAX_SAFE_INTEGER;
  for (const button of document.querySelectorAll('th button[data-sort]')) {
    const key = button.getAttribute('data-sort');
    if (key === body.sort)
      button.setAttribute('aria-sort', body.order === 'asc' ? 'ascending' : 'descending');
    else button.removeAttribute('aria-sort');
  }
}

async function loadRuns() {
  document.body.dataset.runs = 'loading';
  const body = await getJson(
    `/api/runs${query({ ...state.filters, sort: state.sort, order: state.order, page: state.page, per_page: 25 })}`,
  );
  renderRuns(body);
  document.body.dataset.runs = 'ready';
}

function readFilters() {
  const form = $('filters');
  const data = new FormData(form);
  const filters = {};
  for (const [k, v] of data.entries()) if (typeof v === 'string' && v.trim() !== '') filters[k] = v.trim();
  return filters;
}

// ---------------------------------------------------------------- entry view

function addField(dl, name, value) {
  const dd = el('dd');
  if (value instanceof Node) dd.append(value);
  else if (value === null || value === undefined || value === '') dd.textContent = '—';
  else if (typeof value === 'object') dd.textContent = JSON.stringify(value, null, 2);
  else dd.textContent = String(value);
  dl.append(el('dt', { text: name }), dd);
}

function renderEntry(body) {
  const run = body.run;
  $('entry-title').textContent = `${run.tag} · run ${run.run_id}`;
  const fields = $('entry-fields');
  fields.replaceChildren();
  for (const key of [
    'tag',
    'run_id',
    'status',
    'governance_flag',
    'failure_reason',
    'sha',
    'actor',
    'timestamp',
    'validation_status',
    'validated_at',
    'manifest_path',
    'manifest_hash',
    'git_commit',
    'ingested_at',
  ]) {
    addField(fields, key, run[key]);
  }
  addField(fields, 'release_url', safeLink(run.release_url, run.release_url ?? '') ?? run.release_url);
  addField(fields, 'artifact_url', safeLink(run.artifact_url, run.artifact_url ?? '') ?? run.artifact_url);

  const history = run.governance_history ?? [];
  const rows = history.map((h) =>
    el('tr', {}, [el('td', { text: h.flag }), el('td', { text: h.timestamp }), el('td', { text: h.run_id })]),
  );
  rows.push(
    el('tr', {}, [
      el('td', { text: `${run.governance_flag ?? '—'} (current)` }),
      el('td', { text: run.timestamp }),
      el('td', { text: run.run_id }),
    ]),
  );
  $('entry-history')
    .querySelector('tbody')
    .replaceChildren(...rows);

  const validation = $('entry-validation');
  validation.replaceChildren();
  if (run.validation) for (const [k, v] of Object.entries(run.validation)) addField(validation, k, v);
  else addField(validation, 'status', 'not validated');

  const provenance = $('entry-provenance');
  provenance.replaceChildren();
  if (run.provenance) {
    for (const [k, v] of Object.entries(run.provenance)) {
      if (k === 'subjects' && Array.isArray(v)) {
        addField(provenance, 'subjects', v.map((s) => `${s.name}  sha256:${s.sha256}`).join('\n'));
      } else addField(provenance, k, v);
    }
  } else addField(provenance, 'provenance', 'none recorded');

  const metrics = $('entry-metrics');
  metrics.replaceChildren();
  if (run.metrics) for (const [k, v] of Object.entries(run.metrics)) addField(metrics, k, v);
  else addField(metrics, 'metrics', 'none recorded');
}

async function showRoute() {
  const match = /^#\/run\/([^/]+)\/(\d+)$/.exec(location.hash);
  if (!match) {
    $('entry').hidden = true;
    $('dashboard').hidden = false;
    return;
  }
  $('dashboard').hidden = true;
  $('entry').hidden = false;
  document.body.dataset.entry = 'loading';
  const tag = decodeURIComponent(match[1]);
  const body = await getJson(`/api/runs/${encodeURIComponent(tag)}/${match[2]}`);
  renderEntry(body);
  document.body.dataset.entry = 'ready';
}

// ---------------------------------------------------------------- wiring

function guard(promise) {
  return promise.then(
    () => showError(undefined),
    (error) => showError(error),
  );
}

function start() {
  $('window').addEventListener('change', (event) => {
    state.window = event.target.value;
    void guard(loadKpi());
  });
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.filters = readFilters();
    state.page = 1;
    void guard(loadRuns());
  });
  $('filters').addEventListener('reset', () => {
    state.filters = {};
    state.page = 1;
    setTimeout(() => void guard(loadRuns()), 0);
  });
  for (const button of document.querySelectorAll('th button[data-sort]')) {
    button.addEventListener('click', () => {
      const key = button.getAttribute('data-sort');
      if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else {
        state.sort = key;
        state.order = key === 'timestamp' || key === 'validated_at' ? 'desc' : 'asc';
      }
      state.page = 1;
      void guard(loadRuns());
    });
  }
  $('prev').addEventListener('click', () => {
    state.page = Math.max(1, state.page - 1);
    void guard(loadRuns());
  });
  $('next').addEventListener('click', () => {
    state.page = Math.min(state.totalPages, state.page + 1);
    void guard(loadRuns());
  });
  $('back').addEventListener('click', (event) => {
    event.preventDefault();
    history.pushState(null, '', location.pathname);
    void guard(showRoute());
  });
  window.addEventListener('hashchange', () => void guard(showRoute()));
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (state.lastKpi) drawCharts(state.lastKpi.view.series);
    }, 150);
  });
  Promise.allSettled([guard(loadKpi()), guard(loadRuns()), guard(showRoute())]).then(() => {
    document.body.dataset.state = 'ready';
  });
}

start();
