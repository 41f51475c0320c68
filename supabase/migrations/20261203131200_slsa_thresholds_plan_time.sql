-- The planner's cost of the percentile thresholds (issue 17, found with EXPLAIN of the organisation's
-- report): slsa_kpi_thresholds() was an SQL function, so every call the planner met was inlined, its
-- body (a 600-number array literal) parsed and converted again, and slsa_kpi_fine_bucket() holds five
-- such calls. The fine counts statement (16 fine buckets) spent ~50 ms planning and ~15 ms running;
-- a statement with one fine bucket ~5 ms planning. As PL/pgSQL the function is not inlined: an
-- IMMUTABLE function without arguments is evaluated once when a statement is planned (and when an
-- index expression is prepared), its literal parsed once per session. The value is unchanged (the same
-- array, checked below), so every index on it and every stored bucket stays valid; what is computed at
-- run time is the same constant as before.
DO $migration$
DECLARE
  v_old double precision[] := public.slsa_kpi_thresholds();
BEGIN
  EXECUTE format(
    $f$CREATE OR REPLACE FUNCTION public.slsa_kpi_thresholds() RETURNS double precision[]
       LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $body$
       BEGIN
         RETURN %L::double precision[];
       END
       $body$$f$,
    v_old::text);
  IF public.slsa_kpi_thresholds() IS DISTINCT FROM v_old
     OR pg_catalog.array_length(public.slsa_kpi_thresholds(), 1) IS DISTINCT FROM pg_catalog.array_length(v_old, 1)
     OR EXISTS (SELECT 1 FROM pg_catalog.generate_series(1, pg_catalog.array_length(v_old, 1)) AS i
                 WHERE pg_catalog.float8send((public.slsa_kpi_thresholds())[i])
                       IS DISTINCT FROM pg_catalog.float8send(v_old[i])) THEN
    RAISE EXCEPTION 'slsa_kpi_thresholds() changed value';
  END IF;
END
$migration$;
