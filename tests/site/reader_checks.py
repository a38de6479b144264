"""What a reader sees, measured in the browser: the checks of ``test_browser.py``.

Each check is a JavaScript function evaluated in a loaded page (Playwright's
``page.evaluate``) that returns the defects it finds, so that the same check runs on the
built site and on the small pages with a defect of ``test_reader_checks.py``.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Leftover TeX or MyST syntax in the text a reader sees (code, scripts and typeset math
# excluded), and MathJax's error nodes.
RAW_SYNTAX = ("$", "\\(", "\\[", "{cite}", "{doc}", "{glue", "``")
CLEAN_TEXT_JS = """(raw) => {
  const skip = new Set(['SCRIPT', 'STYLE', 'PRE', 'CODE', 'TEXTAREA', 'MJX-CONTAINER', 'NOSCRIPT', 'KBD']);
  const found = [];
  const walker = document.createTreeWalker(document.querySelector('main, article') || document.body,
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    let el = node.parentElement, hidden = false;
    for (let e = el; e; e = e.parentElement) { if (skip.has(e.tagName)) { hidden = true; break; } }
    if (hidden || !el.getClientRects().length) continue;
    const text = node.textContent;
    for (const r of raw) {
      const at = text.indexOf(r);
      const around = text.slice(Math.max(0, at - 30), at + 30).trim();
      if (at >= 0) found.push(`${JSON.stringify(r)} in "${around}"`);
    }
  }
  const errors = document.querySelectorAll('mjx-merror, .MathJax_Error, [data-mjx-error]');
  errors.forEach(e => {
    const message = (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80);
    found.push(`MathJax error: ${message}`);
  });
  return found;
}"""

# Tokens (maximal runs of non-space characters) of table cells and headings that the
# browser laid out over two lines: "2500" stacked as 2/5/0/0, "bulk_w idth".
BROKEN_TOKENS_JS = """() => {
  const found = [];
  const range = document.createRange();
  const cells = document.querySelectorAll('article td, article th, article h1, article h2, article h3');
  for (const cell of cells) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('mjx-container')) continue;
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        // a compound word may wrap after its hyphen or dash (Tracy–Widom); numbers and dates may not
        let start = match.index;
        for (const part of match[0].split(/(?<=\\p{L}[-\u2010\u2013\u2014])(?=\\p{L})/u)) {
          range.setStart(node, start);
          range.setEnd(node, start + part.length);
          start += part.length;
          const boxes = [...range.getClientRects()].filter(r => r.width > 0);
          const tops = new Set(boxes.map(r => Math.round(r.top)));
          if (tops.size > 1) found.push(`${cell.tagName.toLowerCase()}: "${part}" over ${tops.size} lines`);
        }
      }
    }
  }
  return found;
}"""

# Every figure image of the article: its displayed and natural width, and whether it is a
# link to its full-size image (an <a> around it whose href is the image itself).
FIGURES_JS = """() => [...document.querySelectorAll('article .cell_output img, article figure img')]
  .filter(img => img.getClientRects().length && !img.closest('.animation'))
  .map(img => {
    const link = img.closest('a[href]');
    return {src: img.currentSrc || img.src, shown: img.getBoundingClientRect().width,
            natural: img.naturalWidth, alt: img.getAttribute('alt') || '',
            linked: !!link && link.href === (img.currentSrc || img.src)};
  })"""


def house_smallest_font_pt() -> float:
    """The smallest font size of the house style, in points (relative sizes resolved)."""
    import matplotlib

    from rmtlib.plotting import HOUSE_STYLE

    style = matplotlib.rc_params_from_file(str(HOUSE_STYLE), use_default_template=True)
    base = float(style["font.size"])
    keys = (
        "font.size",
        "axes.titlesize",
        "axes.labelsize",
        "legend.fontsize",
        "xtick.labelsize",
        "ytick.labelsize",
    )
    sizes = [_relative(style[key], base) for key in keys]
    return min(sizes)


def _relative(value, base: float) -> float:
    from matplotlib.font_manager import font_scalings

    try:
        return float(value)
    except ValueError:
        return base * font_scalings[value]


def png_dpi(data: bytes) -> float | None:
    """The resolution a PNG was saved at (its pHYs chunk), in dots per inch; None if not stated."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    at = 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[at + 8 : at + 17])
            return x * 0.0254 if unit == 1 else None
        if kind == b"IDAT":
            return None
        at += 12 + length
    return None


