import json
import os
import re

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install 'unspin[serve]'")
httpx = pytest.importorskip("httpx")
sync_api = pytest.importorskip("playwright.sync_api", reason="the page tests need playwright (test extra)")

from .serving import EXAMPLE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
HOSTILE = ('<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
           '<svg onload="window.__pwned=3"></svg><a href="javascript:window.__pwned=4">x</a>\n'
           "<b onmouseover=\"window.__pwned=5\">The metropolis council</b> met.\n")

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    # Offline: any request that leaves the service fails the test.
    outside: list[str] = []
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
             else (outside.append(route.request.url), route.abort()))
    pg.goto(server.url + "/")
    yield pg
    assert not errors, errors
    assert not outside, outside
    ctx.close()


def restore(pg, text: str) -> None:
    pg.fill("#input", text)
    pg.focus("#input")
    pg.keyboard.press("Control+Enter")
    pg.wait_for_selector("#results:not([hidden])")
    sync_api.expect(pg.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=60_000)


def test_paste_see_highlights_open_alternatives_switch_views(page, server, artifacts):
    api = httpx.post(server.url + "/v1/restore", json={"text": EXAMPLE}, timeout=60).json()
    page.click("#input")
    restore(page, EXAMPLE)
    spun = page.locator("#doc-spun button.chg")
    assert spun.count() == len(api["changes"]) > 0
    assert [spun.nth(i).inner_text() for i in range(spun.count())] == [c["spun"] for c in api["changes"]]
    assert page.locator("#doc-restored").inner_text() == api["text"]
    assert page.locator("#score-value").inner_text() == f"{round(100 * api['spin_score'])} %"
    for i, c in enumerate(api["changes"]):  # colour by confidence
        want = "c-high" if c["confidence"] >= 0.9 else "c-mid" if c["confidence"] >= 0.7 else "c-low"
        assert want in spun.nth(i).get_attribute("class")

    # hover shows what the word most likely was
    k = next(i for i, c in enumerate(api["changes"]) if c["alternatives"])
    change = api["changes"][k]
    spun.nth(k).hover()
    page.wait_for_selector("#pop:not([hidden])")
    assert change["original"] in page.locator("#pop-title").inner_text()

    # keyboard: focus the change, Enter pins the popover with the alternatives and moves focus into it
    page.mouse.move(0, 0)
    spun.nth(k).focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#pop:not([hidden])")
    choices = page.locator("#pop-choices button")
    labels = [choices.nth(i).inner_text() for i in range(choices.count())]
    assert labels[0].startswith(change["original"])
    for alt in change["alternatives"]:
        assert any(label.startswith(alt) for label in labels)
    assert page.evaluate("document.activeElement.closest('#pop') !== null")
    assert spun.nth(k).get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(artifacts / "page.png"))
    page.keyboard.press("Escape")
    assert page.locator("#pop").is_hidden()
    assert page.evaluate("document.activeElement.dataset.i") == str(k)

    # click an alternative: the restored view uses it
    spun.nth(k).click()
    alt = change["alternatives"][0]
    page.locator("#pop-choices button", has_text=alt).first.click()
    assert page.locator(f'#doc-restored button.chg[data-i="{k}"]').inner_text() == alt

    # views
    page.click(".views label:has(input[value=diff])")
    assert page.locator("#doc-diff").is_visible() and page.locator("#doc-spun").is_hidden()
    assert page.locator("#doc-diff del").count() == len(api["changes"])
    page.click(".views label:has(input[value=restored])")
    assert page.locator("#doc-restored").is_visible() and page.locator("#doc-diff").is_hidden()
    page.click(".views label:has(input[value=spun])")
    assert page.locator("#doc-spun").is_visible() and page.locator("#doc-restored").is_hidden()
    page.click(".views label:has(input[value=both])")
    assert page.locator("#doc-spun").is_visible() and page.locator("#doc-restored").is_visible()

    # the JSON download is the service's answer
    with page.expect_download() as dl:
        page.click("#download")
    assert json.loads(open(dl.value.path(), encoding="utf-8").read()) == api


def test_hostile_markup_is_shown_not_run(page, artifacts):
    restore(page, HOSTILE + EXAMPLE)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    for doc in ("#doc-spun", "#doc-restored", "#doc-diff"):
        assert page.locator(f"{doc} img, {doc} script, {doc} svg, {doc} a").count() == 0
    assert "<script>window.__pwned=2</script>" in page.locator("#doc-spun").inner_text()
    assert page.locator("#doc-spun button.chg").count() >= 1
    page.locator("#doc-spun button.chg").first.click()
    assert page.evaluate("window.__pwned") is None
    page.screenshot(path=str(artifacts / "page-hostile.png"))


def test_astral_characters_keep_highlights_on_the_right_words(page):
    text = "🙂🙂 " + EXAMPLE.replace("council", "council 𝄞", 1)
    restore(page, text)
    spun = page.locator("#doc-spun button.chg")
    assert spun.count() > 0
    words = [spun.nth(i).inner_text() for i in range(spun.count())]
    assert "Metropolis" in words and all(w.strip() == w and w for w in words)


def test_html_file_is_reduced_to_its_article(page, tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>t</title></head><body><nav><a href='/'>Home</a> | <a href='/n'>News</a></nav>"
                 "<article>" + "".join(f"<p>{p}</p>" for p in EXAMPLE.split("\n\n")) + "</article>"
                 "<footer>Copyright 2024 Example Media. All rights reserved.</footer></body></html>",
                 encoding="utf-8")
    page.set_input_files("#file", str(f))
    page.wait_for_selector("#results:not([hidden])")
    sync_api.expect(page.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=60_000)
    doc = page.locator("#doc-spun").inner_text()
    assert "Metropolis council approves" in doc and "Copyright" not in doc and "<p>" not in doc
    assert page.locator("#doc-spun button.chg").count() > 0


def test_phone_width_has_no_sideways_scroll(browser, server, artifacts):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True)
    pg = ctx.new_page()
    pg.goto(server.url + "/")
    pg.click("#example")
    pg.wait_for_selector("#doc-spun button.chg")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    spun_box = pg.locator(".pane-spun").bounding_box()
    restored_box = pg.locator(".pane-restored").bounding_box()
    assert restored_box["y"] >= spun_box["y"] + spun_box["height"]  # stacked, not squeezed side by side
    pg.locator("#doc-spun button.chg").first.tap()
    pg.wait_for_selector("#pop:not([hidden])")
    box = pg.locator("#pop").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    pg.screenshot(path=str(artifacts / "page-phone.png"))
    ctx.close()


CONTRAST_JS = """
(sel) => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(sel)).filter((el) => el.offsetParent !== null).map((el) => {
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
    return [el.className || el.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}
"""


def test_text_contrast_is_readable(page):
    """Every kind of text on the page, highlights included, has at least WCAG AA contrast (4.5:1)."""
    restore(page, EXAMPLE)
    page.click(".views label:has(input[value=diff])")
    page.click(".views label:has(input[value=both])")
    ratios = page.evaluate(CONTRAST_JS, "button.chg, del, ins, .help, .hint, .status, .verdict, .counts, "
                                        ".legend li, .pane h3, .sub, label, button, .foot p, .top .tag, h1")
    kinds = {k for k, _ in ratios}
    assert any("c-high" in k for k in kinds) and any("primary" in k for k in kinds)
    low = [(k, round(r, 2)) for k, r in ratios if r < 4.5]
    assert not low, low
