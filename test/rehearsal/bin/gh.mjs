#!/usr/bin/env node
// A stand-in for the GitHub CLI on the rehearsal's runner (GitHub-hosted runners ship `gh`): the
// `gh release` subcommands the shipped workflows run, as REST calls to GITHUB_API_URL with
// GH_TOKEN, so the API stand-in decides (and refuses) exactly what GitHub would.
// https://cli.github.com/manual/gh_release
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const api = process.env.GITHUB_API_URL;
const token = process.env.GH_TOKEN || process.env.GITHUB_TOKEN;
const args = process.argv.slice(2);
const fail = (message, code = 1) => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
if (!api) fail('gh stand-in: GITHUB_API_URL is not set');

function take(name) {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return undefined;
  const a = args[i];
  if (a.includes('=')) {
    args.splice(i, 1);
    return a.slice(a.indexOf('=') + 1);
  }
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}
function flag(name) {
  const i = args.indexOf(name);
  if (i === -1) return false;
  args.splice(i, 1);
  return true;
}

async function call(
  method,
  path,
  body,
  accept = 'application/vnd.github+json',
  contentType = 'application/json',
) {
  const res = await fetch(path.startsWith('http') ? path : `${api}${path}`, {
    method,
    headers: {
      accept,
      'user-agent': 'gh-standin',
      ...(token ? { authorization: `token ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  if (res.status >= 400) {
    let message = buf.toString('utf8');
    try {
      message = JSON.parse(message).message;
    } catch {
      // not JSON: the body is the message
    }
    fail(`HTTP ${res.status}: ${message} (${path.replace(api, '')})`);
  }
  return { status: res.status, buf, json: () => (buf.length ? JSON.parse(buf.toString('utf8')) : null) };
}

const [group, sub] = args.splice(0, 2);
const repo = take('--repo') ?? take('-R') ?? process.env.GITHUB_REPOSITORY;
if (group !== 'release') fail(`gh stand-in: 'gh ${group}' has no stand-in`);
const tag = args.shift();

async function findRelease() {
  const list = (await call('GET', `/repos/${repo}/releases?per_page=100`)).json();
  return list.find((r) => r.tag_name === tag);
}

switch (sub) {
  case 'view': {
    const fields = take('--json');
    const jq = take('--jq');
    const r = await findRelease();
    if (!r) fail('release not found');
    const view = {
      isDraft: r.draft,
      isImmutable: r.immutable,
      tagName: r.tag_name,
      url: r.html_url,
      name: r.name,
    };
    if (jq === '.isDraft') process.stdout.write(`${view.isDraft}\n`);
    else if (jq === '.assets[].name') for (const a of r.assets) process.stdout.write(`${a.name}\n`);
    else if (fields)
      process.stdout.write(
        `${JSON.stringify(Object.fromEntries(fields.split(',').map((f) => [f, view[f]])))}\n`,
      );
    else process.stdout.write(`${r.tag_name}\n`);
    break;
  }
  case 'create': {
    const draft = flag('--draft');
    const verify = flag('--verify-tag');
    flag('--generate-notes');
    const title = take('--title') ?? tag;
    if (verify)
      await call('GET', `/repos/${repo}/git/ref/tags/${encodeURIComponent(tag)}`).catch(() =>
        fail(`tag ${tag} doesn't exist`),
      );
    const r = (await call('POST', `/repos/${repo}/releases`, { tag_name: tag, name: title, draft })).json();
    for (const file of args) await upload(r, file, false);
    process.stdout.write(`${r.html_url}\n`);
    break;
  }
  case 'upload': {
    const clobber = flag('--clobber');
    const r = await findRelease();
    if (!r) fail('release not found');
    for (const file of args) await upload(r, file, clobber);
    break;
  }
  case 'download': {
    const dir = take('--dir') ?? take('-D') ?? '.';
    const r = (await call('GET', `/repos/${repo}/releases/tags/${encodeURIComponent(tag)}`)).json();
    mkdirSync(dir, { recursive: true });
    for (const a of r.assets) {
      const got = await call(
        'GET',
        `/repos/${repo}/releases/assets/${a.id}`,
        undefined,
        'application/octet-stream',
      );
      writeFileSync(join(dir, a.name), got.buf);
    }
    break;
  }
  case 'edit': {
    const draft = take('--draft');
    const r = await findRelease();
    if (!r) fail('release not found');
    await call(
      'PATCH',
      `/repos/${repo}/releases/${r.id}`,
      draft === undefined ? {} : { draft: draft !== 'false' },
    );
    break;
  }
  case 'delete-asset': {
    // https://cli.github.com/manual/gh_release_delete-asset: `gh release delete-asset TAG NAME --yes`
    flag('--yes');
    const name = args.shift();
    const r = await findRelease();
    if (!r) fail('release not found');
    const asset = r.assets.find((a) => a.name === name);
    if (!asset) fail(`asset ${name} not found in release ${tag}`);
    await call('DELETE', `/repos/${repo}/releases/assets/${asset.id}`);
    break;
  }
  default:
    fail(`gh stand-in: 'gh release ${sub}' has no stand-in`);
}

async function upload(release, file, clobber) {
  const name = basename(file);
  const existing = release.assets.find((a) => a.name === name);
  if (existing) {
    if (!clobber) fail(`asset under the same name already exists: [${name}]`);
    await call('DELETE', `/repos/${repo}/releases/assets/${existing.id}`);
  }
  await call(
    'POST',
    `/repos/${repo}/releases/${release.id}/assets?name=${encodeURIComponent(name)}`,
    readFileSync(file),
    undefined,
    'application/octet-stream',
  );
}
