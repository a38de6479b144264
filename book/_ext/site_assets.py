"""Sphinx extension: the page assets every page of this book needs, once each.

* MathJax on every page. Sphinx adds MathJax only to pages that contain math
  themselves, but the sidebar of every page shows the chapter titles, some of
  which contain math (``Full-rank $S$ ...``): without MathJax that TeX stays raw.
  The ``always`` asset policy includes it everywhere.
* No duplicate inline scripts. With Sphinx 7.4, sphinx-thebe registers its
  inline configuration script (``const THEBE_JS_URL = ...``) twice (once with
  file name ``None``, once ``""``), and the browser logs a SyntaxError for the
  second declaration. The first of identical scripts is kept.
* The reading layout (``static/reader.css``): printed output wraps, figures, tables
  and the explorable figures' players fit the content column, also on a phone.
* Working sidebar buttons and figure links (``static/reader.js``): the visible menu and
  contents buttons forward their click to the hidden ones the theme's script is bound
  to; each figure links to its full-size image.
* A footer line on every page (build date, ``rmtlib`` version, commit) and, on every
  chapter, a "how to cite" box generated from ``CITATION.cff``; the site's icon.
"""

import datetime
import html
import subprocess
from pathlib import Path

import yaml

STATIC = Path(__file__).resolve().parent / "static"


def _configure(app, config):
    config.html_static_path.append(str(STATIC))
    config.html_favicon = str(STATIC / "favicon.svg")
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = f'<p class="rmtlib-build">{html.escape(_build_line(Path(app.srcdir)))}</p>'
    config.html_theme_options = options


def _commit(folder: Path) -> str:
    try:
        found = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=folder, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "unknown"


def _build_line(srcdir: Path) -> str:
    """``Built 2026-12-08 with rmtlib 0.1.0 from commit 1a2b3c4d5e6f.``"""
    try:
        from rmtlib import __version__ as version
    except ImportError:
        version = "unknown"
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return f"Built {today} with rmtlib {version} from commit {_commit(srcdir)}."


def cite_box(citation: dict) -> str:
    """The "how to cite" box of a chapter: the companion and the paper it accompanies."""
    authors = ", ".join(a.get("name") or f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
                        for a in citation.get("authors", []))
    companion = (f"{authors}. <i>{html.escape(' '.join(str(citation['title']).split()))}</i>, "
                 f"version {html.escape(str(citation.get('version', '')))}, "
                 f"<a href=\"{html.escape(citation.get('repository-code', ''))}\">"
                 f"{html.escape(citation.get('repository-code', ''))}</a>.")
    papers = []
    for ref in citation.get("references", []):
        names = ", ".join(f"{a.get('given-names', '')} {a.get('family-names', '')}".strip()
                          for a in ref.get("authors", []))
        where = ", ".join(str(x) for x in (ref.get("journal"), ref.get("year")) if x)
        papers.append(f"{html.escape(names)}. <i>{html.escape(str(ref.get('title', '')))}</i>, "
                      f"{html.escape(where)}.")
    return (
        '<aside class="admonition note rmtlib-cite"><p class="admonition-title">How to cite</p>'
        f"<p>{html.escape(' '.join(str(citation.get('message', '')).split()))}</p>"
        f"<p>{companion}</p>" + "".join(f"<p>{p}</p>" for p in papers) + "</aside>"
    )


def _page_additions(app, pagename, templatename, context, doctree):
    citation = app.config._rmtlib_citation
    if citation and pagename.startswith("notebooks/") and "body" in context:
        context["body"] += cite_box(citation)


def _dedup_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        filename = getattr(script, "filename", str(script)) or None  # inline scripts: None or ""
        key = (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _read_citation(app):
    path = Path(app.srcdir) / "CITATION.cff"
    app.config._rmtlib_citation = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def setup(app):
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _dedup_scripts, priority=900)
    app.connect("html-page-context", _page_additions)
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _read_citation)
    app.add_css_file("reader.css")
    app.add_js_file("reader.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
