// The dashboard's client. Every value from the API is attacker-influenced (tags, actors, failure
// reasons are free text), so this file builds the page with DOM APIs and textContent only: it never
// assigns innerHTML/outerHTML, never calls insertAdjacentHTML or document.write, and opens only
// https links, with rel="noopener noreferrer".
/* global uPlot */

const state = {
  window: '30d',
  repository: '',
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

/**
 * An https URL as a link, or undefined. Any other scheme (javascript:, data:, http:) is not linked.
 * Without a label the link shows the URL as the browser will open it (`parsed.href`: the host in
 * punycode, the path percent-encoded), never the stored text: `https://gіthub.com/…` with a
 * Cyrillic `і` would read as github.com and open xn--gthub-n2e.com.
 */
function safeLink(url, label) {
  if (typeof url !== 'string') return undefined;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:') return undefined;
  const a = el('a', { text: label ?? parsed.href, attrs: { target: '_blank', rel: 'noopener noreferrer' } });
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
    $('error-text').textContent = '';
    if (document.body.dataset.state === 'error') document.body.dataset.state = 'ready';
    return;
  }
  box.hidden = false;
  $('error-text').textContent = `Could not load: ${error instanceof Error ? error.message : String(error)}`;
  document.body.dataset.state = 'error';
}

/** The window's `since` for the API: an age, or the start of time for "everything". */
function windowSince() {
  return state.window === 'all' ? '1970-01-01' : state.window;
}

function scopeParams() {
  return state.repository === '' ? {} : { repository: state.repository };
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

function chartOptions(target, series, yLabel, yRange, days) {
  const width = Math.max(300, target.clientWidth || 400);
  // the x axis spans the window's days exactly (a lone day is shown as that day, not years around it)
  const first = days[0];
  const last = days[days.length - 1];
  const xRange = first === last ? [first - 43200, last + 43200] : [first, last];
  return {
    width,
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => xRange },
      y: yRange ? { range: yRange } : { auto: true },
    },
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
      new uPlot(chartOptions(target, spec.series, spec.label, spec.range, days), spec.data, target),
    );
    // the days the x axis spans (UTC midnights, seconds), for whoever checks the page
    target.dataset.xFirst = String(days[0]);
    target.dataset.xLast = String(days[days.length - 1]);
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

function renderAlerts(alerts) {
  $('alerts').replaceChildren(
    ...alerts.map((a) =>
      el('li', { attrs: { 'data-alert': a.kind, 'data-repository': a.repository } }, [
        el('span', { text: `${a.kind}: ${a.message} (since ${shortTime(a.since)})` }),
      ]),
    ),
  );
}

function renderRepositories(rows) {
  const body = rows.map((r) => {
    const pick = el('button', { className: 'repo-pick', text: r.repository, attrs: { type: 'button' } });
    pick.addEventListener('click', () => chooseRepository(r.repository));
    const ledger = el('td', { className: 'nowrap' });
    const link = safeLink(r.ledger_url, 'ledger');
    if (link) ledger.append(link);
    if (r.history_rewritten_at)
      ledger.append(el('span', { className: 'missing-mark', text: ' history rewritten' }));
    if (r.history_rewrite_accepted_at)
      ledger.append(
        el('span', {
          className: 'missing-mark',
          text: ' history rewrite accepted',
          attrs: {
            title: `accepted ${r.history_rewrite_accepted_at} (ingest --accept-rewrite, or --full over a force-push)`,
          },
        }),
      );
    const latest =
      r.latest_tag === null
        ? '—'
        : `${r.latest_tag} (run ${r.latest_run_id}, ${shortTime(r.latest_timestamp)})`;
    return el('tr', { attrs: { 'data-repository': r.repository } }, [
      el('td', {}, [pick]),
      el('td', { text: r.entries, className: 'num' }),
      el('td', { text: r.failure_rate, className: r.failure_tone }),
      el('td', { text: r.validated_rate, className: r.validated_tone }),
      el('td', { text: latest }),
      ledger,
    ]);
  });
  if (body.length === 0) {
    body.push(
      el('tr', {}, [el('td', { text: 'no repositories yet', attrs: { colspan: '6' }, className: 'muted' })]),
    );
  }
  $('repos-body').replaceChildren(...body);
}

