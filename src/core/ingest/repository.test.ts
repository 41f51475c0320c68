import { describe, expect, it } from 'vitest';
import {
  parseLedgerSpecs,
  parseRenameSpec,
  parseRepositoryName,
  repositoryFromRemoteUrl,
} from './repository.js';

/** The host each remote of the tables below names (lower case; null for a path or a `file:` URL). */
const HOSTS: Readonly<Record<string, string | null>> = {
  'https://github.com/acme/widgets.git': 'github.com',
  'https://github.com/acme/widgets': 'github.com',
  'git@github.com:acme/widgets.git': 'github.com',
  'ssh://git@git.example.com:2222/acme/widgets.git': 'git.example.com',
  '/srv/git/acme/widgets.git': null,
  'https://gitlab.com/grp/sub/widgets.git': 'gitlab.com',
  'git@gitlab.com:grp/sub/widgets.git': 'gitlab.com',
  'file:///srv/git/acme/widgets.git': null,
  'https://github.com/acme/widgets.GIT': 'github.com',
  'git@github.com:acme/widgets.Git/': 'github.com',
  'https://github.com/acme/widgetsxgit': 'github.com',
  'https://github.com/acme/acme.github.io.git': 'github.com',
  'https://github.com/acme/wid%67ets.git': 'github.com',
  'https://x-access-token:ghs_secret@github.com/acme/widgets.git': 'github.com',
  'git+ssh://git@github.com/acme/widgets.git': 'github.com',
  ' https://github.com/acme/widgets.git\n': 'github.com',
  'file://srv/git/acme/widgets.git': null,
  'git@git.example.com:/srv/git/acme/widgets.git': null,
  'git@github.com:../../evil/acme/widgets.git': 'github.com',
  'C:\\srv\\git\\acme\\widgets.git': null,
  'https://github.com/evil%2Fx/acme/widgets.git': 'github.com',
  'git@GitHub.COM:acme/widgets.git': 'github.com',
  'https://GitHub.COM/acme/widgets.git': 'github.com',
  'ssh://git@GitHub.COM/acme/widgets.git': 'github.com',
};
const hostOf = (url: string): string | null => {
  expect(url in HOSTS, `HOSTS lists ${url}`).toBe(true);
  return HOSTS[url]!;
};

