-- pay_workers: the community-worker staff list with district names, for the pay model (one row per worker).
-- params:  none
-- returns: worker_id VARCHAR, district_code VARCHAR, district_name VARCHAR, district_name_en VARCHAR,
--          committee_code VARCHAR, post VARCHAR, tenure_years DOUBLE, pay_yuan_per_year DOUBLE,
--          source_id VARCHAR  -- one row per worker
select w.worker_id, w.district_code, d.name as district_name, s.name_en as district_name_en,
       w.committee_code, w.post, w.tenure_years, w.pay_yuan_per_year, w.source_id
from community_workers as w
left join divisions as d on d.code = w.district_code
left join district_shapes as s on s.code = w.district_code
order by w.worker_id;
