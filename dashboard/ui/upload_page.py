"""Your data: templates, upload with every problem listed at once, and this session's overlay (reset to shipped)."""

import streamlit as st

from dashboard.core.safetext import md_escape
from dashboard.data import db
from dashboard.data.schemas import DATASETS, SOURCE_KINDS
from dashboard.exports import tables
from dashboard.ui import widgets as ui
from dashboard.upload import templates, validate, worker

_RESULTS = "data_results"  # (file sha256, dataset, fixes) -> validate.Result, for this session
_FIXES = "data_fixes"  # (file sha256, dataset) -> fixes the user asked for
_APPLIED = "data_applied"  # message shown once after an upload is applied or reset


def _checked(name: str, data: bytes, dataset: str) -> validate.Result:
    """The check of an uploaded file, cached in the session so reruns (typing in the form) don't redo it."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    fixes = tuple(st.session_state.setdefault(_FIXES, {}).get((digest, dataset), ()))
    key = (digest, dataset, fixes)
    cache = st.session_state.setdefault(_RESULTS, {})
    if key not in cache:
        cache.clear()  # keep one result per session: memory stays bounded
        with st.spinner(ui.tr("data.checking")):
            # in a worker process with CPU-time and memory limits (dashboard/upload/worker.py)
            cache[key] = worker.validate_bounded(data, name, dataset, fixes=fixes, overlay=ui.overlay())
    return cache[key]


def _provenance() -> validate.Provenance:
    state = st.session_state
    return validate.Provenance(publisher=state.get("data_publisher", "") or "", date=state.get("data_date", "") or "",
                               title=state.get("data_title", "") or "", kind=state.get("data_kind", "official_statistics"))


def _apply(dataset: str) -> None:
    result = next(iter(st.session_state.get(_RESULTS, {}).values()), None)
    if result is None or result.dataset != dataset or not result.ok:
        return
    new = validate.apply(ui.overlay(), result, _provenance())
    ui.set_overlay(new)
    source_id = new["sources"]["source_id"].iloc[-1]
    st.session_state[_APPLIED] = ui.tr("data.applied", dataset=ui.dataset_label(dataset), source_id=source_id)


def _reset(dataset: str | None) -> None:
    ui.set_overlay(validate.reset(ui.overlay(), dataset))
    st.session_state[_APPLIED] = ui.tr("data.reset_done")


def _ask_fix(digest: str, dataset: str, fix: str) -> None:
    fixes = st.session_state.setdefault(_FIXES, {})
    fixes[(digest, dataset)] = tuple(sorted({*fixes.get((digest, dataset), ()), fix}))


lang = ui.lang()
overlay = ui.overlay()
st.title(ui.tr("data.title"))
if not ui.presenting():
    st.markdown(ui.tr("data.intro"))
if _APPLIED in st.session_state:
    st.success(st.session_state.pop(_APPLIED), icon=":material/check_circle:")

# ---------------------------------------------------------------- what this session uses
st.subheader(ui.tr("data.status_title"))
ui.overlay_banner()
if not overlay.user_datasets:
    st.info(ui.tr("data.banner_none"), icon=":material/info:")
status = [
    {
        ui.tr("data.status_dataset"): ui.dataset_label(name),
        ui.tr("data.status_state"): ui.tr("data.state_user" if name in overlay.user_datasets else "data.state_shipped"),
        ui.tr("data.status_detail"): overlay.labels.get(name, "") or DATASETS[name].file,
    }
    for name in validate.replaceable()
]
st.dataframe(status, hide_index=True, width="stretch", key="data_status")
if overlay.user_datasets:
    cols = st.columns(len(overlay.user_datasets) + 1)
    for col, name in zip(cols, overlay.user_datasets, strict=False):
        col.button(ui.tr("data.reset_one", dataset=ui.dataset_label(name)), key=f"data_reset_{name}",
                   on_click=_reset, args=(name,))
    cols[-1].button(ui.tr("data.reset_all"), key="data_reset_all", on_click=_reset, args=(None,), type="primary")

shipped_totals = db.run_query("data_totals")
session_totals = db.run_query("data_totals", overlay=overlay)
totals = shipped_totals.merge(session_totals, on=["dataset", "measure"], suffixes=("_shipped", "_session"))
with st.expander(ui.tr("data.totals_title"), expanded=bool(overlay.user_datasets)):
    st.dataframe(
        {
            ui.tr("data.status_dataset"): [ui.dataset_label(d) for d in totals["dataset"]],
            ui.tr("data.totals_measure"): [ui.tr(f"data.measure_{m}") for m in totals["measure"]],
            ui.tr("data.totals_shipped"): totals["value_shipped"].round(1).tolist(),
            ui.tr("data.totals_session"): totals["value_session"].round(1).tolist(),
        },
        hide_index=True, width="stretch", key="data_totals",
    )

# ---------------------------------------------------------------- 1. templates
dataset_labels = {n: f"{ui.dataset_label(n)} ({n})" for n in validate.replaceable()}  # in this session's language
dataset = st.selectbox(ui.tr("data.choose_dataset"), list(dataset_labels), key="data_dataset",
                       format_func=dataset_labels.get)
ds = DATASETS[dataset]
st.subheader(ui.tr("data.templates_title"))
st.caption(ui.tr("data.templates_help") + (" " + ui.tr("data.geometry_note") if ds.geo else ""))
files = templates.templates(dataset)
cols = st.columns(len(files))
for col, (kind, (payload, filename)) in zip(cols, files.items(), strict=True):
    mime = {"csv_zh": "text/csv", "csv_en": "text/csv", "geojson": "application/geo+json"}.get(
        kind, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    label = ui.tr(f"data.template_{kind}")
    col.download_button(label, payload, file_name=filename, mime=mime, key=f"data_template_{kind}", width="stretch", on_click="ignore")
with st.expander(ui.tr("data.columns_title")):
    st.dataframe(templates.columns_table(dataset, lang), hide_index=True, width="stretch", key="data_columns")

# ---------------------------------------------------------------- 2. provenance
st.subheader(ui.tr("data.provenance_title"))
c1, c2 = st.columns(2)
c1.text_input(ui.tr("data.publisher"), key="data_publisher", placeholder=ui.tr("data.publisher_help"))
c2.text_input(ui.tr("data.date"), key="data_date", placeholder="2023-06-30")
c3, c4 = st.columns(2)
c3.text_input(ui.tr("data.source_title"), key="data_title")
kind_labels = {k: ui.tr(f"common.kind_{k}") for k in SOURCE_KINDS}
c4.selectbox(ui.tr("data.source_kind"), SOURCE_KINDS, key="data_kind", index=SOURCE_KINDS.index("official_statistics"),
             format_func=kind_labels.get)
provenance = _provenance()
for key in provenance.problems():
    st.caption("⚠️ " + ui.tr(f"data.{key}"))

# ---------------------------------------------------------------- 3. upload and check
st.subheader(ui.tr("data.upload_title"))
limit_mb = (validate.MAX_GEOJSON_BYTES if ds.geo else validate.MAX_BYTES) // (1024 * 1024)
uploaded = st.file_uploader(
    ui.tr("data.upload_label", limit=limit_mb),
    type=["geojson", "json", "csv", "txt", "tsv", "xlsx", "xlsm", "xls"],  # a wrong kind gets our message
    key=f"data_upload_{dataset}",
    max_upload_size=limit_mb,
)
if uploaded is not None:
    result = _checked(uploaded.name, uploaded.getvalue(), dataset)
    if result.fmt:
        st.caption(ui.tr("data.checked", file=md_escape(result.filename), fmt=result.fmt.upper(),
                         encoding=md_escape(result.encoding or "—")))
    for note in result.note_texts(lang):
        st.caption("· " + md_escape(note))  # notes quote the file's headers and sheet names
    if result.refused:
        st.error(ui.tr("data.refused") + " " + md_escape(validate.message(result.problems[0], lang)), icon=":material/block:")
    elif not result.ok:
        st.error(ui.tr("data.problems_count", count=len(result.problems)), icon=":material/warning:")
        problems = result.table(lang)
        st.dataframe(problems, hide_index=True, width="stretch", key="data_problems")
        st.download_button(ui.tr("data.download_problems"), tables.csv_bytes(problems),
                           file_name=f"{dataset}_problems.csv", mime="text/csv", key="data_problems_csv", on_click="ignore")
        if result.fixes:
            st.info(ui.tr("data.fixes_offer"), icon=":material/build:")
            for fix in result.fixes:
                st.button(ui.tr("data.fix_button", fix=ui.tr(f"data.fix_{fix}")), key=f"data_fix_{fix}",
                          on_click=_ask_fix, args=(result.sha256, dataset, fix))
    else:
        st.success(ui.tr("data.valid", rows=result.rows), icon=":material/check_circle:")
        applied = st.session_state.get(_FIXES, {}).get((result.sha256, dataset))
        if applied and ds.geo:
            st.download_button(ui.tr("data.download_repaired"), validate.repaired_geojson(result),
                               file_name=f"{dataset}_repaired.geojson", mime="application/geo+json",
                               key="data_repaired", on_click="ignore")
        st.caption(ui.tr("data.preview"))
        preview = result.frame.drop(columns=["geometry"], errors="ignore").head(20)
        st.dataframe(preview, hide_index=True, width="stretch", key="data_preview")
        ready = not provenance.problems()
        if not ready:
            st.warning(ui.tr("data.apply_needs_provenance"), icon=":material/edit:")
        st.button(ui.tr("data.apply"), key="data_apply", type="primary", disabled=not ready,
                  on_click=_apply, args=(dataset,))
