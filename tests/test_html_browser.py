"""The HTML briefing pack opened in headless Chromium: the banners and the compliance matrix
are in the rendered page and visible in a screenshot (their colours are found in its pixels).

Skipped when Debian's ``chromium`` is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from briefing_data import load

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (apt-get install chromium)")

WIDTH, HEIGHT = 1200, 1600
CONFIDENTIAL_BLUE = bytes.fromhex("0b3d91")  # banner border and text, CONFIDENTIAL
FULL_GREEN = bytes.fromhex("d5efd5")  # matrix cell scored +1
NONE_RED = bytes.fromhex("f4cccc")  # matrix cell scored −1


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=90, check=True)


def _png_rows(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + size]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + size
    bpp = {2: 3, 6: 4}[colour]
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) \
                    & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def _rows_with(rows: list[bytes], bpp: int, colour: bytes) -> list[int]:
    """Rows holding at least one pixel of exactly ``colour``."""
    found = []
    for y, row in enumerate(rows):
        at = row.find(colour)
        while at != -1 and at % bpp:
            at = row.find(colour, at + 1)
        if at != -1:
            found.append(y)
    return found


@pytest.fixture
def pages(run, tmp_path, monkeypatch):
    load(run, tmp_path, monkeypatch)
    briefing = tmp_path / "briefing.html"
    run("export", "commitments", "--format", "html", "-o", briefing)
    digest = tmp_path / "digest.html"
    run("digest", "--format", "html", "--class-max", "RESTRICTED", "-o", digest)
    return briefing, digest


def test_briefing_pack_renders_with_banners_and_matrix(pages, tmp_path):
    briefing, digest = pages
    dom = _chromium(tmp_path, briefing, "--dump-dom").stdout
    assert '<div class="banner top CONFIDENTIAL" id="banner-top">CONFIDENTIAL</div>' in dom
    assert '<div class="banner bottom CONFIDENTIAL" id="banner-bottom">CONFIDENTIAL</div>' \
        in dom
    assert '<table class="matrix" id="matrix-D1">' in dom
    assert '<td class="score pos">+1</td><td class="score neg">\u22121</td>' in dom

    shot = tmp_path / "briefing.png"
    _chromium(tmp_path, briefing, f"--screenshot={shot}")
    width, height, bpp, rows = _png_rows(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    banner = _rows_with(rows, bpp, CONFIDENTIAL_BLUE)
    # the top banner in the first lines, the bottom one further down the page
    assert banner and banner[0] < 60 and banner[-1] > 400
    assert _rows_with(rows, bpp, FULL_GREEN) and _rows_with(rows, bpp, NONE_RED)

    dom = _chromium(tmp_path, digest, "--dump-dom").stdout
    assert '<div class="banner top RESTRICTED" id="banner-top">RESTRICTED</div>' in dom
    assert '<p class="withheld">[paragraph 2 withheld: CONFIDENTIAL]</p>' in dom
    assert "KILOSECRET" not in dom