def image_bytes(src: str, site: Path, server: str) -> bytes:
    """The bytes of an image of the site given its URL (a data URI or a file of the site)."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    return (site / unquote(urlsplit(src).path).lstrip("/")).read_bytes()


def smallest_text_px(figure: dict, data: bytes, smallest_pt: float) -> float | None:
    """The displayed size, in CSS px, of the house style's smallest text in ``figure``."""
    dpi = png_dpi(data)
    if dpi is None or not figure["natural"]:
        return None
    return smallest_pt * dpi / 72 * figure["shown"] / figure["natural"]


LEGIBLE_PX = 9.0  # the smallest figure text a reader can read, in CSS px


def illegible_figures(figures: list[dict], site: Path, server: str, *, phone: bool) -> list[str]:
    """Figures whose smallest house-style text shows below :data:`LEGIBLE_PX`.

    On a phone a figure may be smaller if it links to its full-size image.
    """
    smallest_pt = house_smallest_font_pt()
    found = []
    for figure in figures:
        px = smallest_text_px(figure, image_bytes(figure["src"], site, server), smallest_pt)
        if px is not None and px < LEGIBLE_PX and not (phone and figure["linked"]):
            found.append(
                f"{figure['src'].rsplit('/', 1)[-1][:40]}: text at {px:.1f} px "
                f"({figure['shown']:.0f} of {figure['natural']} px wide)"
            )
    return found


PAGE_BUDGET = 1_500_000  # bytes of HTML per page


def overweight_pages(site: Path) -> list[str]:
    """Pages of the site over :data:`PAGE_BUDGET` bytes of HTML."""
    return [
        f"{p.relative_to(site)}: {p.stat().st_size / 1e6:.2f} MB"
        for p in sorted(site.rglob("*.html"))
        if p.stat().st_size > PAGE_BUDGET
    ]


def uncompressed_player_frames(html_text: str) -> int:
    """How many frames of explorable figures are PNG (each should be a compressed WebP)."""
    import re

    return len(re.findall(r'frames\[\d+\] = "data:image/png', html_text))


