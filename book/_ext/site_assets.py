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
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"


def _add_static(app):
    app.config.html_static_path.append(str(STATIC))


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


def setup(app):
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _dedup_scripts, priority=900)
    app.connect("builder-inited", _add_static)
    app.add_css_file("reader.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
