-- The ingest function's URL check gives the entry schema's verdict on the host and the port
-- (eighteenth session).
--
-- `artifact_url` and `release_url` pass the schema (src/core/ledger/entry.ts, `checkHttpsUrl`) in
-- two ways: the common shape `https://` + a host of ASCII letters, digits, dots and hyphens that
-- starts and ends with a letter or digit and whose last label is not a number (the URL parser
-- reads such a host as IPv4: `999.1.1.1`, `a.1`), no port, then nothing or `/` + printable ASCII
-- without `@` or `\` (taken as it is, without a URL parser); anything else must parse as a WHATWG URL (Node's `new URL`) with the https scheme, a host and no credentials.
-- The function's check (slsa_check_url as in …20261203070000, slsa_check_url_full as in
-- …20261203040000) looked at the scheme, white space, a host and '@' only, so whoever holds the
-- ingest key could store what `record` refuses: a port above 65535 (`https://example.com:70000/x`,
-- its fast path took up to five digits), a port that is not a number, an IPv4-looking host the
-- parser refuses once it reaches it (`https://999.1.1.1:443/x`, `https://1.2.3.4.5./x`,
-- `https://08.1.1.1./x`), an empty host (`https://:80/x`), a forbidden host character (`<`, `>`,
-- `^`, `|`, a bad or decoded-forbidden `%`), a malformed IPv6 address, or a URL with a non-ASCII
-- white space (U+00A0, U+3000, U+FEFF: JavaScript's `\s`). Now:
--
-- * the fast path takes exactly the schema's common shape (its host pattern, no port: a URL with a
--   port goes to the full check);
-- * the full check takes the schema's common shape too, else asks slsa_url_host_port_valid: the
--   WHATWG URL standard's host and port rules for a special scheme (the port all digits, at most
--   65535, empty allowed; an IPv6 address in brackets; the host percent-decoded as UTF-8, ASCII
--   lower-cased, not empty, no forbidden domain code point; a host whose last label is a number
--   parsed as IPv4: at most four parts, each decimal, 0x-hex or 0-octal, all but the last at most
--   255, the last below 256^(5 − parts)).
--
-- A non-ASCII host is approximated: NFKC, the ideographic full stop as '.', lower case (the UTS #46
-- mapping the parser applies, which turns `９９９.1.1.1` into `999.1.1.1`); a host UTS #46 itself
-- refuses (a disallowed code point such as U+FE52, a leading combining mark, a joiner out of
-- context, a bad punycode label) is still taken. What the function took before and still takes: a
-- url whose query names a credential (`?sig=…`; docs/database.md).
-- The same verdicts are asserted on both engines against the schema's, URL by URL
-- (test/integration/postgres/url-check.test.ts).

