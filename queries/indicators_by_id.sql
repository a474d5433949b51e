-- indicators_by_id: chosen indicators with their source, for headline tiles and model calibration.
-- params:  $ids VARCHAR[]
-- returns: indicator_id VARCHAR, area_name VARCHAR, year BIGINT, value DOUBLE, unit VARCHAR,
--          quote VARCHAR, source_id VARCHAR, source_kind VARCHAR, source_title VARCHAR,
--          locator VARCHAR, note VARCHAR  -- one row per id found
select i.indicator_id, i.area_name, i.year, i.value, i.unit, i.quote, i.source_id,
       s.kind as source_kind, s.title as source_title, i.locator, i.note
from indicators as i
left join sources as s on s.source_id = i.source_id
where list_contains($ids, i.indicator_id)
order by i.indicator_id;
