-- The ingest function's tag check as strict as the entry schema's (sixteenth session, the ingest
-- audit).
--
-- The schema (src/core/ledger/entry.ts, `tagProblem`) refuses a tag holding an invisible character
-- (a format character \p{Cf}: zero-width space, word joiner, U+FEFF, soft hyphen, the bidirectional
-- controls; a space or separator \p{Z}; variation selectors, Hangul fillers and the other invisible
-- letters) or not in Unicode NFC, so that one tag looks like one tag: `v1.0.0` and `v1.0.0` + U+200B,
-- or `vé` composed and decomposed, would be two runs that read alike (a forged twin beside the real
-- run on the dashboard, a release split in two). The CLI never sends such a tag, but the function's
-- own check (slsa_check_tag, as in …20261202170000) took them: whoever holds the ingest key could
-- store them. The ranges below are exactly those the schema's pattern matches (listed from it over
-- every code point); plain ASCII tags skip both checks (ASCII is NFC, and its one such character,
-- the space, is refused by the pattern before).
CREATE OR REPLACE FUNCTION public.slsa_check_tag(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN 'tag is required'
    WHEN jsonb_typeof(v) <> 'string' THEN 'tag must be a git tag name'
    WHEN (v #>> '{}') = '' OR octet_length(v #>> '{}') > 255 THEN 'tag must be 1 to 255 bytes'
    WHEN (v #>> '{}') ~ '^-|[\u0001-\u001f\u007f ~^:?*[\\]|\.\.|@\{|^@$|^/|/$|//|\.$|(^|/)\.|\.lock(/|$)'
      THEN 'tag is not a valid git tag name'
    WHEN (v #>> '{}') !~ '[^\u0001-\u007f]' THEN NULL
    WHEN (v #>> '{}') ~ '[\u0020\u00a0\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u115f-\u1160\u1680\u17b4-\u17b5\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]'
      THEN 'tag must not contain invisible, bidirectional-control or space characters'
    WHEN (v #>> '{}') IS NOT NFC NORMALIZED THEN 'tag must be in unicode normalization form C (NFC)'
  END
$$;

REVOKE ALL ON FUNCTION public.slsa_check_tag(jsonb) FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_check_tag(jsonb) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
