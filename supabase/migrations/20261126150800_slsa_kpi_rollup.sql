-- The KPIs at a million runs without reading every run of a window three times (`kpi` over 82,000
-- of 1,000,000 runs: ~150 ms before, see docs/database.md "Tests and bench"):
--  1. `lag_s`, the manifest-to-database lag at millisecond resolution, is stored with the run (a
--     generated column, so no writer can forget it) and covered by the KPI index, instead of being
--     computed from two timestamps per run on every read;
--  2. `slsa_kpi_days`, `slsa_kpi_day_flags` and `slsa_kpi_day_manifests` hold, per UTC day of entry
--     timestamps, the daily KPIs, the runs per (status, governance flag) and the smallest manifest hash
--     per manifest file. Statement triggers on slsa_runs rebuild
--     the days a statement touched from the runs themselves, so the rollup is exact (percentiles
--     included) whoever writes: the ingest function, a direct INSERT, an UPDATE, a DELETE, a TRUNCATE.
-- `provenance_kpi_daily` reads the rollup; `kpi` and the dashboard's charts read it for the whole days
-- of a window and the runs for the two partial days at its edges (src/io/kpi-queries.ts).

-- Whole milliseconds since the epoch on each side (floor, as date_trunc('milliseconds') and the
-- reference's ISO times), subtracted exactly as numeric and divided by 1000 once as a double: the same
-- double `kpi` computed per read before. Every function here is immutable, as a generated column needs.
ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS lag_s double precision GENERATED ALWAYS AS (
  (floor(extract(epoch FROM ingested_at - timestamptz '1970-01-01 00:00:00+00') * 1000)
   - floor(extract(epoch FROM "timestamp" - timestamptz '1970-01-01 00:00:00+00') * 1000))::double precision
  / 1000) STORED;

-- The KPI index again, with lag_s in place of ingested_at (an INCLUDE list cannot be altered in
-- place): the partial days at a window's edges and the dashboard's window aggregates read it alone.
CREATE INDEX IF NOT EXISTS slsa_runs_kpi_lag_idx ON public.slsa_runs ("timestamp")
  INCLUDE (status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered,
           lock_wait_s, artifact_upload_latency_s, lag_s, dispatch_token_rotated_at,
           dispatch_token_expires_at, manifest_path, manifest_hash);
DROP INDEX IF EXISTS public.slsa_runs_kpi_idx;

-- One row per UTC day that has runs; no row for a day without runs.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_days (
  day date PRIMARY KEY,
  entries integer NOT NULL,
  failures integer NOT NULL,
  missing_artifacts integer NOT NULL,
  validated integer NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  lock_wait_s_p50 double precision,
  lock_wait_s_p95 double precision,
  artifact_upload_latency_s_p50 double precision,
  artifact_upload_latency_s_p95 double precision,
  manifest_to_db_lag_s_p50 double precision,
  manifest_to_db_lag_s_p95 double precision,
  manifest_to_db_lag_s_max double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz
);

-- Per UTC day, the runs of each (status, governance flag) pair; the flag may be null.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_day_flags (
  day date NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs integer NOT NULL
);
CREATE INDEX IF NOT EXISTS slsa_kpi_day_flags_day_idx ON public.slsa_kpi_day_flags (day);

-- Per UTC day, each manifest file its runs were read from, with the smallest hash among them.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_day_manifests (
  day date NOT NULL,
  manifest_path text NOT NULL,
  manifest_hash text NOT NULL,
  PRIMARY KEY (day, manifest_path)
);

-- The percentile histogram. `kpi` needs exact percentiles over windows of any length; sorting every
-- value of a year (~1M runs) takes most of a second. Instead, per day and metric, the runs are counted
-- in buckets of value (below), so a window's bucket counts tell which bucket holds the wanted rank and
-- how many values lie below it; the value itself is then read from an index on (bucket, metric),
-- starting at the bucket (src/io/kpi-queries.ts). These boundaries must never change: the stored
-- counts and the indexes were made with them. Exactness needs only that a bucket's values all
-- lie below the next bucket's: width_bucket over any sorted array gives that. The boundaries are 0 and
-- ±2^(k/8) for k = -80..240 (~0.001 s to ~34 years, 9% apart), written out as literals so that a
-- change of the server's libm can never move one between the time a run is counted and the time it is
-- read. 643 boundaries: a day of runs spread over 0–10 minutes of lag fills ~150 buckets.
CREATE OR REPLACE FUNCTION public.slsa_kpi_thresholds() RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '{
    -1073741824.0, -984625593.9659585, -902905650.7095848, -827968132.3330339, -759250124.9940125,
    -696235434.4231614, -638450708.3883997, -585461880.9790491, -536870912.0, -492312796.98297924,
    -451452825.3547924, -413984066.16651696, -379625062.49700624, -348117717.2115807,
    -319225354.19419986, -292730940.48952454, -268435456.0, -246156398.49148962,
    -225726412.6773962, -206992033.08325848, -189812531.24850312, -174058858.60579035,
    -159612677.09709993, -146365470.24476227, -134217728.0, -123078199.24574481,
    -112863206.3386981, -103496016.54162924, -94906265.62425156, -87029429.30289517,
    -79806338.54854997, -73182735.12238114, -67108864.0, -61539099.622872405, -56431603.16934905,
    -51748008.27081462, -47453132.81212578, -43514714.65144759, -39903169.27427498,
    -36591367.56119057, -33554432.0, -30769549.811436202, -28215801.584674526, -25874004.13540731,
    -23726566.40606289, -21757357.325723793, -19951584.63713749, -18295683.780595284, -16777216.0,
    -15384774.905718101, -14107900.792337263, -12937002.067703655, -11863283.203031445,
    -10878678.662861897, -9975792.318568746, -9147841.890297642, -8388608.0, -7692387.452859051,
    -7053950.3961686315, -6468501.0338518275, -5931641.601515722, -5439339.331430948,
    -4987896.159284373, -4573920.945148821, -4194304.0, -3846193.7264295253, -3526975.1980843158,
    -3234250.5169259137, -2965820.800757861, -2719669.665715474, -2493948.0796421864,
    -2286960.4725744105, -2097152.0, -1923096.8632147626, -1763487.5990421579, -1617125.2584629569,
    -1482910.4003789306, -1359834.832857737, -1246974.0398210932, -1143480.2362872052, -1048576.0,
    -961548.4316073813, -881743.7995210789, -808562.6292314784, -741455.2001894653,
    -679917.4164288685, -623487.0199105466, -571740.1181436026, -524288.0, -480774.21580369066,
    -440871.89976053947, -404281.3146157392, -370727.60009473265, -339958.7082144343,
    -311743.5099552733, -285870.0590718013, -262144.0, -240387.10790184533, -220435.94988026973,
    -202140.6573078696, -185363.80004736633, -169979.35410721714, -155871.75497763665,
    -142935.02953590066, -131072.0, -120193.55395092267, -110217.97494013487, -101070.3286539348,
    -92681.90002368316, -84989.67705360857, -77935.87748881833, -71467.51476795033, -65536.0,
    -60096.77697546133, -55108.98747006743, -50535.1643269674, -46340.95001184158,
    -42494.838526804284, -38967.93874440916, -35733.757383975164, -32768.0, -30048.388487730666,
    -27554.493735033717, -25267.5821634837, -23170.47500592079, -21247.419263402142,
    -19483.96937220458, -17866.878691987582, -16384.0, -15024.194243865333, -13777.246867516858,
    -12633.79108174185, -11585.237502960395, -10623.709631701071, -9741.98468610229,
    -8933.439345993791, -8192.0, -7512.097121932667, -6888.623433758429, -6316.895540870925,
    -5792.618751480198, -5311.8548158505355, -4870.992343051145, -4466.7196729968955, -4096.0,
    -3756.0485609663333, -3444.3117168792146, -3158.4477704354626, -2896.309375740099,
    -2655.9274079252677, -2435.4961715255727, -2233.3598364984477, -2048.0, -1878.0242804831666,
    -1722.1558584396073, -1579.2238852177313, -1448.1546878700494, -1327.9637039626339,
    -1217.7480857627863, -1116.6799182492239, -1024.0, -939.0121402415833, -861.0779292198037,
    -789.6119426088657, -724.0773439350247, -663.9818519813169, -608.8740428813932,
    -558.3399591246119, -512.0, -469.50607012079166, -430.5389646099018, -394.80597130443283,
    -362.03867196751236, -331.99092599065847, -304.4370214406966, -279.16997956230597, -256.0,
    -234.75303506039583, -215.2694823049509, -197.40298565221642, -181.01933598375618,
    -165.99546299532923, -152.2185107203483, -139.58498978115298, -128.0, -117.37651753019792,
    -107.63474115247546, -98.70149282610821, -90.50966799187809, -82.99773149766462,
    -76.10925536017415, -69.79249489057649, -64.0, -58.68825876509896, -53.81737057623773,
    -49.350746413054104, -45.254833995939045, -41.49886574883231, -38.05462768008707,
    -34.896247445288246, -32.0, -29.34412938254948, -26.908685288118864, -24.675373206527052,
    -22.627416997969522, -20.749432874416154, -19.027313840043536, -17.448123722644123, -16.0,
    -14.67206469127474, -13.454342644059432, -12.337686603263526, -11.313708498984761,
    -10.374716437208077, -9.513656920021768, -8.724061861322062, -8.0, -7.33603234563737,
    -6.727171322029716, -6.168843301631763, -5.656854249492381, -5.187358218604039,
    -4.756828460010884, -4.362030930661031, -4.0, -3.668016172818685, -3.363585661014858,
    -3.0844216508158815, -2.8284271247461903, -2.5936791093020193, -2.378414230005442,
    -2.1810154653305154, -2.0, -1.8340080864093424, -1.681792830507429, -1.5422108254079407,
    -1.4142135623730951, -1.2968395546510096, -1.189207115002721, -1.0905077326652577, -1.0,
    -0.9170040432046712, -0.8408964152537145, -0.7711054127039704, -0.7071067811865476,
    -0.6484197773255048, -0.5946035575013605, -0.5452538663326288, -0.5, -0.4585020216023356,
    -0.42044820762685725, -0.3855527063519852, -0.3535533905932738, -0.3242098886627524,
    -0.29730177875068026, -0.2726269331663144, -0.25, -0.2292510108011678, -0.21022410381342863,
    -0.1927763531759926, -0.1767766952966369, -0.1621049443313762, -0.14865088937534013,
    -0.1363134665831572, -0.125, -0.1146255054005839, -0.10511205190671431, -0.0963881765879963,
    -0.08838834764831845, -0.0810524721656881, -0.07432544468767006, -0.0681567332915786, -0.0625,
    -0.05731275270029195, -0.052556025953357156, -0.04819408829399815, -0.04419417382415922,
    -0.04052623608284405, -0.03716272234383503, -0.0340783666457893, -0.03125,
    -0.028656376350145975, -0.026278012976678578, -0.024097044146999074, -0.02209708691207961,
    -0.020263118041422026, -0.018581361171917516, -0.01703918332289465, -0.015625,
    -0.014328188175072988, -0.013139006488339289, -0.012048522073499537, -0.011048543456039806,
    -0.010131559020711013, -0.009290680585958758, -0.008519591661447326, -0.0078125,
    -0.007164094087536494, -0.0065695032441696445, -0.0060242610367497685, -0.005524271728019903,
    -0.005065779510355506, -0.004645340292979379, -0.004259795830723663, -0.00390625,
    -0.003582047043768247, -0.0032847516220848223, -0.0030121305183748843, -0.0027621358640099515,
    -0.002532889755177753, -0.0023226701464896895, -0.0021298979153618314, -0.001953125,
    -0.0017910235218841235, -0.0016423758110424111, -0.0015060652591874421, -0.0013810679320049757,
    -0.0012664448775888766, -0.0011613350732448448, -0.0010649489576809157, -0.0009765625, 0.0,
    0.0009765625, 0.0010649489576809157, 0.0011613350732448448, 0.0012664448775888766,
    0.0013810679320049757, 0.0015060652591874421, 0.0016423758110424111, 0.0017910235218841235,
    0.001953125, 0.0021298979153618314, 0.0023226701464896895, 0.002532889755177753,
    0.0027621358640099515, 0.0030121305183748843, 0.0032847516220848223, 0.003582047043768247,
    0.00390625, 0.004259795830723663, 0.004645340292979379, 0.005065779510355506,
    0.005524271728019903, 0.0060242610367497685, 0.0065695032441696445, 0.007164094087536494,
    0.0078125, 0.008519591661447326, 0.009290680585958758, 0.010131559020711013,
    0.011048543456039806, 0.012048522073499537, 0.013139006488339289, 0.014328188175072988,
    0.015625, 0.01703918332289465, 0.018581361171917516, 0.020263118041422026, 0.02209708691207961,
    0.024097044146999074, 0.026278012976678578, 0.028656376350145975, 0.03125, 0.0340783666457893,
    0.03716272234383503, 0.04052623608284405, 0.04419417382415922, 0.04819408829399815,
    0.052556025953357156, 0.05731275270029195, 0.0625, 0.0681567332915786, 0.07432544468767006,
    0.0810524721656881, 0.08838834764831845, 0.0963881765879963, 0.10511205190671431,
    0.1146255054005839, 0.125, 0.1363134665831572, 0.14865088937534013, 0.1621049443313762,
    0.1767766952966369, 0.1927763531759926, 0.21022410381342863, 0.2292510108011678, 0.25,
    0.2726269331663144, 0.29730177875068026, 0.3242098886627524, 0.3535533905932738,
    0.3855527063519852, 0.42044820762685725, 0.4585020216023356, 0.5, 0.5452538663326288,
    0.5946035575013605, 0.6484197773255048, 0.7071067811865476, 0.7711054127039704,
    0.8408964152537145, 0.9170040432046712, 1.0, 1.0905077326652577, 1.189207115002721,
    1.2968395546510096, 1.4142135623730951, 1.5422108254079407, 1.681792830507429,
    1.8340080864093424, 2.0, 2.1810154653305154, 2.378414230005442, 2.5936791093020193,
    2.8284271247461903, 3.0844216508158815, 3.363585661014858, 3.668016172818685, 4.0,
    4.362030930661031, 4.756828460010884, 5.187358218604039, 5.656854249492381, 6.168843301631763,
    6.727171322029716, 7.33603234563737, 8.0, 8.724061861322062, 9.513656920021768,
    10.374716437208077, 11.313708498984761, 12.337686603263526, 13.454342644059432,
    14.67206469127474, 16.0, 17.448123722644123, 19.027313840043536, 20.749432874416154,
    22.627416997969522, 24.675373206527052, 26.908685288118864, 29.34412938254948, 32.0,
    34.896247445288246, 38.05462768008707, 41.49886574883231, 45.254833995939045,
    49.350746413054104, 53.81737057623773, 58.68825876509896, 64.0, 69.79249489057649,
    76.10925536017415, 82.99773149766462, 90.50966799187809, 98.70149282610821, 107.63474115247546,
    117.37651753019792, 128.0, 139.58498978115298, 152.2185107203483, 165.99546299532923,
    181.01933598375618, 197.40298565221642, 215.2694823049509, 234.75303506039583, 256.0,
    279.16997956230597, 304.4370214406966, 331.99092599065847, 362.03867196751236,
    394.80597130443283, 430.5389646099018, 469.50607012079166, 512.0, 558.3399591246119,
    608.8740428813932, 663.9818519813169, 724.0773439350247, 789.6119426088657, 861.0779292198037,
    939.0121402415833, 1024.0, 1116.6799182492239, 1217.7480857627863, 1327.9637039626339,
    1448.1546878700494, 1579.2238852177313, 1722.1558584396073, 1878.0242804831666, 2048.0,
    2233.3598364984477, 2435.4961715255727, 2655.9274079252677, 2896.309375740099,
    3158.4477704354626, 3444.3117168792146, 3756.0485609663333, 4096.0, 4466.7196729968955,
    4870.992343051145, 5311.8548158505355, 5792.618751480198, 6316.895540870925, 6888.623433758429,
    7512.097121932667, 8192.0, 8933.439345993791, 9741.98468610229, 10623.709631701071,
    11585.237502960395, 12633.79108174185, 13777.246867516858, 15024.194243865333, 16384.0,
    17866.878691987582, 19483.96937220458, 21247.419263402142, 23170.47500592079, 25267.5821634837,
    27554.493735033717, 30048.388487730666, 32768.0, 35733.757383975164, 38967.93874440916,
    42494.838526804284, 46340.95001184158, 50535.1643269674, 55108.98747006743, 60096.77697546133,
    65536.0, 71467.51476795033, 77935.87748881833, 84989.67705360857, 92681.90002368316,
    101070.3286539348, 110217.97494013487, 120193.55395092267, 131072.0, 142935.02953590066,
    155871.75497763665, 169979.35410721714, 185363.80004736633, 202140.6573078696,
    220435.94988026973, 240387.10790184533, 262144.0, 285870.0590718013, 311743.5099552733,
    339958.7082144343, 370727.60009473265, 404281.3146157392, 440871.89976053947,
    480774.21580369066, 524288.0, 571740.1181436026, 623487.0199105466, 679917.4164288685,
    741455.2001894653, 808562.6292314784, 881743.7995210789, 961548.4316073813, 1048576.0,
    1143480.2362872052, 1246974.0398210932, 1359834.832857737, 1482910.4003789306,
    1617125.2584629569, 1763487.5990421579, 1923096.8632147626, 2097152.0, 2286960.4725744105,
    2493948.0796421864, 2719669.665715474, 2965820.800757861, 3234250.5169259137,
    3526975.1980843158, 3846193.7264295253, 4194304.0, 4573920.945148821, 4987896.159284373,
    5439339.331430948, 5931641.601515722, 6468501.0338518275, 7053950.3961686315,
    7692387.452859051, 8388608.0, 9147841.890297642, 9975792.318568746, 10878678.662861897,
    11863283.203031445, 12937002.067703655, 14107900.792337263, 15384774.905718101, 16777216.0,
    18295683.780595284, 19951584.63713749, 21757357.325723793, 23726566.40606289,
    25874004.13540731, 28215801.584674526, 30769549.811436202, 33554432.0, 36591367.56119057,
    39903169.27427498, 43514714.65144759, 47453132.81212578, 51748008.27081462, 56431603.16934905,
    61539099.622872405, 67108864.0, 73182735.12238114, 79806338.54854997, 87029429.30289517,
    94906265.62425156, 103496016.54162924, 112863206.3386981, 123078199.24574481, 134217728.0,
    146365470.24476227, 159612677.09709993, 174058858.60579035, 189812531.24850312,
    206992033.08325848, 225726412.6773962, 246156398.49148962, 268435456.0, 292730940.48952454,
    319225354.19419986, 348117717.2115807, 379625062.49700624, 413984066.16651696,
    451452825.3547924, 492312796.98297924, 536870912.0, 585461880.9790491, 638450708.3883997,
    696235434.4231614, 759250124.9940125, 827968132.3330339, 902905650.7095848, 984625593.9659585,
    1073741824.0
  }'::double precision[]
