-- coverage_facilities: community health service centres and stations of the central city.
-- params:  none
-- returns: clinic_id VARCHAR, name VARCHAR, kind VARCHAR, ownership VARCHAR, premises VARCHAR,
--          meets_standard BOOLEAN, district_code VARCHAR, subdistrict_code VARCHAR, new_area_id VARCHAR,
--          lon DOUBLE, lat DOUBLE, gps BIGINT, nurses BIGINT, established_staff BIGINT  -- one row per clinic
select h.clinic_id, h.name, h.kind, h.ownership, h.premises, h.meets_standard, h.district_code,
       h.subdistrict_code, h.new_area_id, h.lon, h.lat, h.gps, h.nurses, h.established_staff
from clinics as h
where h.district_code in (select district_code from central_city_districts)
order by h.clinic_id;
