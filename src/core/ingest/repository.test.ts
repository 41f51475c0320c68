import { describe, expect, it } from 'vitest';
import {
  parseLedgerSpecs,
  parseRenameSpec,
  parseRepositoryName,
  repositoryFromRemoteUrl,
} from './repository.js';

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
  ])('%s -> %s', (url, repository, link) => {
    expect(repositoryFromRemoteUrl(url)).toEqual({ repository, url: link });
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
