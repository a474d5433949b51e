-- pay_households_by_district: communities and households by district, all and in the pay reform.
-- params:  none
-- returns: district_code VARCHAR, communities BIGINT, households BIGINT, reform_communities BIGINT,
--          reform_households BIGINT  -- one row per district
select district_code,
       count(*) as communities,
       sum(households) as households,
       count(*) filter (where in_pay_reform) as reform_communities,
       coalesce(sum(households) filter (where in_pay_reform), 0) as reform_households
from communities
group by district_code
order by district_code;
