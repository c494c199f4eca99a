"""The app's icons, from one drawing: `.venv/bin/python bench/icons.py` (or `make icons`).

Writes static/icons/: icon.svg (the favicon and the manifest's scalable
icon), icon-192.png and icon-512.png (rounded corners, transparent outside),
icon-maskable-512.png (full-bleed, its pegs inside the maskable safe circle
of 40% radius) and apple-touch-icon.png (180 px, full-bleed: iOS rounds the
corners itself). Four pegs of the game's palette (games/boards.PALETTE) on
the board's dark colour (the stylesheet's --fg). The PNGs are screenshots of
the SVG in Debian's Chromium (the browser tests' /usr/bin/chromium), so no
image library is needed; the manifest and its test read them from there.
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "icons"
CHROMIUM = "/usr/bin/chromium"
BOARD = "#1b1d24"  # app.css --fg: the board's dark colour
PEGS = ["#E69F00", "#56B4E9", "#009E73", "#F0E442"]  # games.boards.PALETTE's first four
CENTRES = [(176, 176), (336, 176), (176, 336), (336, 336)]
# Every peg lies within 191 of the centre: inside the maskable safe circle (0.4 × 512 = 204.8).
RADIUS = 78


def icon_svg(*, full_bleed: bool) -> str:
    corner = 0 if full_bleed else 96
    pegs = "".join(
        f'<circle cx="{x}" cy="{y}" r="{RADIUS}" fill="{colour}" stroke="#000" stroke-opacity=".35" stroke-width="8"/>'
        f'<ellipse cx="{x - 24}" cy="{y - 28}" rx="26" ry="18" fill="#fff" fill-opacity=".45"/>'
        for (x, y), colour in zip(CENTRES, PEGS, strict=True)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
        "<title>Mastermind Online</title>"
        f'<rect width="512" height="512" rx="{corner}" fill="{BOARD}"/>'
        f"{pegs}</svg>\n"
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(icon_svg(full_bleed=False))
    pngs = [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(device_scale_factor=1)
        for name, size, full_bleed in pngs:
            page.set_viewport_size({"width": size, "height": size})
            svg = icon_svg(full_bleed=full_bleed).replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
            page.set_content(f"<!doctype html><body style='margin:0;background:transparent'>{svg}</body>")
            page.screenshot(
                path=str(OUT / name),
                omit_background=True,
                clip={"x": 0, "y": 0, "width": size, "height": size},
            )
            print(f"{OUT / name} ({size}×{size})")
        browser.close()


if __name__ == "__main__":
    main()
