// The ledger a signed statement names (docs/trust.md "What a transition says"): the writer and
// every reader compute it from the remote's URL, so each form of one remote must give one
// identity, and two ledgers must never share one.
import { describe, expect, it } from 'vitest';
import { ledgerIdentity } from './ledger-signing.js';

const idOf = (url: string): string => ledgerIdentity(url, 'ledger').repository;

describe('ledgerIdentity', () => {
  it('is OWNER/NAME on GitHub, for its https and ssh remotes alike', () => {
    for (const url of [
      'https://github.com/acme/ledger.git',
      'https://github.com/acme/ledger',
      'https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/ledger.git',
      'git@github.com:acme/ledger.git',
      'ssh://git@github.com/acme/ledger.git',
      'ssh://git@ssh.github.com:443/acme/ledger.git',
      'https://www.github.com/acme/ledger',
      'git@GitHub.com:acme/ledger.git',
      'ssh://git@GitHub.COM/acme/ledger.git',
    ]) {
      expect(idOf(url), url).toBe('acme/ledger');
    }
    expect(ledgerIdentity('https://github.com/acme/ledger', 'main')).toEqual({
      repository: 'acme/ledger',
      branch: 'main',
    });
  });

  it('names the host and the whole path on any other host: a same-named project elsewhere is another ledger', () => {
    expect(idOf('https://gitlab.example/acme/ledger.git')).toBe('gitlab.example/acme/ledger');
    expect(idOf('git@gitlab.example:acme/ledger.git')).toBe('gitlab.example/acme/ledger');
    expect(idOf('ssh://git@GitLab.Example:2222/acme/ledger.git')).toBe('gitlab.example/acme/ledger');
    // GitHub Enterprise Server is another host too
    expect(idOf('https://ghes.corp.example/acme/ledger.git')).toBe('ghes.corp.example/acme/ledger');
    // nested groups: `team/ledger` of two groups are two ledgers
    expect(idOf('https://gitlab.example/grp/team/ledger.git')).toBe('gitlab.example/grp/team/ledger');
    expect(idOf('https://gitlab.example/other/team/ledger.git')).toBe('gitlab.example/other/team/ledger');
    // a look-alike of github.com is not GitHub
    expect(idOf('https://github.com.evil.example/acme/ledger')).toBe('github.com.evil.example/acme/ledger');
    expect(idOf('https://evilgithub.com/acme/ledger')).toBe('evilgithub.com/acme/ledger');
  });

  it('is the last two parts of a local path (a bare remote on disk)', () => {
    expect(idOf('/srv/git/acme/ledger.git')).toBe('acme/ledger');
    expect(idOf('file:///srv/git/acme/ledger.git')).toBe('acme/ledger');
  });

  it('is the URL without credentials when it names no repository page', () => {
    expect(idOf('https://user:secret-password@git.example/a%20b/ledger.git')).toBe(
      'https://***@git.example/a%20b/ledger.git',
    );
  });
});
