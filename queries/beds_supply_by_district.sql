-- beds_supply_by_district: elderly-care facilities, beds and care-type beds by district and facility type.
-- params:  none
-- returns: district_code VARCHAR, facility_type VARCHAR, facilities BIGINT, beds BIGINT,
--          nursing_beds BIGINT  -- one row per district x facility type present
select district_code, facility_type, count(*) as facilities, sum(beds) as beds,
       sum(nursing_beds) as nursing_beds
from care_facilities
group by district_code, facility_type
order by district_code, facility_type;
