-- sources_list: every source with how many indicator rows cite it.
-- params:  none
-- returns: source_id VARCHAR, kind VARCHAR, title VARCHAR, publisher VARCHAR, date VARCHAR,
--          locator VARCHAR, note VARCHAR, indicator_rows BIGINT  -- one row per source
select s.source_id, s.kind, s.title, s.publisher, s.date, s.locator, s.note,
       count(i.indicator_id) as indicator_rows
from sources as s
left join indicators as i on i.source_id = s.source_id
group by all
order by s.kind, s.source_id;
