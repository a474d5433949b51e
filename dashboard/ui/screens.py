"""Layout for every screen: phones (390 px), tablets, desktops and a hearing room's projector (1920×1080).

- `BASE_CSS` (every page, every size): tiles whose numbers wrap their unit instead of being cut off
  and shrink within bounds; labels and buttons that wrap; no horizontal scrolling of the page on a
  phone (wide tables scroll inside their own box, the map keeps a legible size in its own box).
- Presentation mode (`?present=1`): `step()` wraps one finding; each step is one screen high, the
  page snaps from step to step, and PageDown/PageUp, the arrow keys, space and a presentation
  clicker (which sends PageDown/PageUp) move to the next/previous finding, then to the next page.
  The script is inline (offline), added once per browser tab, and only acts while steps exist.
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

STEP_PREFIX = "present_step_"
_COUNTER = "_screens_step"

BASE_CSS = """<style>
/* tiles: the number never truncates; it wraps its unit and shrinks within bounds */
[data-testid="stMetricValue"] {font-size: clamp(1.3rem, 0.9rem + 1.1vw, 2.25rem) !important;}
[data-testid="stMetricValue"] > div, [data-testid="stMetricValue"] p, [data-testid="stMetricLabel"] p,
[data-testid="stMetricLabel"] div {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  line-height: 1.2; overflow-wrap: break-word;}
[data-testid="stMetricLabel"] {height: auto !important; min-height: 1.2rem;}
[data-testid="stMetricDeltaDescription"] {white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important;}
div:has(> [data-testid="stMetricDeltaDescription"]) {flex-wrap: wrap !important; row-gap: 0.2rem;}
/* buttons and page links: their text wraps rather than being cut ("Exit presentati…") */
.stButton button p, .stDownloadButton button p, [data-testid="stPageLink"] p {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important;}
[data-testid="stPageLink-NavLink"] {max-width: 100% !important;}
/* the page never scrolls sideways: wide content scrolls in its own box */
[data-testid="stMain"], [data-testid="stMainBlockContainer"] {overflow-x: hidden;}
.overview-map-box {overflow-x: auto; max-width: 100%;}
/* short tables (ui.static_table): a figure and its Chinese unit are not split over two lines;
   English wraps at its spaces */
[data-testid="stTable"] td:not(:first-child) p, [data-testid="stTable"] th:not(:first-child) p {word-break: keep-all;}
/* heat-map cell labels shrink below legibility on narrow screens: the colours and the hover carry them */
@media (max-width: 1000px) {.cgd-plot .heatmaplayer text {display: none;}}
/* the server-drawn maps (coverage, property): in a box narrower than 920 px (a phone, a tablet, a small
   laptop window with the sidebar open) the map keeps a width at which every label is at least 10 px (the
   smallest, the site numbers, are 12.3 map units) and scrolls sideways in its own box */
.cgd-svg {container-type: inline-size; overflow-x: auto; max-width: 100%;}
/* a map's scenario layer arrives as an element of its own (ui/plotly_react.py svg_markup) and draws into its map */
.stElementContainer[class*="-svglayer"] {display: none;}
@container (max-width: 919px) {svg.figure-map, svg.figure-map-layer {min-width: 920px;}}
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] {padding-left: 0.75rem !important; padding-right: 0.75rem !important;}
  h1 {font-size: 1.6rem !important;}
  .overview-map-box svg {min-width: 640px;}  /* labels stay legible; the box scrolls, the page does not */
  .overview-map-box svg text {font-size: max(1em, 12px);}
}
</style>"""

PRESENT_CSS = """<style>
[data-testid="stMain"] {scroll-snap-type: y proximity;}
[class*="st-key-present_step_"] {min-height: calc(100vh - 1.5rem); scroll-snap-align: start;
  justify-content: flex-start; padding-top: 0.4rem;}
[data-testid="stDataFrame"], [data-testid="stTable"] table {font-size: 1rem !important;}
[data-testid="stTable"] td, [data-testid="stTable"] th {font-size: 1rem !important; padding: 0.35rem 0.6rem !important;}
[data-testid="stCaptionContainer"], .stCaption, [data-testid="stCaptionContainer"] p {font-size: 0.9rem !important;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1rem;}
.overview-map-box svg text {font-size: max(1em, 20px);}
</style>"""

KEYS_JS = """<script>
(() => {
  if (window.__dashboardPresentKeys) return;
  window.__dashboardPresentKeys = true;
  const steps = () => Array.from(document.querySelectorAll('[class*="st-key-present_step_"]'));
  const go = (dir) => {
    const list = steps();
    if (!list.length) return false;
    const tops = list.map((el) => el.getBoundingClientRect().top);
    let target = null;
    // forward: the first finding below the upper quarter (the one on screen counts as current)
    if (dir > 0) target = list.find((el, i) => tops[i] > window.innerHeight / 4);
    else { for (let i = list.length - 1; i >= 0; i--) if (tops[i] < -8) { target = list[i]; break; } }
    if (target) { target.scrollIntoView({block: "start"}); return true; }
    const link = document.querySelector(dir > 0 ? '.st-key-present_nav_next a' : '.st-key-present_nav_prev a');
    if (link) { link.click(); return true; }
    return false;
  };
  window.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const fwd = ["PageDown", "ArrowDown", "ArrowRight", " "].includes(ev.key);
    const back = ["PageUp", "ArrowUp", "ArrowLeft"].includes(ev.key);
    if ((fwd || back) && go(fwd ? 1 : -1)) ev.preventDefault();
  }, true);
})();
</script>"""


# Streamlit's file uploader writes "Upload" and "200MB per file" in English whatever the language; its API
# takes no text for them. In Chinese they are replaced, in CSS, by the catalog's words (data.uploader_*).
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span {display: none;}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {content: "%s";}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {content: "%s"; font-size: 0.85rem; opacity: 0.7;}
</style>"""


def _css_text(text: str) -> str:
    return text.replace("\\", "").replace('"', "").replace("<", "").replace(">", "")


def base_css(lang: str = "zh") -> None:
    from dashboard.core.text import t

    st.html(BASE_CSS)
    if lang != "en":
        st.html(_UPLOADER_CSS % (_css_text(t("data.uploader_button", lang)), _css_text(t("data.uploader_limit", lang))))


def presentation_css() -> None:
    st.html(PRESENT_CSS)
    st.html(KEYS_JS, unsafe_allow_javascript=True)


_OPEN = "_screens_open_step"


def reset_steps() -> None:
    st.session_state[_COUNTER] = 0
    st.session_state[_OPEN] = None


def next_step(presenting: bool) -> None:
    """Close the finding open on this run (if any) and open the next: for pages written top to bottom."""
    end_steps()
    if presenting:
        cm = step(True)
        cm.__enter__()
        st.session_state[_OPEN] = cm


def end_steps() -> None:
    """Close the open finding (hearing.end_page calls this before the footer)."""
    cm = st.session_state.get(_OPEN)
    st.session_state[_OPEN] = None
    if cm is not None:
        cm.__exit__(None, None, None)


@contextmanager
def step(presenting: bool):
    """One finding: in presentation mode a screen-high block the keys step through; else a plain block."""
    if not presenting:
        yield st.container()
        return
    n = st.session_state.get(_COUNTER, 0)
    st.session_state[_COUNTER] = n + 1
    with st.container(key=f"{STEP_PREFIX}{n}") as box:
        yield box
