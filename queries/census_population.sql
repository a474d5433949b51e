-- census_population: 2020 census residents and older people by area (official statistics).
-- params:  none
-- returns: area_code VARCHAR, area_name VARCHAR, year BIGINT, residents BIGINT, aged_60_plus BIGINT,
--          aged_65_plus BIGINT, aged_80_plus BIGINT, source_id VARCHAR  -- one row per area
select area_code, area_name, year, residents, aged_60_plus, aged_65_plus, aged_80_plus, source_id
from census
order by area_code;