/** Keeps the repository choices: every repository the organisation's report knows. */
function updateRepositoryOptions(rows) {
  const select = $('repository');
  const known = new Set([...select.options].map((o) => o.value));
  for (const r of rows) {
    if (!known.has(r.repository)) {
      select.append(el('option', { text: r.repository, attrs: { value: r.repository } }));
      known.add(r.repository);
    }
  }
  select.value = state.repository;
}

function chooseRepository(repository) {
  state.repository = repository;
  $('repository').value = repository;
  state.page = 1;
  void refresh();
}

async function loadKpi() {
  const body = await getJson(`/api/kpi${query({ since: windowSince(), ...scopeParams() })}`);
  state.lastKpi = body;
  const w = body.window;
  // "everything" asks from the epoch: say "start", not 1970-01-01
  const fromStart = !w.since || state.window === 'all';
  $('window-text').textContent =
    `${fromStart ? 'start' : w.since.slice(0, 10)} → ${w.until ? w.until.slice(0, 10) : 'now'}`;
  renderAlerts(body.view.alerts ?? []);
  renderRepositories(body.view.repositories ?? []);
  if (state.repository === '') updateRepositoryOptions(body.view.repositories ?? []);
  $('lag-caption').textContent =
    (body.view.repositories ?? []).length > 1
      ? 'Manifest-to-database lag per day (p95 of the worst repository)'
      : 'Manifest-to-database lag per day (p95)';
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
  a.href = `#/run/${encodeURIComponent(run.tag)}/${run.run_id}/${encodeURIComponent(run.repository ?? '')}`;
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
    const signature = el('td', {}, [
      el('span', { className: `signature ${run.signature_status}`, text: run.signature_status }),
    ]);
    if (run.missing_since) signature.append(el('div', { className: 'missing-mark', text: 'gone from git' }));
    return el(
      'tr',
      {
        attrs: { 'data-tag': run.tag, 'data-run-id': String(run.run_id), 'data-repository': run.repository },
      },
      [
        el('td', { text: run.repository }),
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
        signature,
        links,
      ],
    );
  });
  if (rows.length === 0) {
    rows.push(
      el('tr', {}, [el('td', { text: 'no runs match', attrs: { colspan: '10' }, className: 'muted' })]),
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
  // the table follows the window unless its own date filters say otherwise
  const windowed =
    state.filters.since === undefined && state.filters.until === undefined ? { since: windowSince() } : {};
  const body = await getJson(
    `/api/runs${query({ ...windowed, ...scopeParams(), ...state.filters, sort: state.sort, order: state.order, page: state.page, per_page: 25 })}`,
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
    'repository',
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
    'signature_status',
    'missing_since',
    'manifest_path',
    'manifest_hash',
    'git_commit',
    'ingested_at',
  ]) {
    addField(fields, key, run[key]);
  }
  addField(fields, 'release_url', safeLink(run.release_url) ?? run.release_url);
  addField(fields, 'artifact_url', safeLink(run.artifact_url) ?? run.artifact_url);

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
  const match = /^#\/run\/([^/]+)\/(\d+)(?:\/([^/]*))?$/.exec(location.hash);
  if (!match) {
    $('entry').hidden = true;
    $('dashboard').hidden = false;
    return;
  }
  $('dashboard').hidden = true;
  $('entry').hidden = false;
  document.body.dataset.entry = 'loading';
  const tag = decodeURIComponent(match[1]);
  const repository = match[3] ? decodeURIComponent(match[3]) : '';
  const body = await getJson(
    `/api/runs/${encodeURIComponent(tag)}/${match[2]}${query(repository === '' ? {} : { repository })}`,
  );
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

/** Reloads the figures and the table (window or repository changed), with the loading state. */
async function refresh() {
  document.body.dataset.state = 'loading';
  const results = await Promise.allSettled([loadKpi(), loadRuns()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) showError(failed.reason);
  else {
    showError(undefined);
    document.body.dataset.state = 'ready';
  }
}

function start() {
  $('window').addEventListener('change', (event) => {
    state.window = event.target.value;
    state.page = 1;
    void refresh();
  });
  $('repository').addEventListener('change', (event) => chooseRepository(event.target.value));
  $('retry').addEventListener('click', () => void refresh().then(() => guard(showRoute())));
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
  void refresh().then(() => guard(showRoute()));
}

start();
