-- coverage_subdistricts: sub-districts of the central city with district and kind (street 街道 or town 镇).
-- params:  none
-- returns: subdistrict_code VARCHAR, subdistrict_name VARCHAR, district_code VARCHAR, district_name VARCHAR,
--          kind VARCHAR  -- one row per sub-district; kind from the shapes file, else from the code (001-099 = street)
select s.subdistrict_code, s.subdistrict_name, s.district_code, s.district_name,
       coalesce(sh.kind,
                case when try_cast(substr(s.subdistrict_code, 7, 3) as integer) < 100 then 'street' else 'town' end
       ) as kind
from subdistricts as s
left join subdistrict_shapes as sh on sh.code = s.subdistrict_code
where s.district_code in (select district_code from central_city_districts)
order by s.subdistrict_code;
