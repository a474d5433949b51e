-- indicators_search: the indicator catalogue filtered by topic and free text, with each row's source kind.
-- params:  $topic VARCHAR, $text VARCHAR  -- '' means no filter
-- returns: indicator_id VARCHAR, topic VARCHAR, area_code VARCHAR, area_name VARCHAR, year BIGINT,
--          value DOUBLE, unit VARCHAR, quote VARCHAR, source_id VARCHAR, source_kind VARCHAR,
--          locator VARCHAR, note VARCHAR, note_zh VARCHAR  -- one row per indicator
select i.indicator_id, i.topic, i.area_code, i.area_name, i.year, i.value, i.unit, i.quote,
       i.source_id, s.kind as source_kind, i.locator, i.note, i.note_zh
from indicators as i
left join sources as s on s.source_id = i.source_id
where ($topic = '' or i.topic = $topic)
  and ($text = ''
       or contains(lower(i.indicator_id), lower($text))
       or contains(coalesce(i.quote, ''), $text)
       or contains(lower(i.area_name), lower($text))
       or contains(lower(coalesce(i.note, '')), lower($text))
       or contains(coalesce(i.note_zh, ''), $text))
order by i.topic, i.indicator_id;
