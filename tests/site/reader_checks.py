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
      if (at >= 0) found.push(`${JSON.stringify(r)} in "${text.slice(Math.max(0, at - 30), at + 30).trim()}"`);
    }
  }
  const errors = document.querySelectorAll('mjx-merror, .MathJax_Error, [data-mjx-error]');
  errors.forEach(e => found.push(`MathJax error: ${(e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80)}`));
  return found;
}"""

# Tokens (maximal runs of non-space characters) of table cells and headings that the
# browser laid out over two lines: "2500" stacked as 2/5/0/0, "bulk_w idth".
BROKEN_TOKENS_JS = """() => {
  const found = [];
  const range = document.createRange();
  for (const cell of document.querySelectorAll('article td, article th, article h1, article h2, article h3')) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('mjx-container')) continue;
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) found.push(`${cell.tagName.toLowerCase()}: "${match[0]}" over ${tops.size} lines`);
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
    keys = ("font.size", "axes.titlesize", "axes.labelsize", "legend.fontsize", "xtick.labelsize",
            "ytick.labelsize")
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
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[at + 8:at + 17])
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
