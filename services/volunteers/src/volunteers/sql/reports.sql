-- name: fee_report_lines
-- Approved hours of one month per person, pool and the fee that applied on the day of the work
-- (a fee change mid-month gives a person two lines in that pool), with the line's amount rounded
-- to whole öre (half away from zero, as payroll rounds). Summed on ids first, named after.
WITH worked AS (
    SELECT h.volunteer_id, h.pool_id, f.id AS fee_id, sum(h.minutes)::integer AS minutes
    FROM hours h
    LEFT JOIN pool_fees f
           ON f.pool_id = h.pool_id
          AND h.work_date >= f.valid_from
          AND (f.valid_until IS NULL OR h.work_date <= f.valid_until)
    WHERE h.status = 'approved'
      AND h.work_date >= :month_start AND h.work_date < :month_end
      AND (:pool_ids::uuid[] IS NULL OR h.pool_id = ANY(:pool_ids))
    GROUP BY h.volunteer_id, h.pool_id, f.id
)
SELECT w.volunteer_id, v.name AS volunteer_name, v.status = 'erased' AS erased,
       w.pool_id, p.name AS pool_name, p.paid, f.hourly_fee, w.minutes,
       coalesce(round(f.hourly_fee * w.minutes / 60, 2), 0.00) AS amount
FROM worked w
JOIN volunteers v ON v.id = w.volunteer_id
JOIN pools p ON p.id = w.pool_id
LEFT JOIN pool_fees f ON f.id = w.fee_id
ORDER BY v.name, w.volunteer_id, p.name, w.pool_id, f.valid_from NULLS LAST;

-- name: hours_per_pool_and_month
SELECT h.pool_id, p.name AS pool_name, date_trunc('month', h.work_date)::date AS month,
       sum(h.minutes)::integer AS minutes
FROM hours h
JOIN pools p ON p.id = h.pool_id
WHERE h.status = 'approved'
  AND h.work_date >= :first_day AND h.work_date < :end_day
  AND (:pool_ids::uuid[] IS NULL OR h.pool_id = ANY(:pool_ids))
GROUP BY h.pool_id, p.name, month
ORDER BY p.name, h.pool_id, month;

-- name: fee_report_document
-- The fee report as the JSON the route answers (reports.report_document's document, built here:
-- for 5,000 people, making it in Python cost more than the query; test_reports.py checks both
-- give the same document). The lines, amounts and orders are those of fee_report_lines; hours are
-- the minutes / 60 to two decimals, rounded half up as hours_of does.
WITH worked AS (
    SELECT h.volunteer_id, h.pool_id, f.id AS fee_id, sum(h.minutes)::integer AS minutes
    FROM hours h
    LEFT JOIN pool_fees f
           ON f.pool_id = h.pool_id
          AND h.work_date >= f.valid_from
          AND (f.valid_until IS NULL OR h.work_date <= f.valid_until)
    WHERE h.status = 'approved'
      AND h.work_date >= :month_start AND h.work_date < :month_end
      AND (:pool_ids::uuid[] IS NULL OR h.pool_id = ANY(:pool_ids))
    GROUP BY h.volunteer_id, h.pool_id, f.id
), lines AS (
    SELECT w.volunteer_id,
           w.pool_id, p.name AS pool_name, p.paid, f.hourly_fee, f.valid_from, w.minutes,
           coalesce(round(f.hourly_fee * w.minutes / 60, 2), 0.00) AS amount
    FROM worked w
    JOIN pools p ON p.id = w.pool_id
    LEFT JOIN pool_fees f ON f.id = w.fee_id
), people AS (
    SELECT l.volunteer_id, sum(l.minutes) AS minutes, sum(l.amount) AS amount,
           json_agg(json_build_object(
               'pool_id', l.pool_id, 'pool_name', l.pool_name, 'hourly_fee', l.hourly_fee::text,
               'minutes', l.minutes, 'hours', to_char(round(l.minutes / 60.0, 2), 'FM999999990.00'),
               'amount', l.amount::text
           ) ORDER BY l.pool_name, l.pool_id, l.valid_from NULLS LAST) AS lines
    FROM lines l
    GROUP BY l.volunteer_id
), named AS (
    -- Named after the sums: 5,000 people, not 10,000 lines.
    SELECT p.*, v.name, v.status = 'erased' AS erased FROM people p JOIN volunteers v ON v.id = p.volunteer_id
), pools AS (
    SELECT l.pool_id, min(l.pool_name) AS pool_name, sum(l.minutes) AS minutes, sum(l.amount) AS amount,
           sum(l.minutes) FILTER (WHERE l.hourly_fee IS NULL AND l.paid) AS missing
    FROM lines l
    GROUP BY l.pool_id
)
SELECT json_build_object(
    'month', :month_key::text,
    'people', coalesce((
        SELECT json_agg(json_build_object(
            'volunteer_id', p.volunteer_id,
            'name', CASE WHEN p.erased THEN :erased_name ELSE p.name END,
            'erased', p.erased, 'minutes', p.minutes,
            'hours', to_char(round(p.minutes / 60.0, 2), 'FM999999990.00'), 'amount', p.amount::text,
            'lines', p.lines
        ) ORDER BY p.name, p.volunteer_id) FROM named p), '[]'),
    'pools', coalesce((
        SELECT json_agg(json_build_object(
            'pool_id', t.pool_id, 'pool_name', t.pool_name, 'minutes', t.minutes,
            'hours', to_char(round(t.minutes / 60.0, 2), 'FM999999990.00'), 'amount', t.amount::text
        ) ORDER BY t.pool_name COLLATE "C", t.pool_id::text) FROM pools t), '[]'),
    'total', (
        SELECT json_build_object(
            'minutes', coalesce(sum(t.minutes), 0),
            'hours', to_char(round(coalesce(sum(t.minutes), 0) / 60.0, 2), 'FM999999990.00'),
            'amount', coalesce(sum(t.amount), 0.00)::text
        ) FROM pools t),
    'missing_fees', coalesce((
        SELECT json_agg(json_build_object('pool_id', t.pool_id, 'pool_name', t.pool_name, 'minutes', t.missing)
                        ORDER BY t.pool_name COLLATE "C", t.pool_id::text)
        FROM pools t WHERE t.missing IS NOT NULL), '[]')
)::text AS document;
