#!/usr/bin/env node
// The rehearsal's bare repositories call this before accepting a push: GitHub decides pushes by
// the credentials the pusher sent (the job's GITHUB_TOKEN, persisted by actions/checkout). The
// runner passes that token to git as REHEARSAL_GIT_TOKEN; the API stand-in applies the rules.
const refs = require('node:fs')
  .readFileSync(0, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split(' ')[2]);
const api = process.env.REHEARSAL_API_URL;
fetch(`${api}/__rehearsal/push`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ token: process.env.REHEARSAL_GIT_TOKEN ?? '', refs }),
})
  .then((r) => r.json())
  .then((d) => {
    if (!d.ok) {
      process.stderr.write(`${d.message}\n`);
      process.exit(1);
    }
  })
  .catch((e) => {
    process.stderr.write(`remote: the rehearsal's GitHub is unreachable: ${e.message}\n`);
    process.exit(1);
  });
