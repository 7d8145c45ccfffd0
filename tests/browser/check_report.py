"""The report page in a real browser: headless Chromium loads build/arabidopsis.html with no console error
and no request for anything outside the page, and a screenshot (kept as build/arabidopsis.png for a person
to look at) shows every figure drawn: pixels other than the background (white) in at least 1% of each figure's box (a blank one has 0.4%; the report's least drawn figure 4.3%).

How: the page's layout (each figure's box, the page's size) and any error come from a copy of the page with
a probe script added (--dump-dom prints the DOM once the page has run, with the probe's findings in an
attribute); the screenshot is of the page itself, at the page's full height.  Python's standard library
only (the PNG is read with zlib).
Usage: python3 tests/browser/check_report.py build/arabidopsis.html [chromium]"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

PROBE_HEAD = """<script>
window.__errors = [];
addEventListener('error', function (e) { __errors.push('error: ' + (e.message || e.target.outerHTML || e)); }, true);
(function () { var ce = console.error; console.error = function () {
  __errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
</script>"""
PROBE_TAIL = """<script>
(function () {
  var figs = Array.prototype.map.call(document.querySelectorAll('figure.figure svg'), function (s) {
    var r = s.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; });
  document.body.setAttribute('data-probe', JSON.stringify({errors: __errors, figures: figs,
    resources: performance.getEntriesByType('resource').map(function (e) { return e.name; }).concat(
      Array.prototype.map.call(document.querySelectorAll('[src], [href]'), function (e) { return e.outerHTML; })),
    width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight}));
})();
</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
         "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0"]
WIDTH = 1000


def run(chromium, args, profile):
    return subprocess.run([chromium] + FLAGS + ["--user-data-dir=" + profile] + args, capture_output=True, text=True,
                          timeout=300)


def png_pixels(path):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit RGB or RGBA PNG without interlace."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "PNG of depth %d, type %d" % (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def main():
    page = os.path.abspath(sys.argv[1])
    chromium = sys.argv[2] if len(sys.argv) > 2 else shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("FAIL: no chromium (make test installs Debian's chromium package)")
        return 1
    failed = []
    profile = tempfile.mkdtemp(prefix="lmm-chromium-")
    try:
        html = open(page, encoding="utf-8").read()
        probe = os.path.join(os.path.dirname(page), "arabidopsis.probe.html")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(html.replace("<head>", "<head>\n" + PROBE_HEAD, 1).replace("</body>", PROBE_TAIL + "\n</body>", 1))
        dom = run(chromium, ["--dump-dom", "file://" + probe], profile)
        os.remove(probe)
        start = dom.stdout.find("data-probe=\"")
        if start < 0:
            print("FAIL: the probe did not run: %s" % dom.stderr[-2000:])
            return 1
        attr = dom.stdout[start + 12:dom.stdout.index("\"", start + 12)]
        info = json.loads(attr.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        if info["errors"]:
            failed.append("errors in the page: %r" % info["errors"])
        if info["resources"]:
            failed.append("the page requests resources outside itself: %r" % info["resources"])
        shot = os.path.join(os.path.dirname(page), "arabidopsis.png")
        height = int(info["height"]) + 10
        out = run(chromium, ["--screenshot=" + shot, "--window-size=%d,%d" % (WIDTH, height), "file://" + page], profile)
        console = [l for l in out.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
        if console:
            failed.append("console messages: %r" % console[:5])
        w, h, rows, bpp = png_pixels(shot)
        figures = info["figures"]
        if len(figures) != html.count("<figure class=\"figure\">"):
            failed.append("%d figure boxes laid out, %d in the page" % (len(figures), html.count("<figure class=\"figure\">")))
        shares = []
        for k, (x, y, fw, fh) in enumerate(figures):
            x0, y0, x1, y1 = int(x) + 4, int(y) + 4, min(int(x + fw) - 4, w), min(int(y + fh) - 4, h)
            if fw < 50 or fh < 50 or x1 <= x0 or y1 <= y0:
                failed.append("figure %d: its box %r is not on the screenshot (%d x %d)" % (k + 1, (x, y, fw, fh), w, h))
                continue
            drawn = sum(1 for yy in range(y0, y1) for xx in range(x0, x1)
                        if rows[yy][xx * bpp:xx * bpp + 3] != b"\xff\xff\xff")
            share = drawn / float((x1 - x0) * (y1 - y0))
            shares.append(share)
            if share < 0.01:
                failed.append("figure %d: %.2f%% of its box drawn" % (k + 1, 100 * share))
        print("%s: %d figures, screenshot %s (%d x %d); the least drawn box %.1f%% drawn" % (
            page, len(figures), shot, w, h, 100 * min(shares or [0])))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    print("report in the browser: %s" % ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