$$;

-- Per UTC day and metric (1 lock_wait_s, 2 artifact_upload_latency_s, 3 lag_s): the runs in each
-- bucket, with the smallest and largest value (equal: the bucket's value is known without a read).
CREATE TABLE IF NOT EXISTS public.slsa_kpi_day_buckets (
  day date NOT NULL,
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  runs integer NOT NULL,
  min_value double precision NOT NULL,
  max_value double precision NOT NULL,
  PRIMARY KEY (day, metric, bucket)
);

-- Each metric in value order, with the timestamp to keep a window's runs only. Keyed by bucket first
-- (the bucket only grows with the value, so the order is the same): Postgres cannot take these for a
-- plain min() or max() of a metric over a window, which would walk the index across the whole table
-- from one end until a run of the window turns up (`max(lag_s)` over 30 days: ~45–90 ms that way,
-- ~15 ms from the window's own runs).
CREATE INDEX IF NOT EXISTS slsa_runs_lock_wait_idx
  ON public.slsa_runs ((width_bucket(lock_wait_s, public.slsa_kpi_thresholds())), lock_wait_s) INCLUDE ("timestamp");
CREATE INDEX IF NOT EXISTS slsa_runs_upload_latency_idx
  ON public.slsa_runs ((width_bucket(artifact_upload_latency_s, public.slsa_kpi_thresholds())), artifact_upload_latency_s)
  INCLUDE ("timestamp");
CREATE INDEX IF NOT EXISTS slsa_runs_lag_idx
  ON public.slsa_runs ((width_bucket(lag_s, public.slsa_kpi_thresholds())), lag_s) INCLUDE ("timestamp");

-- Rebuilds the given days from slsa_runs. Writers of the same day take turns (an advisory lock per
-- day, taken in day order so two writers cannot deadlock on each other's days); at READ COMMITTED,
-- the default, each statement below sees every run committed before the lock was granted.
CREATE OR REPLACE FUNCTION public.slsa_kpi_refresh_days(days date[]) RETURNS void
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(734029015, d.day - date '2000-01-01')
     FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL ORDER BY u.day) d;
  DELETE FROM public.slsa_kpi_days k WHERE k.day = ANY (days);
  DELETE FROM public.slsa_kpi_day_flags f WHERE f.day = ANY (days);
  DELETE FROM public.slsa_kpi_day_buckets b WHERE b.day = ANY (days);
  DELETE FROM public.slsa_kpi_day_manifests m WHERE m.day = ANY (days);
  -- the touched days' runs, read once, then every per-day table from them
  WITH touched AS MATERIALIZED (
    SELECT d.day, r.status, r.artifact_url, r.governance_flag, r.validation_status, r.notify_attempts,
           r.notify_delivered, r.lock_wait_s, r.artifact_upload_latency_s, r.lag_s,
           r.dispatch_token_rotated_at, r.dispatch_token_expires_at, r.manifest_path, r.manifest_hash
      FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) d
      JOIN public.slsa_runs r
        ON r."timestamp" >= (d.day::timestamp AT TIME ZONE 'UTC')
       AND r."timestamp" < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
  ),
  day_rows AS (
    INSERT INTO public.slsa_kpi_days
    SELECT t.day,
           count(*)::integer,
           count(*) FILTER (WHERE t.status = 'failure')::integer,
           count(*) FILTER (WHERE t.artifact_url IS NULL OR t.governance_flag = 'artifact-missing')::integer,
           count(*) FILTER (WHERE t.validation_status = 'passed')::integer,
           coalesce(sum(t.notify_attempts), 0)::bigint,
           coalesce(sum(t.notify_delivered), 0)::bigint,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.lock_wait_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.lock_wait_s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.artifact_upload_latency_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.artifact_upload_latency_s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.lag_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.lag_s),
           max(t.lag_s),
           max(t.dispatch_token_rotated_at),
           max(t.dispatch_token_expires_at)
      FROM touched t
     GROUP BY t.day
  ),
  flag_rows AS (
    INSERT INTO public.slsa_kpi_day_flags
    SELECT t.day, t.status, t.governance_flag, count(*)::integer FROM touched t GROUP BY 1, 2, 3
  ),
  bucket_rows AS (
    INSERT INTO public.slsa_kpi_day_buckets
    SELECT t.day, x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()), count(*)::integer, min(x.v), max(x.v)
      FROM touched t
     CROSS JOIN LATERAL (VALUES (1::smallint, t.lock_wait_s), (2::smallint, t.artifact_upload_latency_s),
                                (3::smallint, t.lag_s)) AS x(metric, v)
     WHERE x.v IS NOT NULL
     GROUP BY 1, 2, 3
  )
  INSERT INTO public.slsa_kpi_day_manifests
  SELECT t.day, t.manifest_path, min(t.manifest_hash) FROM touched t GROUP BY 1, 2;