# Navigation on a phone: the visible menu button opens the chapter list, the contents button
# the page's sections.
VISIBLE_LINKS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(a => { const r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0
                 && r.right > 0 && r.left < window.innerWidth; })
  .map(a => a.getAttribute('href'))"""
MENU_BUTTON = ".bd-header-article button.primary-toggle"
CONTENTS_BUTTON = ".bd-header-article button.secondary-toggle"
CHAPTER_LINKS = (
    "nav a.reference.internal, .bd-sidebar-primary a.reference.internal, dialog a.reference.internal"
)
SECTION_LINKS = "dialog .toc-entry a, dialog nav.page-toc a"


def phone_navigation_problems(page) -> list[str]:
    """Open the menu and the contents with the visible buttons of ``page`` (a phone-sized
    Playwright page); return what did not work. Leaves the page on the chapter it navigated to."""
    problems = []
    menu = page.locator(MENU_BUTTON)
    if not menu.count() or not menu.first.is_visible():
        return ["no visible menu button"]
    before = set(page.evaluate(VISIBLE_LINKS_JS, CHAPTER_LINKS))
    menu.first.click()
    page.wait_for_timeout(300)
    shown = [href for href in page.evaluate(VISIBLE_LINKS_JS, CHAPTER_LINKS) if href not in before]
    if not shown:
        problems.append("the menu button shows no chapter list")
    else:
        target = next((h for h in shown if "notebooks/" in h or h.endswith(".html")), shown[0])
        link = page.locator(f'a.reference.internal[href="{target}"]').locator("visible=true").first
        url = page.url
        link.click()
        page.wait_for_load_state("load")
        if page.url == url:
            problems.append(f"clicking {target} in the chapter list did not navigate")
        page.go_back()
        page.wait_for_load_state("load")
    contents = page.locator(CONTENTS_BUTTON)
    if not contents.count() or not contents.first.is_visible():
        return problems + ["no visible contents button"]
    contents.first.click()
    page.wait_for_timeout(300)
    if not page.evaluate(VISIBLE_LINKS_JS, SECTION_LINKS):
        problems.append("the contents button shows none of the page's sections")
    return problems


SIDEBAR_SHOWN_JS = """() => { const s = document.querySelector('#pst-primary-sidebar');
  if (!s) return false; const r = s.getBoundingClientRect();
  return getComputedStyle(s).visibility !== 'hidden' && r.width > 0 && r.right > 0; }"""


def desktop_menu_problems(page) -> list[str]:
    """At a desktop's width the visible menu button hides the sidebar, and a second click restores it."""
    menu = page.locator(MENU_BUTTON)
    if not menu.count() or not menu.first.is_visible():
        return ["no visible menu button"]
    if not page.evaluate(SIDEBAR_SHOWN_JS):
        return ["the sidebar is not shown to start with"]
    menu.first.click()
    page.wait_for_timeout(400)
    if page.evaluate(SIDEBAR_SHOWN_JS):
        return ["the menu button does not collapse the sidebar"]
    menu.first.click()
    page.wait_for_timeout(400)
    return [] if page.evaluate(SIDEBAR_SHOWN_JS) else ["a second click does not restore the sidebar"]


def missing_chapters(site: Path, chapters: list[str]) -> list[str]:
    """Chapters (``notebooks/01_semicircle.html``, ...) that the introduction's list, the
    conventions' table of statements or the status page leave out."""
    import re

    intro = (site / "book" / "intro.html").read_text(encoding="utf-8")
    # the section "What each chapter shows" only: the sidebar links every chapter on every page
    listing = re.search(r'<section id="what-each-chapter-shows">(.*?)</section>', intro, re.S)
    intro = listing.group(1) if listing else ""
    conventions = (site / "book" / "conventions.html").read_text(encoding="utf-8")
    status = (site / "book" / "status.html").read_text(encoding="utf-8")
    in_table = {int(n) for n in re.findall(r"<td[^>]*>(?:<p>)?T(\d+) ", conventions)}
    found = []
    for chapter in chapters:
        name = chapter.rsplit("/", 1)[-1]
        number = int(name[:2])
        if f'href="../notebooks/{name}' not in intro:
            found.append(f"the introduction's list of chapters misses {name}")
        if number not in in_table:
            found.append(f"the conventions' table of statements misses T{number}")
        if f'href="../notebooks/{name}' not in status:
            found.append(f"the status page misses {name}")
    return found


def contact_sheet(shots: list[Path], target: Path, *, thumb_width: int = 240, columns: int = 8) -> Path:
    """One image of all the screenshots' thumbnails (top of each page), labelled, for a reviewer."""
    from PIL import Image, ImageDraw

    thumbs = []
    for shot in shots:
        with Image.open(shot) as image:
            scale = thumb_width / image.width
            top = image.crop((0, 0, image.width, min(image.height, int(1.6 * image.width))))
            thumbs.append((shot.stem, top.resize((thumb_width, max(1, int(top.height * scale))))))
    cell_h = max(t.height for _, t in thumbs) + 18
    rows = -(-len(thumbs) // columns)
    sheet = Image.new("RGB", (columns * (thumb_width + 8) + 8, rows * (cell_h + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (name, thumb) in enumerate(thumbs):
        x, y = 8 + (i % columns) * (thumb_width + 8), 8 + (i // columns) * (cell_h + 8)
        draw.text((x, y), name[:38], fill="black")
        sheet.paste(thumb, (x, y + 16))
        draw.rectangle((x - 1, y + 15, x + thumb_width, y + 16 + thumb.height), outline="#888")
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target)
    return target
