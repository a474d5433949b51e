-- beds_facility_points: every elderly-care facility with its location, for the map.
-- params:  none
-- returns: facility_id VARCHAR, name VARCHAR, facility_type VARCHAR, district_code VARCHAR,
--          committee_code VARCHAR, lon DOUBLE, lat DOUBLE, beds BIGINT, nursing_beds BIGINT,
--          source_id VARCHAR  -- one row per facility
select facility_id, name, facility_type, district_code, committee_code, lon, lat, beds,
       nursing_beds, source_id
from care_facilities
order by facility_id;
