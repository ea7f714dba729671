"""The real page in headless Chromium (the system's package, driven by Playwright):
upload a clip, render it with --method copy, and play the two videos in sync."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.io.io_clips import make_clip

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no system Chromium (apt-get install chromium) to drive the page"
)
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
uvicorn = pytest.importorskip("uvicorn", reason="the studio extra is not installed")


@pytest.fixture
def server(tmp_path: Path):
    """The studio under uvicorn on a free loopback port, in a thread; yields its URL."""
    from vstyle.studio import Settings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(jobs_dir=tmp_path / "jobs", port=port))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not serving.started:
        assert time.monotonic() < end and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    serving.should_exit = True
    thread.join(20)


def clocks(page) -> tuple[float, float, bool, bool]:
    return tuple(
        page.evaluate(
            "[studio.original.currentTime, studio.result.currentTime,"
            " studio.original.paused, studio.result.paused]"
        )
    )


def test_copy_job_in_the_page_reaches_100_and_plays_in_sync(
    server: str, tmp_path: Path, write_png, style_rgb
) -> None:
    # Predicates are functions: an expression string is eval'd, which the page's CSP forbids.
    clip = make_clip(tmp_path / "clip.mp4", frames=45, size=(64, 48))
    style = write_png("style.png", style_rgb)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(  # CSP refusals and failed loads are console errors
                "console", lambda m: errors.append(m.text) if m.type == "error" else None
            )
            page.goto(server)
            page.wait_for_selector("#method option[value=copy]", state="attached")
            page.set_input_files("#style-file", str(style))
            page.set_input_files("#input-file", str(clip))
            page.select_option("#method", "copy")
            page.fill("#max-side", "64")
            page.click("#start")
            page.wait_for_selector("#live-text[data-progress='1']", timeout=60_000)
            assert page.locator("#jobs li[data-state=done]").count() == 1
            assert "100%" in page.inner_text("#jobs li")
            assert "/preview?v=" in page.get_attribute("#preview", "src")  # a finished frame
            page.wait_for_function("() => document.getElementById('preview').naturalWidth === 64")
            page.wait_for_selector("#compare:not([hidden])")
            page.wait_for_function(
                "() => studio.original.readyState >= 2 && studio.result.readyState >= 2",
                timeout=20_000,
            )
            sizes = page.evaluate(
                "[studio.original.videoWidth, studio.result.videoWidth, studio.original.duration,"
                " studio.result.duration]"
            )
            assert sizes[0] == sizes[1] == 64 and abs(sizes[2] - sizes[3]) < 0.05, sizes

            page.click("#play")
            page.wait_for_function("() => studio.original.currentTime > 0.3", timeout=10_000)
            original, result, original_paused, result_paused = clocks(page)
            assert not original_paused and not result_paused
            assert abs(original - result) < 0.15, (original, result)

            page.click("#play")  # pause
            page.wait_for_function("() => studio.original.paused && studio.result.paused")
            page.evaluate(
                "document.getElementById('seek').value = 500;"
                "document.getElementById('seek').dispatchEvent(new Event('input'))"
            )
            page.wait_for_function(
                "() => Math.abs(studio.original.currentTime - studio.original.duration / 2) < 0.1"
                " && Math.abs(studio.result.currentTime - studio.original.currentTime) < 0.05"
            )
            page.check("#wipe-mode")
            page.fill("#wipe", "30")
            page.dispatch_event("#wipe", "input")
            assert "wipe" in page.get_attribute("#stage", "class")
            page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
            assert (tmp_path / "studio.png").stat().st_size > 1000
            assert errors == []
        finally:
            browser.close()
