"""Each reader check of ``reader_checks.py`` is fed a small page showing its defect and must
fail on it (and pass on the same page without the defect): a check that cannot fail checks
nothing. No built site is needed."""

from __future__ import annotations

import base64
import io

import pytest
from reader_checks import (
    BROKEN_TOKENS_JS,
    CLEAN_TEXT_JS,
    FIGURES_JS,
    PAGE_BUDGET,
    RAW_SYNTAX,
    desktop_menu_problems,
    illegible_figures,
    missing_chapters,
    overweight_pages,
    phone_navigation_problems,
    uncompressed_player_frames,
)


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/*", lambda route: route.abort())  # the pages here load nothing
    yield page
    context.close()


def _show(page, body: str, width: int = 1280):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(f"<html><body><article>{body}</article></body></html>")


@pytest.mark.parametrize(
    "defect",
    [
        "this is Marchenko–Pastur $",
        r"a stray \(x",
        "the {cite}`loubaton2011` text",
        "see {doc}`conventions`",
        "{glue:text}`t6_x`",
        "a ``literal``",
    ],
)
def test_clean_text_check_finds_leftover_syntax(page, defect):
    _show(page, f"<p>{defect}</p><pre>$ code may show $ and {{cite}}</pre>")
    assert page.evaluate(CLEAN_TEXT_JS, list(RAW_SYNTAX))
    _show(page, "<p>clean prose</p><pre>$ code may show $ and {cite}</pre>")
    assert page.evaluate(CLEAN_TEXT_JS, list(RAW_SYNTAX)) == []


def test_clean_text_check_finds_a_mathjax_error(page):
    _show(
        page,
        '<p><mjx-container><mjx-merror data-mjx-error="Missing close brace">x</mjx-merror>'
        "</mjx-container></p>",
    )
    assert any(
        "MathJax error: Missing close brace" in f for f in page.evaluate(CLEAN_TEXT_JS, list(RAW_SYNTAX))
    )


def test_broken_token_check_finds_numbers_stacked_in_a_narrow_cell(page):
    cell = '<table><tr><th style="width:1px;overflow-wrap:anywhere">2500</th><td>bulk_width</td></tr></table>'
    _show(page, cell)
    found = page.evaluate(BROKEN_TOKENS_JS)
    assert found and found[0].startswith('th: "2500" over')
    # the same cell without the blanket break rule: nothing found; a hyphenated word may wrap
    _show(
        page,
        '<table><tr><th style="width:1px">2500</th><td style="width:1px">Tracy–Widom law</td></tr></table>',
    )
    assert page.evaluate(BROKEN_TOKENS_JS) == []


def _png(width_in: float, dpi: int = 110) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rmtlib.plotting import use_house_style

    use_house_style()
    fig, ax = plt.subplots(figsize=(width_in, 2))
    ax.plot([0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=None)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_legibility_check_finds_a_shrunk_figure(page, tmp_path):
    wide, narrow = _png(16), _png(8)
    _show(page, f'<div class="cell_output"><img src="{wide}" style="width:752px"></div>')
    figures = page.evaluate(FIGURES_JS)
    (problem,) = illegible_figures(figures, tmp_path, "", phone=False)
    # 9.5 pt at 110 dpi is 14.5 px; the 16 in figure (about 12.7 in once cropped) is shown at 752 px
    assert float(problem.split("text at ")[1].split(" px")[0]) < 8
    _show(page, f'<div class="cell_output"><img src="{narrow}" style="width:752px"></div>')
    assert illegible_figures(page.evaluate(FIGURES_JS), tmp_path, "", phone=False) == []
    # on a phone a shrunk figure passes only when it links to its full-size image
    _show(page, f'<div class="cell_output"><img src="{narrow}" style="width:370px"></div>', width=400)
    assert illegible_figures(page.evaluate(FIGURES_JS), tmp_path, "", phone=True)
    _show(
        page,
        f'<div class="cell_output"><a href="{narrow}"><img src="{narrow}" style="width:370px"></a></div>',
        400,
    )
    assert illegible_figures(page.evaluate(FIGURES_JS), tmp_path, "", phone=True) == []


MENU = """<div class="bd-header-article"><button class="primary-toggle">menu</button>
<button class="secondary-toggle">contents</button></div>
<div id="pst-primary-sidebar" class="bd-sidebar-primary" style="width:200px">
<a class="reference internal" href="#two">Two</a></div><p id="two">text</p>
<dialog id="m"><a class="reference internal" href="#chapter">Chapter</a></dialog>
<dialog id="t"><nav class="page-toc"><a href="#s">Section</a></nav></dialog>"""


def test_navigation_check_finds_buttons_that_do_nothing(page):
    _show(page, MENU, width=400)
    problems = phone_navigation_problems(page)
    assert "the menu button shows no chapter list" in problems
    assert "the contents button shows none of the page's sections" in problems
    _show(
        page,
        MENU.replace('class="primary-toggle"', 'class="primary-toggle" onclick="m.show()"')
        .replace('class="secondary-toggle"', 'class="secondary-toggle" onclick="t.show()"')
        .replace('href="#chapter"', 'href="data:text/html,chapter"'),
        width=400,
    )
    page.route("data:*", lambda route: route.continue_())
    assert phone_navigation_problems(page) in (
        [],
        ["clicking data:text/html,chapter in the chapter list did not navigate"],
    )


def test_desktop_menu_check_finds_a_button_that_does_not_collapse_the_sidebar(page):
    _show(page, MENU)
    assert desktop_menu_problems(page) == ["the menu button does not collapse the sidebar"]
    _show(
        page,
        MENU.replace(
            'class="primary-toggle"',
            'class="primary-toggle" onclick="document.querySelector(\'#pst-primary-sidebar\').hidden ^= 1"',
        ),
    )
    assert desktop_menu_problems(page) == []


def test_page_weight_check_finds_a_heavy_page_and_png_frames(tmp_path):
    (tmp_path / "light.html").write_text("<html>" + "x" * 1000 + "</html>")
    assert overweight_pages(tmp_path) == []
    (tmp_path / "heavy.html").write_text("x" * (PAGE_BUDGET + 1))
    assert overweight_pages(tmp_path) == ["heavy.html: 1.50 MB"]
    assert uncompressed_player_frames('frames[0] = "data:image/png;base64,AAAA";') == 1
    assert uncompressed_player_frames('frames[0] = "data:image/webp;base64,AAAA";') == 0


def test_chapter_list_check_finds_a_forgotten_chapter(tmp_path):
    (tmp_path / "book").mkdir()
    links = '<a href="../notebooks/01_a.html">T1</a> <a href="../notebooks/08_b.html">T8</a>'
    sidebar = '<nav><a href="../notebooks/08_b.html">T8</a></nav>'  # every page's sidebar links every chapter
    listing = '<section id="what-each-chapter-shows">{}</section>'
    (tmp_path / "book" / "intro.html").write_text(sidebar + listing.format(links))
    (tmp_path / "book" / "status.html").write_text(links)
    (tmp_path / "book" / "conventions.html").write_text("<td><p>T1 law</p></td><td><p>T8 law</p></td>")
    chapters = ["notebooks/01_a.html", "notebooks/08_b.html"]
    assert missing_chapters(tmp_path, chapters) == []
    (tmp_path / "book" / "conventions.html").write_text("<td><p>T1 law</p></td>")
    (tmp_path / "book" / "intro.html").write_text(sidebar + listing.format(links.split(" <a")[0]))
    assert missing_chapters(tmp_path, chapters) == [
        "the introduction's list of chapters misses 08_b.html",
        "the conventions' table of statements misses T8",
    ]
