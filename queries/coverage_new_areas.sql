-- coverage_new_areas: new areas (新区) and functional zones (功能区) of the central city.
-- params:  none
-- returns: area_id VARCHAR, name VARCHAR, name_en VARCHAR, kind VARCHAR  -- one row per area
select a.area_id, a.name, a.name_en, a.kind
from new_area_shapes as a
order by a.area_id;
