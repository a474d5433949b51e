-- data_totals: row counts and headline totals of every dataset a user may replace (session overlays apply).
-- params:  none
-- returns: dataset VARCHAR, measure VARCHAR, value DOUBLE  -- one row per dataset x measure
with totals as (
    select 'communities' as dataset, 'rows' as measure, count(*)::double as value from communities
    union all select 'communities', 'residents', sum(residents)::double from communities
    union all select 'communities', 'aged_60_plus', sum(aged_60_plus)::double from communities
    union all select 'communities', 'communities_with_home_care', count_if(has_home_care_centre)::double from communities
    union all select 'compounds', 'rows', count(*)::double from compounds
    union all select 'compounds', 'households', sum(households)::double from compounds
    union all select 'compounds', 'residents', sum(residents)::double from compounds
    union all select 'clinics', 'rows', count(*)::double from clinics
    union all select 'clinics', 'centres', count_if(kind = 'centre')::double from clinics
    union all select 'clinics', 'gps', sum(gps)::double from clinics
    union all select 'clinics', 'nurses', sum(nurses)::double from clinics
    union all select 'care_facilities', 'rows', count(*)::double from care_facilities
    union all select 'care_facilities', 'beds', sum(beds)::double from care_facilities
    union all select 'care_facilities', 'nursing_beds', sum(nursing_beds)::double from care_facilities
    union all select 'community_workers', 'rows', count(*)::double from community_workers
    union all select 'community_workers', 'mean_pay_yuan_per_year', round(avg(pay_yuan_per_year), 0)::double
        from community_workers
    union all select 'subdistrict_shapes', 'rows', count(*)::double from subdistrict_shapes
)
select dataset, measure, coalesce(value, 0) as value
from totals
order by dataset, measure;
