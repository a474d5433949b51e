"""Dataset definitions: the one schema every loader, check, template and upload uses.

Each dataset is a list of `Field`s. From it come the pandera schema (value checks), the typed
DuckDB table (via `queries/_schema.sql`, checked against these fields by a test), the upload
templates and the column descriptions in `data/README.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandera.pandas as pa

CODE6 = r"^\d{6}$"
CODE9 = r"^\d{9}$"
CODE12 = r"^\d{12}$"
ANY_CODE = r"^(\d{6}|\d{9}|\d{12}|\d{6}[A-Z])$"  # [A-Z]: data/city.toml central_city.area_code
# map_data: boundaries and reference layers from map providers and public map datasets (cnmaps, WDB II,
# Natural Earth): real geography, but not an official statistic.
SOURCE_KINDS = ("report", "official_statistics", "standard", "assumption", "illustrative", "map_data")


@dataclass(frozen=True)
class Field:
    """One column: type, meaning (zh/en), unit and the checks its values must pass."""

    name: str
    type: str  # "str" | "int" | "float" | "bool"
    zh: str
    en: str
    unit: str = ""
    required: bool = True
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    example: str = ""
    # Other header names accepted in uploads (besides name, zh and en), e.g. "lng", "经度".
    aliases: tuple[str, ...] = ()
    # Chinese labels of `allowed`, position by position; uploads may use either.
    allowed_zh: tuple[str, ...] = ()
    # "fraction" (0-1) or "percent" (0-100) for shares: sets the range and lets "45%" parse.
    share: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header this column is recognised by in an upload (name, zh, en, aliases)."""
        return (self.name, self.zh, self.en, *self.aliases)

    def allowed_label(self, value: str, lang: str = "zh") -> str:
        """The label of an allowed value in `lang` (the value itself when there is no zh label)."""
        from dashboard.core.text import by_lang

        if self.allowed_zh and value in self.allowed:
            return by_lang(lang, self.allowed_zh[self.allowed.index(value)], value)
        return value

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(min, max), with a share's range implied by its declared scale."""
        lo, hi = self.min, self.max
        if self.share:
            lo = 0 if lo is None else lo
            hi = (1 if self.share == "fraction" else 100) if hi is None else hi
        return lo, hi


@dataclass(frozen=True)
class Dataset:
    """A table shipped as `data/<name>.csv` (or a GeoJSON's properties) with its grain and fields."""

    name: str
    file: str
    grain_zh: str
    grain_en: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    replaceable: bool = False  # users may upload their own version (bring-your-own-data)
    geo: bool = False
    references: dict[str, str] = field(default_factory=dict)  # column -> division level it must resolve to

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")


def _src() -> Field:
    return Field("source_id", "str", "来源编号", "source id", example="demo_layer")


def _lonlat() -> tuple[Field, Field]:
    return (
        Field("lon", "float", "经度(WGS84)", "longitude (WGS84)", "degree", min=-180, max=180, example="112.24",
              aliases=("经度", "lng", "long", "longitude", "x")),
        Field("lat", "float", "纬度(WGS84)", "latitude (WGS84)", "degree", min=-90, max=90, example="30.32",
              aliases=("纬度", "latitude", "y")),
    )


def _count(name: str, zh: str, en: str, unit: str, example: str = "0", **kw) -> Field:
    return Field(name, "int", zh, en, unit, min=0, example=example, **kw)


DATASETS: dict[str, Dataset] = {}


def _register(ds: Dataset) -> Dataset:
    DATASETS[ds.name] = ds
    return ds


_register(Dataset(
    "sources", "data/sources.csv", "每个来源一行", "one row per source",
    (
        Field("source_id", "str", "来源编号", "source id", unique=True, pattern=r"^[a-z0-9_]+$", example="report2020"),
        Field("kind", "str", "来源类别", "kind", allowed=SOURCE_KINDS, example="report"),
        Field("title", "str", "标题", "title", example="关于荆州市社区治理工作的调研报告"),
        Field("publisher", "str", "发布者", "publisher", example="荆州市人大常委会调研组"),
        Field("date", "str", "日期", "date", nullable=True, example="2020-10-27"),
        Field("locator", "str", "位置", "locator", nullable=True, example="jzrd.gov.cn"),
        Field("note", "str", "说明", "note", nullable=True),
    ),
    key=("source_id",),
))

