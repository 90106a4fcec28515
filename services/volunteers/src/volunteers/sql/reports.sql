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
