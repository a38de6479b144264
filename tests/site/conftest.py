"""Fixtures for the checks of the built site (run after `python -m rmtlib book --profile ci`).

The site checked is the ``ci`` build, ``_build/html-ci``, under the repository root, or
under ``$RMTLIB_SITE_ROOT`` when that is set (a project root holding ``_toc.yml`` and
``_build/``); ``RMTLIB_SITE_PROFILE=full`` checks the ``full`` book in ``_build/html``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from rmtlib.pipeline.site import site_dir, toc_entries

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(os.environ.get("RMTLIB_SITE_ROOT", REPOSITORY)).resolve()


@pytest.fixture(scope="session")
def site(project_root) -> Path:
    profile = os.environ.get("RMTLIB_SITE_PROFILE", "ci")
    html = site_dir(project_root, profile)
    if not (html / "index.html").is_file():
        pytest.fail(f"no built site at {html}: run `python -m rmtlib book --profile {profile}` first")
    return html


@pytest.fixture(scope="session")
def toc_pages(project_root) -> list[str]:
    """Every page of ``_toc.yml`` relative to the site root, e.g. ``notebooks/01_semicircle.html``."""
    toc = yaml.safe_load((project_root / "_toc.yml").read_text())
    return [f"{entry}.html" for entry in toc_entries(toc)]


@pytest.fixture(scope="session")
def chapter_pages(toc_pages) -> list[str]:
    """The chapter notebooks' pages."""
    return [page for page in toc_pages if page.startswith("notebooks/")]


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for all the browser checks (the Debian package, never downloaded)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()
