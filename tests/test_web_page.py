"""The web page end to end, in headless Chromium (Debian's `chromium`, driven by Playwright; nothing
is downloaded): search by text, open a patent, ask for CPC suggestions, at laptop and phone widths,
on a real sample graph of each engine. Screenshots go to the test's tmp folder; with
PATENTCL_WEB_SCREENSHOT=FILE the laptop one is also saved there (docs/web.png in the README)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import Graphs, load_sample_with_vectors

CHROMIUM = "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server_url(graphs: Graphs, minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from patentcl.search.web.app import create_app

    settings = graphs.new("page")
    load_sample_with_vectors(settings, minilm_path, tmp_path_factory.mktemp("page_tables"), patents=60, seed=5)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_search_open_a_patent_and_suggest_codes(
    server_url: str, browser, tmp_path: Path, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server_url)
    playwright_api.expect(page.locator("#status")).to_contain_text("patents with vectors")

    page.fill("#q", "a neural network trained on images to classify objects")
    page.click("#filters summary")
    page.fill("#k", "5")
    page.click("#search-go")
    results = page.locator("#results .result")
    playwright_api.expect(results).to_have_count(5)
    playwright_api.expect(page.locator("#results-title")).to_have_text("Nearest to the text")
    first = results.first
    assert first.locator("a[target=_blank]").get_attribute("href").startswith("https://patents.google.com/patent/")
    assert first.locator(".code").first.get_attribute("title")
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

    title = first.locator("a.open").inner_text()
    first.locator("a.open").click()
    playwright_api.expect(page.locator("#patent-title")).to_have_text(title)
    playwright_api.expect(page.locator("#patent-cpc li").first).to_contain_text(">")
    playwright_api.expect(page.locator("#neighbours li")).to_have_count(10)
    playwright_api.expect(page.locator("#graph canvas").first).to_be_attached()
    page.screenshot(path=str(tmp_path / "patent.png"), full_page=True)

    page.click("#patent-search")
    playwright_api.expect(page.locator("#results-title")).to_contain_text("Nearest to")
    page.click("#show-cypher")
    playwright_api.expect(page.locator("#cypher")).to_contain_text("similar_patents")

    page.fill("#suggest-text", page.locator("#patent-abstract").inner_text())
    page.select_option("#suggest-level", "subclass")
    page.click("#suggest-go")
    playwright_api.expect(page.locator("#suggest-note")).to_contain_text("threshold")
    playwright_api.expect(page.locator("#suggestions li").first).to_contain_text("neighbours")
    page.screenshot(path=str(tmp_path / "suggest.png"), full_page=True)
    assert not errors
    wanted = os.environ.get("PATENTCL_WEB_SCREENSHOT")
    if wanted and width > 1000:
        shutil.copyfile(tmp_path / "suggest.png", wanted)
    page.close()
