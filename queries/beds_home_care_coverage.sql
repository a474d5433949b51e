-- beds_home_care_coverage: committees with and without a community home-care centre, by district, kind and pay-reform status.
-- params:  none
-- returns: district_code VARCHAR, kind VARCHAR, in_pay_reform BOOLEAN, committees BIGINT,
--          with_centre BIGINT  -- one row per district x kind x in_pay_reform present
select district_code, kind, in_pay_reform, count(*) as committees,
       count(*) filter (where has_home_care_centre) as with_centre
from communities
group by district_code, kind, in_pay_reform
order by district_code, kind, in_pay_reform;