-- An IPv6 address as the WHATWG URL parser takes it between brackets: 1 to 4 hex digits a group,
-- eight groups, or at most seven around one '::'; the last two may be a dotted IPv4 address
-- (decimal, no leading zero, each at most 255). No zone.
CREATE OR REPLACE FUNCTION public.slsa_url_ipv6_valid(h text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
DECLARE
  s text := h;
  v4 text;
  halves text[];
  half text;
  g text;
  groups integer := 0;
BEGIN
  IF s ~ '[^0-9A-Fa-f:.]' OR position(':' IN s) = 0 THEN
    RETURN false;
  END IF;
  IF position('.' IN s) > 0 THEN
    v4 := substring(s FROM '[^:]*$');
    IF v4 !~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' THEN
      RETURN false;
    END IF;
    s := left(s, length(s) - length(v4)) || '0:0';
  END IF;
  IF position(':::' IN s) > 0 THEN
    RETURN false;
  END IF;
  halves := string_to_array(s, '::');
  IF array_length(halves, 1) > 2 THEN
    RETURN false;
  END IF;
  FOREACH half IN ARRAY halves LOOP
    CONTINUE WHEN half = '';
    FOREACH g IN ARRAY string_to_array(half, ':') LOOP
      IF g !~ '^[0-9A-Fa-f]{1,4}$' THEN
        RETURN false;
      END IF;
      groups := groups + 1;
    END LOOP;
  END LOOP;
  RETURN CASE WHEN array_length(halves, 1) = 2 THEN groups <= 7 ELSE groups = 8 END;
END
$$;

-- The host and port of an https url (scheme, white space and '@' checked before) by the WHATWG URL
-- standard's rules for a special scheme: true when the parser takes them.
CREATE OR REPLACE FUNCTION public.slsa_url_host_port_valid(u text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
DECLARE
  a text := substring(u FROM '^[A-Za-z]+:[/\\]*([^/\\?#]*)');
  host text;
  port text;
  m text[];
  b bytea;
  i integer;
  j integer;
  parts text[];
  n integer;
  p text;
  val numeric;
BEGIN
  IF a IS NULL THEN
    RETURN false;
  END IF;
  IF left(a, 1) = '[' THEN
    m := regexp_match(a, '^\[([^]]*)\](:(.*))?$');
    IF m IS NULL OR NOT public.slsa_url_ipv6_valid(m[1]) THEN
      RETURN false;
    END IF;
    port := m[3];
  ELSE
    host := split_part(a, ':', 1);
    IF position(':' IN a) > 0 THEN
      port := substr(a, length(host) + 2);
    END IF;
  END IF;
  -- the port: digits only (leading zeros allowed), at most 65535; empty is no port
  IF port IS NOT NULL AND port <> ''
     AND (port !~ '^[0-9]+$' OR length(ltrim(port, '0')) > 5 OR ('0' || port)::numeric > 65535) THEN
    RETURN false;
  END IF;
  IF host IS NULL THEN
    RETURN true; -- an IPv6 address
  END IF;
  -- percent-decoded, as UTF-8 (a '%' not followed by two hex digits stays '%': forbidden below)
  IF position('%' IN host) > 0 THEN
    IF host ~ '%([^0-9A-Fa-f]|[0-9A-Fa-f]([^0-9A-Fa-f]|$)|$)' THEN
      RETURN false;
    END IF;
    b := ''::bytea;
    i := 1;
    WHILE i <= length(host) LOOP
      IF substr(host, i, 1) = '%' THEN
        b := b || decode(substr(host, i + 1, 2), 'hex');
        i := i + 3;
      ELSE
        b := b || convert_to(substr(host, i, 1), 'UTF8');
        i := i + 1;
      END IF;
    END LOOP;
    -- well-formed UTF-8 without NUL (no U+FFFD: UTS #46 refuses it), byte by byte in hex
    IF encode(b, 'hex') !~ '^(0[1-9a-f]|[1-7][0-9a-f]|(c[2-9a-f]|d[0-9a-f])[89ab][0-9a-f]|e0[ab][0-9a-f][89ab][0-9a-f]|e[1-9a-cef]([89ab][0-9a-f]){2}|ed[89][0-9a-f][89ab][0-9a-f]|f0[9ab][0-9a-f]([89ab][0-9a-f]){2}|f[1-3]([89ab][0-9a-f]){3}|f4[89][0-9a-f]([89ab][0-9a-f]){2})*$' THEN
      RETURN false;
    END IF;
    host := convert_from(b, 'UTF8');
  END IF;
  -- UTS #46's mapping, approximated: NFKC, the ideographic full stop, lower case
  IF host ~ '[^\u0001-\u007f]' THEN
    host := translate(normalize(host, NFKC), chr(12290), '.');
  END IF;
  host := lower(host);
  IF host = '' OR host ~ '[\u0001-\u0020#%/:<>?@\[\\\]^|\u007f]' OR host ~ '(^|\.)xn--(\.|$)' THEN
    RETURN false;
  END IF;
  -- a host whose last label (a trailing dot aside) is a number is an IPv4 address
  parts := string_to_array(host, '.');
  n := array_length(parts, 1);
  IF n > 1 AND parts[n] = '' THEN
    n := n - 1;
  END IF;
  IF parts[n] !~ '^([0-9]+|0x[0-9a-f]*)$' THEN
    RETURN true;
  END IF;
  IF n > 4 THEN
    RETURN false;
  END IF;
  FOR i IN 1..n LOOP
    p := parts[i];
    IF p ~ '^0x[0-9a-f]*$' THEN
      p := ltrim(substr(p, 3), '0');
      IF length(p) > 8 THEN
        RETURN false;
      END IF;
      val := ('x' || lpad(p, 8, '0'))::bit(32)::bigint;
    ELSIF p ~ '^0[0-7]+$' THEN
      p := ltrim(p, '0');
      IF length(p) > 11 THEN
        RETURN false;
      END IF;
      val := 0;
      FOR j IN 1..length(p) LOOP
        val := val * 8 + substr(p, j, 1)::integer;
      END LOOP;
    ELSIF p ~ '^(0|[1-9][0-9]*)$' THEN
      IF length(p) > 10 THEN
        RETURN false;
      END IF;
      val := p::numeric;
    ELSE
      RETURN false;
    END IF;
    IF (i < n AND val > 255) OR (i = n AND val >= 256::numeric ^ (5 - n)) THEN
      RETURN false;
    END IF;
  END LOOP;
  RETURN true;
END
$$;

-- The full check: plain text of at most 2048, the https scheme (any case), no white space
-- (JavaScript's `\s`: ASCII and the Unicode spaces), a host, no credentials, and the schema's
-- common shape or a host and port the URL parser takes.
CREATE OR REPLACE FUNCTION public.slsa_check_url_full(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(public.slsa_check_text(v, name, 2048), CASE
    WHEN (v #>> '{}') !~* '^https:' THEN name || ' must be an https url'
    WHEN (v #>> '{}') ~ '[\u0000-\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]'
      THEN name || ' must be an https url without spaces'
    WHEN (v #>> '{}') !~ '^[A-Za-z]+:[/\\]*[^/\\?#]' THEN name || ' must name a host'
    WHEN substring(v #>> '{}' FROM '^[A-Za-z]+:[/\\]*([^/\\?#]*)') LIKE '%@%' THEN name || ' must not carry credentials'
    WHEN (v #>> '{}') ~ '^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(/[\u0021-\u003f\u0041-\u005b\u005d-\u007e]*)?$'
         AND split_part(v #>> '{}', '/', 3) !~ '(^|\.)([0-9]+|0[xX][0-9A-Fa-f]*)$'
      THEN NULL
    WHEN NOT public.slsa_url_host_port_valid(v #>> '{}') THEN name || ' must be an https url with a valid host and port'
  END)
$$;

-- The fast path: printable ASCII of at most 2048, `https://`, and the part before the next '/' the
-- schema's common host (letters, digits, dots and hyphens, a letter or digit at each end, the last
-- label not a number), no port; anything else (a port, a query right after the host, brackets, an
-- IPv4-looking host) goes to the full check.
CREATE OR REPLACE FUNCTION public.slsa_check_url(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(v) = 'string' AND left(v #>> '{}', 8) = 'https://'
                   AND octet_length(v #>> '{}') <= 2048 AND (v #>> '{}') !~ '[^!-~]'
                   AND split_part(v #>> '{}', '/', 3) ~ '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$'
                   AND split_part(v #>> '{}', '/', 3) !~ '(^|\.)([0-9]+|0[xX][0-9A-Fa-f]*)$'
                THEN NULL
              ELSE public.slsa_check_url_full(v, name) END
$$;

REVOKE ALL ON FUNCTION public.slsa_url_ipv6_valid(text), public.slsa_url_host_port_valid(text),
  public.slsa_check_url_full(jsonb, text), public.slsa_check_url(jsonb, text) FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_url_ipv6_valid(text), public.slsa_url_host_port_valid(text), '
                     'public.slsa_check_url_full(jsonb, text), public.slsa_check_url(jsonb, text) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