_register(Dataset(
    "indicators", "data/indicators.csv", "报告中每个数量陈述一行", "one row per quantitative statement",
    (
        Field("indicator_id", "str", "指标编号", "indicator id", unique=True, pattern=r"^[a-z0-9_.]+$"),
        Field("topic", "str", "主题", "topic"),
        Field("area_code", "str", "区划代码", "area code", pattern=ANY_CODE),
        Field("area_name", "str", "区域", "area name"),
        Field("year", "int", "年份", "year", "year", min=1949, max=2100),
        Field("value", "float", "数值", "value"),
        Field("unit", "str", "单位", "unit"),
        Field("quote", "str", "原文", "quote", nullable=True),
        _src(),
        Field("locator", "str", "段落", "paragraph locator", nullable=True),
        Field("note", "str", "说明", "note", nullable=True),
        # The same definition and caveats in Chinese, for the Data & sources page (a file without it still loads).
        Field("note_zh", "str", "中文说明", "note in Chinese", required=False, nullable=True),
    ),
    key=("indicator_id",),
))

_register(Dataset(
    "census", "data/census.csv", "每个区域一行", "one row per area",
    (
        Field("area_code", "str", "区划代码", "area code", unique=True, pattern=CODE6),
        Field("area_name", "str", "区域", "area name"),
        Field("year", "int", "年份", "year", "year", min=1949, max=2100),
        _count("residents", "常住人口", "residents", "persons"),
        _count("aged_60_plus", "60岁及以上", "aged 60+", "persons", nullable=True),
        _count("aged_65_plus", "65岁及以上", "aged 65+", "persons", nullable=True),
        _count("aged_80_plus", "80岁及以上", "aged 80+", "persons", nullable=True),
        _src(),
    ),
    key=("area_code",),
))

_register(Dataset(
    "divisions", "data/divisions.csv", "每个区划单位一行", "one row per division",
    (
        Field("code", "str", "区划代码", "division code", unique=True, pattern=r"^(\d{6}|\d{9}|\d{12})$", example="421002001"),
        Field("name", "str", "名称", "name", example="中山街道"),
        Field("level", "str", "层级", "level", allowed=("city", "district", "subdistrict", "committee"), example="subdistrict"),
        Field("parent_code", "str", "上级代码", "parent code", nullable=True),
        Field("district_code", "str", "区县代码", "district code", nullable=True),
        Field("urban_rural_code", "str", "城乡分类代码", "urban-rural code", nullable=True),
        _src(),
    ),
    key=("code",),
))

