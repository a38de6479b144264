"""Static checks of the built HTML: pages, images, links and anchors, no remote assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reader_checks import missing_chapters, overweight_pages, uncompressed_player_frames

REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.scripts, self.head_links, self.links, self.ids = [], [], [], [], set()
        self.alts = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            self.alts[attrs.get("src", "")] = attrs.get("alt") or ""
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):  # stylesheets, preloads, icons: all must be local
            self.head_links.append(attrs["href"])
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_toc_page_exists(site, toc_pages):
    missing = [page for page in toc_pages if not (site / page).is_file()]
    assert not missing, f"pages of _toc.yml missing from the site: {missing}"
    assert len(toc_pages) >= 5


def test_every_image_file_exists(site):
    broken = []
    for path in _all_pages(site):
        for src in _parse(path).images:
            if src.startswith("data:"):
                continue
            assert not REMOTE.match(src), f"{path.relative_to(site)} loads a remote image {src}"
            target = (path.parent / unquote(urlsplit(src).path)).resolve()
            if not target.is_file() or target.stat().st_size == 0:
                broken.append(f"{path.relative_to(site)}: {src}")
    assert not broken, "images whose file is missing or empty:\n" + "\n".join(broken)


def test_every_chapter_figure_has_a_description(site, chapter_pages):
    """Figures carry alt text from their caption (cell metadata ``mystnb.image.alt``), not a file name."""
    for page in chapter_pages:
        parsed = _parse(site / page)
        figures = [src for src in parsed.images if "_images/" in src]
        assert figures, f"{page} shows no figure"
        for src in figures:
            alt = parsed.alts[src]
            assert re.match(r"Figure \d+\.\d+: \w.{20,}", alt), (page, src, alt)
            tex = re.search(r"frac(?!tion)|sqrt|\\|\$|\{", alt)
            assert not tex, f"{page}: TeX left in the alt text {alt!r}"


def test_no_remote_script_or_link(site):
    remote = []
    for path in _all_pages(site):
        page = _parse(path)
        urls = page.scripts + page.head_links
        remote += [f"{path.relative_to(site)}: {url}" for url in urls if REMOTE.match(url)]
    assert not remote, "pages reference remote scripts or <link> targets:\n" + "\n".join(remote)


def test_mathjax_is_served_locally(site, toc_pages):
    script = site / "_static" / "mathjax" / "tex-mml-chtml.js"
    assert script.is_file() and script.stat().st_size > 100_000
    fonts = list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10
    for page in toc_pages:  # every page: the sidebar's chapter titles may contain math
        scripts = _parse(site / page).scripts
        assert any("mathjax/tex-mml-chtml.js" in s for s in scripts), f"{page}: no local MathJax"
        assert sum("mathjax" in s.lower() for s in scripts) == 1, f"{page} loads several MathJax scripts"


def test_internal_links_and_anchors_resolve(site):
    """Every internal link (cross-references included) points to an existing file and anchor."""
    broken, cache = [], {}
    for path in _all_pages(site):
        page = _parse(path)
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("//", "mailto:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {href} (no file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = cache.setdefault(target, _parse(target).ids if target != path.resolve() else page.ids)
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: {href} (no anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken)))


def test_no_unresolved_reference_markers(site, toc_pages):
    for page in toc_pages:
        text = (site / page).read_text(encoding="utf-8")
        assert "??" not in re.sub(r"<(script|style|pre)[\s\S]*?</\1>", "", text), f"{page} shows '??'"
        assert 'class="xref' not in re.sub(r"<a [^>]*>\s*<span class=\"xref", "", text), (
            f"{page} has a cross-reference that did not resolve to a link"
        )


def test_book_metadata_and_buttons(site, chapter_pages):
    index = (site / "book" / "intro.html").read_text(encoding="utf-8")
    assert "the rmtlib contributors" in index
    assert "2026" in index
    assert "https://github.com/rmtlib/rmtlib-companion" in index
    for page in chapter_pages:
        html = (site / page).read_text(encoding="utf-8")
        name = Path(page).stem
        assert f"_sources/notebooks/{name}.ipynb" in html, f"{page}: no .ipynb download button"
        assert "mybinder.org/v2/gh/rmtlib/rmtlib-companion/main" in html, f"{page}: no Binder launch button"
        assert "colab.research.google.com/github/rmtlib/rmtlib-companion" in html, f"{page}: no Colab button"
        assert (site / "_sources" / "notebooks" / f"{name}.ipynb").is_file()


def test_generated_pages_have_data(site, chapter_pages):
    status = (site / "book" / "status.html").read_text(encoding="utf-8")
    reproducibility = (site / "book" / "reproducibility.html").read_text(encoding="utf-8")
    for page in chapter_pages:
        name = Path(page).stem
        assert name in status, f"the status page has no verdict of {name}"
        assert name in reproducibility, f"the reproducibility page has no run of {name}"
    assert "FAIL" not in status
    assert "runs-table" not in reproducibility
    assert "numpy" in reproducibility and "jupyter-book" in reproducibility


def test_intro_opens_with_the_key_figure(site):
    page = _parse(site / "book" / "intro.html")
    content_images = [src for src in page.images if "key_figure" in src]
    assert content_images, "the introduction does not show the key figure of chapter 05"
    assert (site / "book" / content_images[0]).resolve().stat().st_size > 10_000


def test_the_environment_of_the_build_is_published(site, chapter_pages):
    import json

    reproducibility = (site / "book" / "reproducibility.html").read_text(encoding="utf-8")
    assert "The environment fingerprint of this build" in reproducibility
    assert "BLAS of numpy" in reproducibility and "packages at their locked version" in reproducibility
    for page in chapter_pages:
        name = Path(page).stem
        html = (site / page).read_text(encoding="utf-8")
        assert "The numbers on this page were computed with Python" in html, page
        # the downloadable notebook carries what `python -m rmtlib compare --published` reads
        source = site / "_sources" / "notebooks" / f"{name}.ipynb"
        record = json.loads(source.read_text())["metadata"]["rmtlib"]
        assert record["fingerprint"]["blas"] and record["fingerprint"]["parameters"] == record["parameters"]


def test_page_weight_budget(site):
    """No page over 1.5 MB of HTML; the explorable figures' frames are WebP, not PNG."""
    assert not overweight_pages(site), overweight_pages(site)
    png = {p.name: uncompressed_player_frames(p.read_text(encoding="utf-8")) for p in _all_pages(site)}
    png = {name: count for name, count in png.items() if count}
    assert not png, f"explorable figures with PNG frames: {png}"


def test_every_chapter_appears_in_the_lists_of_chapters(site, chapter_pages):
    """The introduction's list, the conventions' table and the status page name every chapter of the toc."""
    assert not missing_chapters(site, chapter_pages), missing_chapters(site, chapter_pages)


def test_every_page_has_the_build_footer_and_chapters_a_cite_box(site, toc_pages, chapter_pages):
    footer = re.compile(
        r'class="rmtlib-build">Built \d{4}-\d\d-\d\d with rmtlib [0-9.]+\S* from commit \w+\.<'
    )
    for page in toc_pages:
        assert footer.search((site / page).read_text(encoding="utf-8")), f"{page}: no build footer"
    for page in chapter_pages:
        text = (site / page).read_text(encoding="utf-8")
        boxes = text.count('class="admonition note rmtlib-cite"')
        assert boxes == 1 and "arXiv" in text, f"{page}: {boxes} cite boxes"