END
$$;

-- The statement triggers: the UTC days of the rows a statement inserted, changed (old and new day)
-- or deleted. A transition table cannot serve two events, hence three triggers on one function.
CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi_days() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
  v_days date[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
      public.slsa_kpi_day_manifests;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    SELECT array_agg(DISTINCT (n."timestamp" AT TIME ZONE 'UTC')::date) INTO v_days FROM slsa_new_runs n;
  ELSIF tg_op = 'UPDATE' THEN
    SELECT array_agg(DISTINCT x.day) INTO v_days
      FROM (SELECT (n."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_new_runs n
            UNION ALL
            SELECT (o."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_old_runs o) AS x(day);
  ELSE
    SELECT array_agg(DISTINCT (o."timestamp" AT TIME ZONE 'UTC')::date) INTO v_days FROM slsa_old_runs o;
  END IF;
  IF v_days IS NOT NULL THEN
    PERFORM public.slsa_kpi_refresh_days(v_days);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_runs_kpi_days_insert ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_insert AFTER INSERT ON public.slsa_runs
  REFERENCING NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_update ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_update AFTER UPDATE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_delete ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_delete AFTER DELETE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_truncate ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();

-- The runs already there.
SELECT public.slsa_kpi_refresh_days(array_agg(DISTINCT (r."timestamp" AT TIME ZONE 'UTC')::date))
  FROM public.slsa_runs r;

-- The daily KPIs from the rollup: the columns as before (the lag is now the stored millisecond lag,
-- the value `kpi` reports, where it used to carry the microseconds of ingested_at), then the day's
-- latest dispatch-token rotation and expiry.
CREATE OR REPLACE VIEW public.provenance_kpi_daily AS
SELECT k.day, k.entries, k.failures, k.missing_artifacts, k.validated,
       k.failures::double precision / k.entries AS failure_rate,
       k.missing_artifacts::double precision / k.entries AS missing_artifact_rate,
       k.validated::double precision / k.entries AS validated_rate,
       k.notify_attempts, k.notify_delivered,
       k.lock_wait_s_p50, k.lock_wait_s_p95,
       k.artifact_upload_latency_s_p50, k.artifact_upload_latency_s_p95,
       k.manifest_to_db_lag_s_p50, k.manifest_to_db_lag_s_p95, k.manifest_to_db_lag_s_max,
       k.dispatch_token_rotated_at, k.dispatch_token_expires_at
  FROM public.slsa_kpi_days k;

-- The run view gains the stored lag (a view can only grow at its end).
CREATE OR REPLACE VIEW public.provenance_runs AS
SELECT r.tag, r.run_id, r.sha, r.artifact_url, r.actor, r."timestamp", r.status, r.governance_flag,
       r.release_url, r.failure_reason, r.governance_history, r.provenance, r.validation, r.metrics,
       r.validation_status, r.validated_at, r.content_sha256, r.artifact_upload_latency_s,
       r.lock_wait_s, r.notify_attempts, r.notify_delivered, r.dispatch_token_expires_at,
       r.dispatch_token_rotated_at, r.manifest_path, r.manifest_hash, r.git_commit, r.ingested_at,
       r.first_ingested_at, r.entry, r.lag_s
  FROM public.slsa_runs r;

-- The lag view reads the stored lag too.
CREATE OR REPLACE VIEW public.provenance_ingest_lag AS
SELECT r.tag, r.run_id, r."timestamp", r.ingested_at, r.manifest_path, r.git_commit, r.lag_s
  FROM public.slsa_runs r;

-- For `kpi` and the dashboard (the reader sees views only): the smallest manifest hash per file and
-- day, and the runs per status and governance flag and day.
CREATE OR REPLACE VIEW public.provenance_kpi_day_manifests AS
SELECT m.day, m.manifest_path, m.manifest_hash FROM public.slsa_kpi_day_manifests m;
CREATE OR REPLACE VIEW public.provenance_kpi_day_flags AS
SELECT f.day, f.status, f.governance_flag, f.runs FROM public.slsa_kpi_day_flags f;
CREATE OR REPLACE VIEW public.provenance_kpi_day_buckets AS
SELECT b.day, b.metric, b.bucket, b.runs, b.min_value, b.max_value FROM public.slsa_kpi_day_buckets b;

-- Grants as the roles migration: the tables and functions to nobody, the new view to the reader.
REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
  public.slsa_kpi_day_manifests FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
  public.slsa_kpi_day_manifests FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_refresh_days(date[]), public.slsa_runs_refresh_kpi_days() FROM PUBLIC;
REVOKE ALL ON TABLE public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags,
  public.provenance_kpi_day_buckets FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags,
  public.provenance_kpi_day_buckets TO slsa_kpi_reader;
-- the bucket boundaries: the reader reads them, nobody else needs them
REVOKE ALL ON FUNCTION public.slsa_kpi_thresholds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_kpi_thresholds() TO slsa_kpi_reader;

-- On Supabase, take the default grants on new objects back from anon, authenticated and service_role.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format(
        'REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets, '
        'public.slsa_kpi_day_manifests, public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags, '
        'public.provenance_kpi_day_buckets FROM %I', r);
      EXECUTE format(
        'REVOKE ALL ON FUNCTION public.slsa_kpi_refresh_days(date[]), public.slsa_runs_refresh_kpi_days(), '
        'public.slsa_kpi_thresholds() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
