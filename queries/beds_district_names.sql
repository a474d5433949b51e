-- beds_district_names: names of the county-level districts (for area labels).
-- params:  none
-- returns: district_code VARCHAR, district_name VARCHAR  -- one row per district
select code as district_code, name as district_name
from divisions
where level = 'district'
order by code;
