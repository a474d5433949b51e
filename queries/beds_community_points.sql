-- beds_community_points: every committee with its home-care status, placed at the mean location of its compounds/settlements.
-- params:  none
-- returns: committee_code VARCHAR, name VARCHAR, district_code VARCHAR, kind VARCHAR,
--          in_pay_reform BOOLEAN, has_home_care_centre BOOLEAN, aged_60_plus BIGINT,
--          lon DOUBLE, lat DOUBLE  -- one row per committee; lon/lat null without compounds
with committee_locations as (
    select committee_code, avg(lon) as lon, avg(lat) as lat
    from compounds
    group by committee_code
)
select c.committee_code, c.name, c.district_code, c.kind, c.in_pay_reform, c.has_home_care_centre,
       c.aged_60_plus, l.lon, l.lat
from communities as c
left join committee_locations as l on l.committee_code = c.committee_code
order by c.committee_code;
