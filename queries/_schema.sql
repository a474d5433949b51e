-- _schema: views over the typed tables that dashboard/db.py builds from data/*.csv and geodata/*.geojson.
-- The tables themselves are generated from dashboard/schemas.py (one definition for loading,
-- checks, templates and uploads); this file holds the derived views every query may use.

-- central_city_districts: the districts of the central city (中心城区; data/city.toml, loaded by
-- dashboard/data/db.py into the table central_city). One row per district.
create view central_city_districts as
select code as district_code, name as district_name
from divisions
where level = 'district' and code in (select district_code from central_city);

-- subdistricts: sub-districts/towns of the divisions table with their district. One row per sub-district.
create view subdistricts as
select d.code as subdistrict_code, d.name as subdistrict_name, d.district_code,
       p.name as district_name
from divisions as d
left join divisions as p on p.code = d.district_code
where d.level = 'subdistrict';