_register(Dataset(
    "communities", "data/communities.csv", "每个社区/村一行", "one row per residents'/villagers' committee",
    (
        Field("committee_code", "str", "社区代码", "committee code", unique=True, pattern=CODE12, example="421002001001"),
        Field("name", "str", "名称", "name", example="白云桥社区"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", pattern=CODE9, example="421002001"),
        Field("new_area_id", "str", "新区", "new area", nullable=True),
        Field("kind", "str", "类别", "kind", allowed=("community", "village"), allowed_zh=("社区", "村"), example="community"),
        _count("households", "户数", "households", "households", "3000"),
        _count("residents", "常住人口", "residents", "persons", "8000"),
        _count("aged_60_plus", "60岁及以上", "aged 60+", "persons", "1900"),
        _count("aged_80_plus", "80岁及以上", "aged 80+", "persons", "250"),
        Field("has_home_care_centre", "bool", "有居家养老服务中心", "has a home-care centre", example="false"),
        Field("in_pay_reform", "bool", "纳入社工薪酬改革", "in the pay reform", example="true"),
        _src(),
    ),
    key=("committee_code",),
    replaceable=True,
    references={"committee_code": "committee", "subdistrict_code": "subdistrict", "district_code": "district"},
))

_register(Dataset(
    "compounds", "data/compounds.csv", "每个住宅小区(或村居民点)一行", "one row per residential compound (or village settlement)",
    (
        Field("compound_id", "str", "小区编号", "compound id", unique=True, example="C0001"),
        Field("name", "str", "名称", "name", example="示例小区"),
        Field("kind", "str", "类别", "kind", allowed=("compound", "village"), allowed_zh=("小区", "村居民点"), example="compound"),
        Field("committee_code", "str", "社区代码", "committee code", pattern=CODE12, example="421002001001"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", pattern=CODE9, example="421002001"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        Field("new_area_id", "str", "新区", "new area", nullable=True),
        *_lonlat(),
        _count("households", "户数", "households", "households", "400"),
        _count("residents", "常住人口", "residents", "persons", "1100"),
        _count("aged_60_plus", "60岁及以上", "aged 60+", "persons", "260"),
        _count("aged_80_plus", "80岁及以上", "aged 80+", "persons", "35"),
        Field("has_property_management", "bool", "有物业管理", "has property management", example="true"),
        Field("has_owners_committee", "bool", "有业委会", "has an owners' committee", example="false"),
        _src(),
    ),
    key=("compound_id",),
    replaceable=True,
    references={"committee_code": "committee", "subdistrict_code": "subdistrict", "district_code": "district"},
))

_register(Dataset(
    "clinics", "data/clinics.csv", "每个社区卫生服务中心/站一行", "one row per community health centre or station",
    (
        Field("clinic_id", "str", "机构编号", "clinic id", unique=True, example="H001"),
        Field("name", "str", "名称", "name", example="示例社区卫生服务中心"),
        Field("kind", "str", "类别", "kind", allowed=("centre", "station"), allowed_zh=("中心", "站"), example="centre"),
        Field("ownership", "str", "举办性质", "ownership", allowed=("public", "private"), allowed_zh=("公办", "民办"), example="public"),
        Field("premises", "str", "业务用房", "premises", allowed=("rented", "owned"), allowed_zh=("租用", "自有"), example="rented"),
        Field("meets_standard", "bool", "按标准设置", "built to standard", example="false"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", pattern=CODE9, example="421002001"),
        Field("new_area_id", "str", "新区", "new area", nullable=True),
        *_lonlat(),
        _count("gps", "全科医生", "general practitioners", "persons", "4"),
        _count("nurses", "护士", "nurses", "persons", "6"),
        _count("established_staff", "在编人员", "staff on establishment", "persons", "3"),
        _src(),
    ),
    key=("clinic_id",),
    replaceable=True,
    references={"subdistrict_code": "subdistrict", "district_code": "district"},
))

_register(Dataset(
    "care_facilities", "data/care_facilities.csv", "每个养老机构/居家养老服务中心一行", "one row per elderly-care facility",
    (
        Field("facility_id", "str", "机构编号", "facility id", unique=True, example="E0001"),
        Field("name", "str", "名称", "name", example="示例养老院"),
        Field("facility_type", "str", "类别", "facility type",
              allowed=("urban_public", "urban_private", "home_care_centre", "rural"),
              allowed_zh=("城市公办", "城市民办", "居家养老服务中心", "农村"), example="urban_public"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", nullable=True, example="421002001"),
        Field("committee_code", "str", "社区代码", "committee code", nullable=True),
        *_lonlat(),
        _count("beds", "床位", "beds", "beds", "120"),
        _count("nursing_beds", "护理型床位", "care-type (nursing) beds", "beds", "60"),
        _src(),
    ),
    key=("facility_id",),
    replaceable=True,
    references={"district_code": "district"},
))

_register(Dataset(
    "community_workers", "data/community_workers.csv", "每名社区工作者一行", "one row per community worker",
    (
        Field("worker_id", "str", "人员编号", "worker id", unique=True, example="W00001"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421003"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", pattern=CODE9, example="421003001"),
        Field("committee_code", "str", "社区代码", "committee code", pattern=CODE12, example="421003001001"),
        Field("post", "str", "岗位", "post", allowed=("head", "deputy", "member", "staff"),
              allowed_zh=("书记/主任", "副书记/副主任", "两委委员", "其他专职社区工作者"), example="staff"),
        Field("tenure_years", "float", "工龄(年)", "tenure (years)", "years", min=0, max=60, example="6"),
        Field("pay_yuan_per_year", "float", "年薪(元)", "pay (yuan per year)", "yuan_per_year", min=0, max=10_000_000, example="28000"),
        _src(),
    ),
    key=("worker_id",),
    replaceable=True,
    references={"committee_code": "committee", "district_code": "district"},
))

_register(Dataset(
    "compound_profiles", "data/compound_profiles.csv", "每个住宅小区一行：建成年份、封闭程度、物业企业、所属网格",
    "one row per residential compound: build year, enclosure, property firm, grid",
    (
        Field("compound_id", "str", "小区编号", "compound id", unique=True, example="C0001"),
        Field("build_year", "int", "建成年份", "year built", "year", min=1900, max=2100, example="1995",
              aliases=("建成年代", "竣工年份")),
        Field("enclosure", "str", "封闭程度", "enclosure", allowed=("closed", "semi_closed", "open"),
              allowed_zh=("封闭式", "半封闭式", "开放式"), example="semi_closed"),
        Field("property_firm_id", "str", "物业企业编号", "property firm id", nullable=True, example="F001"),
        Field("grid_id", "str", "网格编号", "grid id", nullable=True, example="G42100200100101"),
        _src(),
    ),
    key=("compound_id",),
    replaceable=True,
))

_register(Dataset(
    "grids", "data/grids.csv", "每个社区网格一行", "one row per community grid",
    (
        Field("grid_id", "str", "网格编号", "grid id", unique=True, example="G42100200100101"),
        Field("name", "str", "名称", "name", example="健康巷第1网格"),
        Field("committee_code", "str", "社区代码", "committee code", pattern=CODE12, example="421002001001"),
        Field("subdistrict_code", "str", "街道代码", "sub-district code", pattern=CODE9, example="421002001"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        _count("households", "户数", "households", "households", "420"),
        _count("grid_workers", "网格员", "grid workers", "persons", "1", aliases=("专职网格员",)),
        _count("party_cadres", "编入党员干部", "party cadres placed", "persons", "90", aliases=("下沉党员干部",)),
        _src(),
    ),
    key=("grid_id",),
    replaceable=True,
    references={"committee_code": "committee", "subdistrict_code": "subdistrict", "district_code": "district"},
))

# GeoJSON properties (geometry is handled by dashboard.data.geo)
_register(Dataset(
    "district_shapes", "geodata/districts.geojson", "每个区县(及全市轮廓)一行", "one row per district (and the city outline)",
    (
        Field("code", "str", "区划代码", "division code", unique=True, pattern=CODE6),
        Field("name", "str", "名称", "name"),
        Field("name_en", "str", "英文名", "English name", nullable=True),
        Field("level", "str", "层级", "level", allowed=("city", "district")),
        _src(),
    ),
    key=("code",), geo=True,
))

_register(Dataset(
    "subdistrict_shapes", "geodata/subdistricts.geojson", "每个街道/乡镇一行", "one row per sub-district or town",
    (
        Field("code", "str", "街道代码", "sub-district code", unique=True, pattern=CODE9, example="421002001"),
        Field("name", "str", "名称", "name", example="中山街道"),
        Field("district_code", "str", "区县代码", "district code", pattern=CODE6, example="421002"),
        Field("kind", "str", "类别", "kind", allowed=("street", "town"), allowed_zh=("街道", "乡镇"), example="street"),
        _src(),
    ),
    key=("code",), geo=True, replaceable=True,
    references={"code": "subdistrict", "district_code": "district"},
))

_register(Dataset(
    "new_area_shapes", "geodata/new_areas.geojson", "每个新区/功能区一行", "one row per new area or functional zone",
    (
        Field("area_id", "str", "编号", "area id", unique=True, example="jingbei"),
        Field("name", "str", "名称", "name", example="荆北新区"),
        Field("name_en", "str", "英文名", "English name", nullable=True),
        Field("kind", "str", "类别", "kind", allowed=("new_area", "functional_zone")),
        _src(),
    ),
    key=("area_id",), geo=True,
))


def _checks(f: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if f.allowed:
        checks.append(pa.Check.isin(list(f.allowed)))
    lo, hi = f.bounds
    if lo is not None:
        checks.append(pa.Check.ge(lo))
    if hi is not None:
        checks.append(pa.Check.le(hi))
    if f.pattern:
        checks.append(pa.Check.str_matches(f.pattern))
    return checks


# The pandas dtype of each field type: what parsing produces, pandera checks and the cache holds.
PANDAS_TYPES = {"str": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


@cache
def pandera_schema(name: str) -> pa.DataFrameSchema:
    """The pandera schema for dataset `name` (value checks after type parsing)."""
    ds = DATASETS[name]
    return pa.DataFrameSchema(
        {
            f.name: pa.Column(
                PANDAS_TYPES[f.type],
                checks=_checks(f),
                nullable=f.nullable,
                unique=f.unique,
                required=f.required,
                title=f.zh,
                description=f.en,
                metadata={"unit": f.unit},
            )
            for f in ds.fields
        },
        strict=False,
        name=name,
    )
