"""The site as a reader sees it: every page opened in headless Chromium from a local server.

Chromium is the Debian package (``/usr/bin/chromium``, installed by ``make test``
when missing), driven by Playwright; no browser is ever downloaded. Every request
that does not go to the local server is blocked and reported. Every page is loaded
once at a desktop's width (1280 px) and once at a phone's (400 px); the checks of
``reader_checks.py`` run on each load. Full-page screenshots of every page at both
widths, and a contact sheet of them all (``contact_sheet.png``), go to
``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from reader_checks import (
    BROKEN_TOKENS_JS,
    CLEAN_TEXT_JS,
    FIGURES_JS,
    RAW_SYNTAX,
    contact_sheet,
    desktop_menu_problems,
    illegible_figures,
    phone_navigation_problems,
)

# Text of the page a reader can see: text nodes outside code, scripts and typeset math,
# whose element is rendered.
VISIBLE_TEXT_JS = """() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'MJX-CONTAINER', 'NOSCRIPT']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, hidden = false;
    for (let e = el; e; e = e.parentElement) { if (skip.has(e.tagName)) { hidden = true; break; } }
    if (hidden || !el.getClientRects().length) continue;
    parts.push(node.textContent);
  }
  return parts.join(' ');
}"""

LOAD_IMAGES_JS = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  return images.map(img => ({src: img.getAttribute('src'), width: img.naturalWidth}));
}"""

MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const math = [...document.querySelectorAll('.math')];
  const untypeset = math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60));
  return {math: math.length, typeset: document.querySelectorAll('mjx-container').length, untypeset};
}"""

SIDEBAR_JS = """() => [...document.querySelectorAll('.bd-sidebar-primary a.reference.internal')]
                  .map(a => a.href)"""

# Elements inside a cell's output area that are wider than the box they sit in (a table or
# a printed line cut at the column's edge, or scrolled inside its own box).
OVERFLOW_JS = """() => [...document.querySelectorAll('.cell_output, .cell_output *')]
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}: `
             + `${e.scrollWidth} > ${e.clientWidth}`)"""

# Does the page itself scroll sideways (something forces it wider than the window)?
PAGE_SCROLL_JS = "() => document.documentElement.scrollWidth - window.innerWidth"

PHONE = {"width": 400, "height": 860}


def _local_only(route):
    return route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def _screenshot(page, page_path: str, shots: Path, suffix: str = "") -> Path:
    """Full-page screenshot of ``page_path`` into ``shots``."""
    target = shots / (page_path.removesuffix(".html").replace("/", "__") + suffix + ".png")
    page.screenshot(path=str(target), full_page=True)
    return target


@pytest.fixture(scope="module")
def pages_seen(site, toc_pages, project_root, server, browser):
    """Open every page of the toc once; return what the browser saw, page by page."""
    shots = project_root / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    seen = {}
    for page_path in toc_pages:
        page = context.new_page()
        record = {"console": [], "remote": [], "screenshot": None}
        page.on("console", lambda msg, r=record: msg.type == "error" and r["console"].append(msg.text))
        page.on("pageerror", lambda exc, r=record: r["console"].append(str(exc)))

        def only_local(route, r=record):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                return route.continue_()
            r["remote"].append(route.request.url)
            return route.abort()

        page.route("**/*", only_local)
        response = page.goto(urljoin(server, page_path), wait_until="load")
        record["status"] = response.status if response else None
        record["url"] = page.url
        record["images"] = page.evaluate(LOAD_IMAGES_JS)
        record["math"] = page.evaluate(MATH_JS)
        record["text"] = page.evaluate(VISIBLE_TEXT_JS)
        record["sidebar"] = page.evaluate(SIDEBAR_JS)
        record["overflow"] = page.evaluate(OVERFLOW_JS)
        record.update(_what_a_reader_sees(page))
        record["screenshot"] = _screenshot(page, page_path, shots)
        seen[page_path] = record
        page.close()
    context.close()
    return seen


def _what_a_reader_sees(page) -> dict:
    """The reader checks' findings on a loaded page (math typeset, images loaded)."""
    return {
        "raw": page.evaluate(CLEAN_TEXT_JS, list(RAW_SYNTAX)),
        "broken": page.evaluate(BROKEN_TOKENS_JS),
        "figures": page.evaluate(FIGURES_JS),
    }


def test_index_leads_to_the_introduction(server, browser):
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    page.goto(urljoin(server, "index.html"))
    page.wait_for_url("**/book/intro.html", timeout=10_000)
    assert page.locator("h1").first.inner_text().strip()
    page.close()


def test_pages_open_without_console_errors(pages_seen):
    for path, record in pages_seen.items():
        assert record["status"] == 200, f"{path}: HTTP {record['status']}"
        assert not record["console"], f"{path}: console errors {record['console']}"


def test_pages_request_nothing_remote(pages_seen):
    for path, record in pages_seen.items():
        assert not record["remote"], f"{path} requested remote resources: {record['remote']}"


def test_every_image_loaded(pages_seen):
    for path, record in pages_seen.items():
        broken = [img["src"] for img in record["images"] if img["width"] == 0]
        assert not broken, f"{path}: images that did not load: {broken}"
    assert sum(len(r["images"]) for p, r in pages_seen.items() if p.startswith("notebooks/")) > 0


def test_math_is_typeset(pages_seen):
    for path, record in pages_seen.items():
        math = record["math"]
        assert not math["untypeset"], f"{path}: math left untypeset: {math['untypeset']}"
        if math["math"]:
            assert math["typeset"] >= math["math"], f"{path}: {math}"
        for raw in ("\\(", "\\)", "\\[", "\\]", "$$"):
            assert raw not in record["text"], f"{path}: raw TeX delimiter {raw!r} in the visible text"
    assert pages_seen["book/conventions.html"]["math"]["typeset"] > 10


def test_every_chapter_reachable_from_sidebar(pages_seen, toc_pages, server):
    wanted = {urljoin(server, page) for page in toc_pages if page != "book/intro.html"}
    for path, record in pages_seen.items():
        reachable = {link.split("#")[0] for link in record["sidebar"]}
        assert wanted <= reachable, f"{path}: sidebar misses {sorted(wanted - reachable)}"


def test_cross_references_resolve(pages_seen):
    for path, record in pages_seen.items():
        assert "??" not in record["text"], f"{path}: an unresolved reference shows as '??'"


def test_screenshot_of_every_chapter(pages_seen, chapter_pages):
    for page in chapter_pages:
        shot = pages_seen[page]["screenshot"]
        assert shot is not None and shot.stat().st_size > 10_000, f"{page}: no screenshot"


def test_no_output_area_overflows(pages_seen, chapter_pages):
    for page in chapter_pages:
        overflow = pages_seen[page]["overflow"]
        assert not overflow, f"{page}: output wider than its column: {overflow}"


@pytest.fixture(scope="module")
def phone_pages_seen(toc_pages, project_root, server, browser):
    """Every page at a phone's width (400 px): how far it scrolls sideways, and a screenshot."""
    shots = project_root / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    seen = {}
    for page_path in toc_pages:
        page = context.new_page()
        page.route("**/*", _local_only)
        page.goto(urljoin(server, page_path), wait_until="load")
        page.evaluate(LOAD_IMAGES_JS)
        page.evaluate(MATH_JS)
        record = {"sideways": page.evaluate(PAGE_SCROLL_JS), **_what_a_reader_sees(page)}
        record["screenshot"] = _screenshot(page, page_path, shots, suffix="__phone")
        seen[page_path] = record
        page.close()
    context.close()
    return seen


def test_nothing_forces_sideways_scrolling_on_a_phone(phone_pages_seen):
    for path, record in phone_pages_seen.items():
        wider = record["sideways"]
        assert wider <= 1, f"{path}: the page is {wider} px wider than a 400 px window"


def test_phone_screenshot_of_every_chapter(phone_pages_seen, chapter_pages):
    for page in chapter_pages:
        shot = phone_pages_seen[page]["screenshot"]
        assert shot is not None and shot.stat().st_size > 10_000, f"{page}: no phone screenshot"


PLAYERS_JS = "() => [...document.querySelectorAll('input.anim-slider')].map(e => e.id)"


def test_explorable_figures_respond_to_their_slider(site, chapter_pages, server, browser):
    """Each player: moving its slider changes the frame shown, with no console error; pages stay light."""
    players = 0
    for page_path in chapter_pages:
        page = browser.new_page()
        errors = []
        page.on("console", lambda msg, e=errors: msg.type == "error" and e.append(msg.text))
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.route("**/*", _local_only)
        page.goto(urljoin(server, page_path), wait_until="load")
        for slider_id in page.evaluate(PLAYERS_JS):
            players += 1
            slider = page.locator(f"#{slider_id}")
            image = page.locator(f"#{slider_id.replace('_anim_slider', '_anim_img')}")
            slider.scroll_into_view_if_needed()
            before = image.get_attribute("src")
            last = int(slider.get_attribute("max"))
            assert last >= 2, f"{page_path}: a player with {last + 1} frames"
            slider.fill(str(last))
            slider.dispatch_event("input")
            after = image.get_attribute("src")
            assert after != before, f"{page_path}: moving the slider of {slider_id} did not change the frame"
        assert not errors, f"{page_path}: console errors {errors}"
        page.close()
        weight = (site / page_path).stat().st_size
        assert weight < 5_000_000, f"{page_path}: {weight / 1e6:.1f} MB of HTML"
    assert players >= 3, f"only {players} explorable figures in the book"


# Tables wider than the box they sit in (the theme scrolls a wide table inside its own box).
WIDE_TABLES_JS = """() => [...document.querySelectorAll('article table')]
  .filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
  .map(t => `${t.className}: ${Math.round(t.getBoundingClientRect().width)}`
             + ` > ${t.parentElement.clientWidth}`)"""

STATUS_JS = """() => ({
  tables: [...document.querySelectorAll('article table')].map(t => t.className),
  bars: document.querySelectorAll('table.status-verdicts span[role=img]').length,
  rows: document.querySelectorAll('table.status-verdicts tbody tr').length,
})"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_status_page_fits_at_a_glance(server, browser, viewport):
    """Summary first, then one two-line entry per verdict with its margin bar; nothing wider than the page."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    page.route("**/*", _local_only)
    page.goto(urljoin(server, "book/status.html"), wait_until="load")
    status = page.evaluate(STATUS_JS)
    wide = page.evaluate(WIDE_TABLES_JS)
    sideways = page.evaluate(PAGE_SCROLL_JS)
    context.close()
    assert "status-verdicts" not in status["tables"][0], "the per-chapter summary comes first"
    assert status["bars"] >= 8 and status["rows"] == 2 * status["bars"], status
    assert not wide, f"status page tables wider than the column at {viewport['width']} px: {wide}"
    assert sideways <= 1, f"the status page is {sideways} px wider than a {viewport['width']} px window"


# --------------------------------------------------------------------------- what a reader sees, both widths


@pytest.fixture(scope="module", params=["desktop", "phone"])
def seen_at_width(request):
    seen = "pages_seen" if request.param == "desktop" else "phone_pages_seen"
    return request.param, request.getfixturevalue(seen)


def test_rendered_text_is_clean(seen_at_width):
    """No MathJax error, no leftover $, \\(, {cite}, {doc}, {glue or `` in the text a reader sees."""
    width, seen = seen_at_width
    found = {path: record["raw"] for path, record in seen.items() if record["raw"]}
    assert not found, f"raw TeX or MyST syntax at {width} width: {found}"


def test_no_word_or_number_broken_across_lines(seen_at_width):
    """In table cells and headings, no token spans two lines (tables scroll instead)."""
    width, seen = seen_at_width
    found = {path: record["broken"][:5] for path, record in seen.items() if record["broken"]}
    assert not found, f"words or numbers broken across lines at {width} width: {found}"


def test_figure_text_is_legible(seen_at_width, site, server):
    """House-style text >= 9 CSS px at 1280 px; at 400 px either that or a link to the full-size image."""
    width, seen = seen_at_width
    found = {}
    for path, record in seen.items():
        small = illegible_figures(record["figures"], site, server, phone=width == "phone")
        if small:
            found[path] = small
    assert not found, f"illegible figure text at {width} width: {found}"
    assert sum(len(r["figures"]) for r in seen.values()) >= 20


def test_contact_sheet_of_every_page(pages_seen, phone_pages_seen, project_root):
    shots = [record["screenshot"] for seen in (pages_seen, phone_pages_seen) for record in seen.values()]
    sheet = contact_sheet(shots, project_root / "_build" / "screenshots" / "contact_sheet.png",
                          columns=len(pages_seen))
    assert sheet.stat().st_size > 50_000 and len(shots) == 2 * len(pages_seen)


def test_navigation_works_on_a_phone(server, browser, chapter_pages):
    """At 400 px the menu button shows the chapter list, whose links navigate; contents shows the sections."""
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.route("**/*", _local_only)
    page.goto(urljoin(server, chapter_pages[0]), wait_until="load")
    problems = phone_navigation_problems(page)
    context.close()
    assert not problems, problems


def test_menu_button_collapses_the_sidebar_on_a_desktop(server, browser, chapter_pages):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/*", _local_only)
    page.goto(urljoin(server, chapter_pages[0]), wait_until="load")
    problems = desktop_menu_problems(page)
    context.close()
    assert not problems, problems


def test_search_snippets_show_no_raw_tex(server, browser):
    """The search page's snippets leave out math and code instead of showing their TeX source."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/*", _local_only)
    page.goto(urljoin(server, "search.html?q=semicircle"), wait_until="load")
    page.wait_for_selector("#search-results li p.context", timeout=20_000)
    snippets = page.locator("#search-results li p.context").all_inner_texts()
    context.close()
    assert snippets
    raw = [s[:80] for s in snippets if any(token in s for token in ("\\(", "\\[", "$$", "\\sigma", "\\frac"))]
    assert not raw, f"search snippets with raw TeX: {raw}"
