"""Sphinx extension: drop duplicate inline scripts from the page head.

With Sphinx 7.4, sphinx-thebe registers its inline configuration script
(``const THEBE_JS_URL = ...``) both with the registry and with the HTML builder,
and inline scripts are not de-duplicated, so every page declares the constant
twice (once with file name ``None``, once ``""``) and the browser logs a
SyntaxError. This keeps the first of identical scripts (same file or same
inline body, same attributes).
"""


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
    app.connect("html-page-context", _dedup_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
