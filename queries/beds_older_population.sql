-- beds_older_population: residents and older people by district, summed over its committees (communities and villages).
-- params:  none
-- returns: district_code VARCHAR, committees BIGINT, residents BIGINT, aged_60_plus BIGINT,
--          aged_80_plus BIGINT  -- one row per district with committees
select district_code, count(*) as committees, sum(residents) as residents,
       sum(aged_60_plus) as aged_60_plus, sum(aged_80_plus) as aged_80_plus
from communities
group by district_code
order by district_code;
