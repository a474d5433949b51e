-- grids_list: community grids with households, grid workers and placed party cadres, and their area names.
-- params:  none
-- returns: grid_id VARCHAR, name VARCHAR, committee_code VARCHAR, committee_name VARCHAR,
--          subdistrict_code VARCHAR, subdistrict_name VARCHAR, district_code VARCHAR, district_name VARCHAR,
--          district_name_en VARCHAR, households BIGINT, grid_workers BIGINT, party_cadres BIGINT,
--          source_id VARCHAR  -- one row per grid
select g.grid_id, g.name, g.committee_code, m.name as committee_name,
       g.subdistrict_code, s.name as subdistrict_name, g.district_code, d.name as district_name,
       ds.name_en as district_name_en, g.households, g.grid_workers, g.party_cadres, g.source_id
from grids as g
left join divisions as m on m.code = g.committee_code
left join divisions as s on s.code = g.subdistrict_code
left join divisions as d on d.code = g.district_code
left join district_shapes as ds on ds.code = g.district_code
order by g.grid_id;
