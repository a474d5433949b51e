-- coverage_demand: demand points of the central city (residential compounds, and village settlements when asked) with their residents.
-- params:  $include_villages BOOLEAN  -- false: kind = 'compound' only
-- returns: compound_id VARCHAR, name VARCHAR, kind VARCHAR, subdistrict_code VARCHAR, district_code VARCHAR,
--          new_area_id VARCHAR, lon DOUBLE, lat DOUBLE, residents BIGINT  -- one row per demand point
select c.compound_id, c.name, c.kind, c.subdistrict_code, c.district_code, c.new_area_id,
       c.lon, c.lat, c.residents
from compounds as c
where c.district_code in (select district_code from central_city_districts)
  and (c.kind = 'compound' or $include_villages)
order by c.compound_id;