describe('repositoryFromRemoteUrl', () => {
  it.each([
    ['https://github.com/acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    ['https://github.com/acme/widgets', 'acme/widgets', 'https://github.com/acme/widgets'],
    ['git@github.com:acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    [
      'ssh://git@git.example.com:2222/acme/widgets.git',
      'acme/widgets',
      'https://git.example.com/acme/widgets',
    ],
    ['/srv/git/acme/widgets.git', 'acme/widgets', null],
    // nested groups: the link is the whole path, never another project's `owner/name`
    ['https://gitlab.com/grp/sub/widgets.git', 'sub/widgets', 'https://gitlab.com/grp/sub/widgets'],
    ['git@gitlab.com:grp/sub/widgets.git', 'sub/widgets', 'https://gitlab.com/grp/sub/widgets'],
    ['file:///srv/git/acme/widgets.git', 'acme/widgets', null],
    // the suffix in any case: `widgets.GIT` is the same GitHub repository, never a second one
    ['https://github.com/acme/widgets.GIT', 'acme/widgets', 'https://github.com/acme/widgets'],
    ['git@github.com:acme/widgets.Git/', 'acme/widgets', 'https://github.com/acme/widgets'],
    // a host in any case is that host (the scp form's host too)
    ['git@GitHub.COM:acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    ['https://GitHub.COM/acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    ['ssh://git@GitHub.COM/acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
  ])('%s -> %s', (url, repository, link) => {
    expect(repositoryFromRemoteUrl(url)).toEqual({ repository, url: link, host: hostOf(url) });
  });

  it.each(['widgets.git', '/', 'https://github.com/', 'https://host/a/..', 'not a url://x'])(
    'gives nothing for %s',
    (url) => {
      expect(repositoryFromRemoteUrl(url)).toBeUndefined();
    },
  );
});

describe('parseRepositoryName / parseLedgerSpecs', () => {
  it('accepts owner/name and refuses anything else with a code', () => {
    expect(parseRepositoryName(' acme/widgets ')).toBe('acme/widgets');
    for (const bad of ['acme/', 'a/b/c', '../x', 'acme/wid gets', 'acme/..', '..', '']) {
      expect(() => parseRepositoryName(bad)).toThrowCode('INGEST_REPOSITORY_INVALID');
    }
  });

  it('accepts the one-part names an upgraded database gave its earlier runs', () => {
    expect(parseRepositoryName('default')).toBe('default');
    expect(parseLedgerSpecs(['default=../w'])).toEqual([{ repository: 'default', dir: '../w' }]);
  });

  it('reads OWNER/NAME and OWNER/NAME=DIR; several need their directories, once each', () => {
    expect(parseLedgerSpecs(['acme/a'])).toEqual([{ repository: 'acme/a' }]);
    expect(parseLedgerSpecs(['acme/a=../a', 'acme/b=/srv/b'])).toEqual([
      { repository: 'acme/a', dir: '../a' },
      { repository: 'acme/b', dir: '/srv/b' },
    ]);
    expect(() => parseLedgerSpecs(['acme/a', 'acme/b=../b'])).toThrowCode('USAGE_INVALID_FLAG');
    expect(() => parseLedgerSpecs(['acme/a=x', 'ACME/a=y'])).toThrowCode('USAGE_INVALID_FLAG');
    expect(() => parseLedgerSpecs(['acme/a='])).toThrowCode('USAGE_INVALID_FLAG');
  });
});

describe('parseRenameSpec', () => {
  it('takes OLD=NEW, each owner/name or an upgraded database one-part name', () => {
    expect(parseRenameSpec('acme/widgets=acme/gizmos')).toEqual({ from: 'acme/widgets', to: 'acme/gizmos' });
    expect(parseRenameSpec(' default = acme/widgets ')).toEqual({ from: 'default', to: 'acme/widgets' });
  });
  it.each(['acme/widgets', 'acme/widgets=', '=acme/gizmos', 'acme/a b=acme/c', 'acme/a=acme/b/c'])(
    'refuses %s',
    (bad) => {
      expect(() => parseRenameSpec(bad)).toThrowCode('INGEST_REPOSITORY_INVALID');
    },
  );
});

// mutation audit (nineteenth session): each case below failed a mutant the tests above let through
describe('repositoryFromRemoteUrl, hostile and unusual remotes (mutation audit)', () => {
  it.each([
    // `.git` only as the whole suffix: `widgetsxgit` and `acme.github.io` are names of their own
    ['https://github.com/acme/widgetsxgit', 'acme/widgetsxgit', 'https://github.com/acme/widgetsxgit'],
    [
      'https://github.com/acme/acme.github.io.git',
      'acme/acme.github.io',
      'https://github.com/acme/acme.github.io',
    ],
    // a percent-encoded letter is that letter
    ['https://github.com/acme/wid%67ets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    // credentials never reach the link
    [
      'https://x-access-token:ghs_secret@github.com/acme/widgets.git',
      'acme/widgets',
      'https://github.com/acme/widgets',
    ],
    // another scheme of the URL form
    ['git+ssh://git@github.com/acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
    // a line end around the URL (as `git remote get-url` prints it)
    [' https://github.com/acme/widgets.git\n', 'acme/widgets', 'https://github.com/acme/widgets'],
    // not a web page: a file URL with a host, an absolute path on an ssh host, a path going up,
    // a Windows path
    ['file://srv/git/acme/widgets.git', 'acme/widgets', null],
    ['git@git.example.com:/srv/git/acme/widgets.git', 'acme/widgets', null],
    ['git@github.com:../../evil/acme/widgets.git', 'acme/widgets', null],
    ['C:\\srv\\git\\acme\\widgets.git', 'acme/widgets', null],
    // an encoded separator before the owner is no separator: no page
    ['https://github.com/evil%2Fx/acme/widgets.git', 'acme/widgets', null],
  ])('%j -> %s', (url, repository, link) => {
    expect(repositoryFromRemoteUrl(url)).toEqual({ repository, url: link, host: hostOf(url) });
  });

  it.each([
    // a host holding a path: the scp form's host is a host name
    'git@github.com/x:acme/widgets.git',
    // an encoded `/` or `\` inside a part names no repository there (`acme/widgets` is not this remote)
    'https://github.com/evil/x%2Facme%2Fwidgets',
    'https://github.com/evil/x%5Cacme%5Cwidgets.git',
    'ssh://git@github.com/acme%2Fwidgets.git',
    // a malformed escape: no repository, never an exception
    'https://github.com/acme/wid%zzgets.git',
  ])('gives nothing for %j', (url) => {
    expect(repositoryFromRemoteUrl(url)).toBeUndefined();
  });
});

describe('repository names, GitHub rules (mutation audit)', () => {
  it('refuses `.`, characters GitHub does not allow and parts over 100 characters', () => {
    for (const bad of ['acme/.', '.', './x', 'acme/wid:gets', 'ac@me/widgets', `acme/${'w'.repeat(101)}`]) {
      expect(() => parseRepositoryName(bad), bad).toThrowCode('INGEST_REPOSITORY_INVALID');
    }
    expect(parseRepositoryName(`acme/${'w'.repeat(100)}`)).toBe(`acme/${'w'.repeat(100)}`);
  });

  it('splits OWNER/NAME=DIR at the first `=` and trims the directory', () => {
    expect(parseLedgerSpecs(['acme/a= ../a '])).toEqual([{ repository: 'acme/a', dir: '../a' }]);
    expect(parseLedgerSpecs(['acme/a=dir=x'])).toEqual([{ repository: 'acme/a', dir: 'dir=x' }]);
  });
});
