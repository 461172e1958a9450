#!/bin/sh
# test_report.sh — `likeness report` rendered by a real browser: Debian's
# Chromium (installed by scripts/setup.sh), headless, on the page written
# from a findings store of the demo media, a copy whose file name is markup
# (<img src=x onerror=…>), a copy signed by c2pa_craft whose C2PA title is
# markup, and a performer whose name is markup.  Checks the DOM after the
# page's script ran: a card per finding, the filters (from the #fragment)
# change what is shown, every hostile text is text (no element made of
# it); and takes a screenshot.
# Usage: test_report.sh PATH/TO/likeness PATH/TO/c2pa_craft.  Prints TAP.
set -u
LK=$1
CRAFT=$2
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/report.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3

BROWSER=$(command -v chromium || true)
check "report --help" 0 "$LK" report --help
has "report --help: usage" "$T/out" "usage: likeness report"
check "report without --out" 2 "$LK" report --record "$T/none.db"
M="$T/media"
if ! $PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    ko "demo media generated"
    finish
fi
. "$M/media.env"
$PY "$ROOT/examples/demo/make_video.py" "$M" "$M/scan/interview.mp4" >/dev/null 2>&1 ||
    ko "demo video made"
PHOTO=${PROBE_A%% *}
S="$T/scan"
mkdir -p "$S"
cp "$PHOTO" "$S/<img src=x onerror=alert(1)>.jpg"
exiftool -q -overwrite_original "-XMP-dc:Title=copy" "$S/<img src=x onerror=alert(1)>.jpg"
check "sign a copy with a title of markup" 0 "$CRAFT" --title '<b id="evil">bold</b><script>document.title="pwned"</script>' --input "$PHOTO" "$S/signed.jpg"
cp -r "$M/scan/interview.mp4" "$M/scan/small_grey.png" "$S/"
G="$T/g"
check "enroll, a name of markup" 0 "$LK" enroll --gallery "$G" --performer collins --name '<i id="evil2">Eileen</i>' $ENROL_A
C="$T/cases.db"
check "scan --record" 1 "$LK" scan --gallery "$G" --quiet --record "$C" "$S"
check "findings" 0 "$LK" findings list --record "$C" --json
n=$(wc -l <"$T/out")
alerts=$(grep -c '"action":"alert"' "$T/out")
check "report" 0 "$LK" report --record "$C" --out "$T/report"
R="$T/report/index.html"
has "the page written" "$T/out" "index.html: $n findings"
[ "$(stat -c %a "$R")" = 600 ] && ok "the page is private (0600)" || ko "the page is private ($(stat -c %a "$R"))"
# Nothing the page needs comes from outside it.
if grep -Eq '(src|href)="[^"#d]|(src|href)="d[^a]' "$R"; then ko "self-contained (no src/href but data:)"; else ok "self-contained (no src/href but data:)"; fi
if [ -z "$BROWSER" ]; then
    ko "chromium (installed by scripts/setup.sh) is missing"
    finish
fi
dom() { # dom FRAGMENT OUT: the DOM after the script ran
    timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$T/profile" --virtual-time-budget=2000 \
        --dump-dom "file://$R$1" >"$2" 2>"$T/browser.err"
}
dom "" "$T/dom.html" && ok "chromium renders the page" || { ko "chromium renders the page"; sed 's/^/#   | /' "$T/browser.err" | tail -5; }
dom "#action=alert" "$T/dom_alert.html" || ko "chromium renders the filtered page"
$PY - "$T/dom.html" "$T/dom_alert.html" "$n" "$alerts" <<'PYEOF' >"$T/py" 2>&1 && ok "DOM: a card per finding, the filter shows the alerts only, hostile text stays text" || { ko "DOM: a card per finding, the filter shows the alerts only, hostile text stays text"; sed 's/^/#   | /' "$T/py"; }
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__()
        s.cards = []; s.ids = set(); s.tags = []; s.text = []; s.title = ""
        s.imgs = []
        s._t = False
    def handle_starttag(s, tag, a):
        a = dict(a); s.tags.append(tag)
        if "id" in a: s.ids.add(a["id"])
        if tag == "img": s.imgs.append(a)
        if tag == "div" and "card" in (a.get("class") or "").split():
            s.cards.append((a.get("data-action"), a.get("style") or ""))
        if tag == "title" and not s.title: s._t = True
    def handle_endtag(s, tag):
        if tag == "title": s._t = False
    def handle_data(s, d):
        s.text.append(d)
        if s._t: s.title += d
def parse(p):
    x = P(); x.feed(open(p, encoding="utf-8").read()); return x
full, alert = parse(sys.argv[1]), parse(sys.argv[2])
n, alerts = int(sys.argv[3]), int(sys.argv[4])
assert len(full.cards) == n, (len(full.cards), n)
assert all("none" not in st for _, st in full.cards), full.cards
shown = [a for a, st in alert.cards if "none" not in st]
assert len(shown) == alerts and set(shown) <= {"alert"}, (shown, alerts)
text = "".join(full.text)
assert "<img src=x onerror=alert(1)>.jpg" in text, "file name not shown as text"
assert '<b id="evil">bold</b>' in text, "C2PA title not shown as text"
assert '<i id="evil2">Eileen</i>' in text, "performer name not shown as text"
assert "i" not in full.tags, full.tags
# the pictures kept: data: URIs only, nothing else an <img> could run
assert len(full.imgs) >= 2, len(full.imgs)
for im in full.imgs:
    assert set(im) == {"class", "alt", "src"}, im
    assert im["src"].startswith("data:image/jpeg;base64,"), im["src"][:40]
assert "evil" not in full.ids and "evil2" not in full.ids
assert full.title == "Likeness findings", full.title
assert full.tags.count("script") == 1
PYEOF
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$T/profile" --window-size=1200,1600 \
    --screenshot="$T/report.png" "file://$R" >/dev/null 2>"$T/browser.err"
sz=$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)
[ "$sz" -gt 20000 ] && ok "a screenshot ($sz bytes)" || ko "a screenshot ($sz bytes)"
if [ -n "${LK_REPORT_SCREENSHOT:-}" ]; then cp "$T/report.png" "$LK_REPORT_SCREENSHOT"; fi
finish
