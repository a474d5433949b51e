-- compounds_with_profiles: residential compounds of the central city with their profile (build year, enclosure, firm, grid) and area names.
-- params:  none
-- returns: compound_id VARCHAR, name VARCHAR, committee_code VARCHAR, committee_name VARCHAR,
--          subdistrict_code VARCHAR, subdistrict_name VARCHAR, district_code VARCHAR, district_name VARCHAR,
--          district_name_en VARCHAR, new_area_id VARCHAR, lon DOUBLE, lat DOUBLE, households BIGINT,
--          has_property_management BOOLEAN, has_owners_committee BOOLEAN, build_year BIGINT, enclosure VARCHAR,
--          property_firm_id VARCHAR, grid_id VARCHAR, source_id VARCHAR, profile_source_id VARCHAR
--          -- one row per compound (kind = 'compound'); profile columns null where compound_profiles has no row
select c.compound_id, c.name, c.committee_code, m.name as committee_name,
       c.subdistrict_code, s.name as subdistrict_name, c.district_code, d.name as district_name,
       ds.name_en as district_name_en, c.new_area_id, c.lon, c.lat, c.households,
       c.has_property_management, c.has_owners_committee,
       p.build_year, p.enclosure, p.property_firm_id, p.grid_id, c.source_id, p.source_id as profile_source_id
from compounds as c
left join compound_profiles as p on p.compound_id = c.compound_id
left join divisions as m on m.code = c.committee_code
left join divisions as s on s.code = c.subdistrict_code
left join divisions as d on d.code = c.district_code
left join district_shapes as ds on ds.code = c.district_code
where c.kind = 'compound'
  and c.district_code in (select district_code from central_city_districts)
order by c.compound_id;
