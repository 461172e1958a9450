#!/bin/sh
# test_consent.sh — licences and refusals through the real `likeness`
# binary: every licence status and action on crafted content, in text and
# in JSON; the consent and policy commands, their errors (each naming the
# field, nothing written), export and import, and erasure.
# Usage: test_consent.sh PATH/TO/likeness PATH/TO/c2pa_craft
# Media: the demo's photos (examples/demo/make_media.py) signed by
# c2pa_craft with a test "licensee" key and another key, copies labelled
# AI by exiftool, and flite speech.  Prints TAP.
set -u
LK=$1
CRAFT=$2
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/consent.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3

for c in add amend list show revoke export import; do
    check "consent $c --help" 0 "$LK" consent "$c" --help
    has "consent $c --help: usage" "$T/out" "usage: likeness consent $c"
done
check "policy --help" 0 "$LK" policy --help
check "consent without a subcommand" 2 "$LK" consent
check "consent: unknown subcommand" 2 "$LK" consent frobnicate
has "unknown subcommand named" "$T/err" "frobnicate"

M="$T/media"
if ! $PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    ko "demo media generated"
    finish
fi
. "$M/media.env"
G="$T/g"
check "enroll perf-a" 0 "$LK" enroll --gallery "$G" --performer perf-a $ENROL_A
PHOTO=${PROBE_A%% *}           # a JPEG of perf-a alone

# ---- the crafted set ------------------------------------------------------------
C="$T/c"
mkdir -p "$C"
check "sign with the licensee's key" 0 "$CRAFT" --signer "$T/licensee.pem" --input "$PHOTO" "$C/signed_licensee.jpg"
check "sign with another key" 0 "$CRAFT" --signer "$T/other.pem" --input "$PHOTO" "$C/signed_other.jpg"
check "inspect a signed file" 1 "$LK" inspect "$C/signed_licensee.jpg"
has "inspect shows the signer's key" "$T/out" "signer key sha256: [0-9a-f]\{64\}"
cp "$PHOTO" "$C/deliverable.jpg"
cp "$PHOTO" "$C/ai.jpg"
cp "$PHOTO" "$C/plain.jpg"
IPTC=http://cv.iptc.org/newscodes/digitalsourcetype
exiftool -q -overwrite_original "-XMP-iptcExt:DigitalSourceType=$IPTC/trainedAlgorithmicMedia" "$C/ai.jpg"
exiftool -q -overwrite_original "-XMP-dc:Title=an ordinary photo" "$C/plain.jpg"

add() { # add NAME ARGS... : the record id into $ID
    n=$1
    shift
    check "consent add: $n" 0 "$LK" consent add --gallery "$G" --performer perf-a "$@"
    ID=$(cat "$T/out")
}
add "by signer" --use digital-double --modality face --licensee "Acme Films" \
    --licensee-cert "$T/licensee.pem" --territory GB --from 2026-01-01 --to 2027-06-30 \
    --project "The Film" --project-id isrc:GB-ABC-26-00001 --ref INV-77 \
    --description "Confidential-Qz8 use of her likeness"
L_SIGNER=$ID
"$LK" inspect --json "$C/signed_licensee.jpg" >"$T/inspect.json"
"$LK" consent show --gallery "$G" --json "$L_SIGNER" >"$T/signer.json"
$PY - "$T/inspect.json" "$T/signer.json" <<'EOF' && ok "the certificate's key is the signer's" || ko "the certificate's key is the signer's"
import json, sys
p = json.load(open(sys.argv[1]))
rec = json.load(open(sys.argv[2]))
keys = [m["signer_key"] for m in p["manifests"] if m["active"]]
assert keys and keys == rec["licensee"]["key_sha256"], (keys, rec)
EOF
add "by asset hash" --use dubbing --modality face --licensee "Beta Studio" --asset "$C/deliverable.jpg" --from 2026-01-01
L_ASSET=$ID
add "by context" --use digital-double --modality face --licensee Gamma --channel yt:gamma --territory GB --from 2026-01-01
add "to revoke" --use digital-double --modality face --licensee Delta --channel yt:delta --from 2026-01-01
L_REVOKE=$ID
add "expired" --use digital-double --modality face --licensee Eps --channel yt:eps --from 2020-01-01 --to 2021-01-01
add "wrong use" --use dubbing --modality face --licensee Zeta --channel yt:zeta --from 2026-01-01
add "wrong modality" --use digital-double --modality voice --licensee Eta --channel yt:eta --from 2026-01-01
check "revoke" 0 "$LK" consent revoke --gallery "$G" --reason "breach of terms" "$L_REVOKE"
check "policy: never ai-training" 0 "$LK" policy --gallery "$G" --performer perf-a --never ai-training
has "policy says" "$T/out" "perf-a never allows: ai-training"

# scan NAME STATUS ACTION BASIS CONTEXT FILE: JSON and text agree
scan() {
    name=$1 st=$2 act=$3 basis=$4 ctx=$5 file=$6
    set -- scan --gallery "$G" --quiet
    [ -n "$ctx" ] && set -- "$@" --context "$ctx"
    check "$name: scan --json" 1 "$LK" "$@" --json "$file"
    if $PY - "$T/out" "$st" "$act" "$basis" >"$T/py" 2>&1 <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).read())
st, act, basis = sys.argv[2:5]
m = [f for f in r["findings"] if f["decision"] == "match"]
assert len(m) == 1 and m[0]["performer"] == "perf-a", m
f = m[0]
lic = f["licence"]
assert lic["status"] == st and f["action"] == act, (lic, f["action"])
assert lic["basis"] == ([basis] if basis else []), lic
assert isinstance(lic["reason"], str) and lic["reason"], lic
assert (lic["record"] is None) == (st in ("unlicensed", "refused")), lic
EOF
    then ok "$name: JSON $st/$act"; else ko "$name: JSON $st/$act"; sed 's/^/#   | /' "$T/py" "$T/out" | head -20; fi
    check "$name: scan" 1 "$LK" "$@" "$file"
    has "$name: text ends with the action" "$T/out" "licence $st (.*); action $act\$"
}
scan "licensed by signer" licensed licensed c2pa-signer territory=GB "$C/signed_licensee.jpg"
has "the reason names the licensee and the licence" "$T/out" "signed by Acme Films, licence $L_SIGNER covers digital-double in GB until 2027-06-30"
scan "signed by another key" unlicensed alert "" territory=GB "$C/signed_other.jpg"
scan "licensed by asset hash" licensed licensed asset-hash "" "$C/deliverable.jpg"
has "asset reason" "$T/out" "a registered deliverable of Beta Studio, licence $L_ASSET"
scan "licensed by context" licensed licensed context channel=yt:gamma,territory=GB "$C/ai.jpg"
scan "unlicensed, no AI evidence" unlicensed review "" "" "$C/plain.jpg"
scan "unlicensed, AI evidence" unlicensed alert "" channel=yt:nobody "$C/ai.jpg"
scan "refused" refused alert "" channel=yt:gamma,use=ai-training "$C/ai.jpg"
has "refusal reason" "$T/out" "perf-a refuses ai-training"
scan "revoked" revoked alert context channel=yt:delta "$C/ai.jpg"
scan "expired" expired alert context channel=yt:eps "$C/ai.jpg"
has "expiry reason" "$T/out" "expired on 2021-01-01"
scan "out of scope: use" out-of-scope alert context channel=yt:zeta "$C/ai.jpg"
has "use reason" "$T/out" "covers dubbing, not digital-double"
scan "out of scope: modality" out-of-scope alert context channel=yt:eta "$C/ai.jpg"
has "modality reason" "$T/out" "covers voice, not face"
scan "out of scope: territory" out-of-scope alert context channel=yt:gamma,territory=US "$C/ai.jpg"
has "territory reason" "$T/out" "covers GB, not US"
check "a bad context territory" 2 "$LK" scan --gallery "$G" --context territory=XX "$C/ai.jpg"
has "bad context territory named" "$T/err" "XX"
check "a bad context key" 2 "$LK" scan --gallery "$G" --context colour=red "$C/ai.jpg"
has "bad context key named" "$T/err" "colour"

# A voice clone: flite speech is synthetic (models/spoof/README.md).
if command -v flite >/dev/null 2>&1; then
    flite -voice slt -t "The quick brown fox jumps over the lazy dog while the band plays on the stage tonight." -o "$T/slt_1.wav"
    flite -voice slt -t "Performers deserve to know where their faces and voices are used, and to be paid for it." -o "$T/slt_2.wav"
    flite -voice slt -t "Nobody expected the storm to arrive so early, but the crew kept filming until dark." -o "$T/clone.wav"
    flite -voice slt -t "In the morning the rehearsal starts at nine, and every actor must know the lines by heart." -o "$T/clone2.wav"
    check "enroll a voice" 0 "$LK" enroll --gallery "$G" --performer perf-a "$T/slt_1.wav" "$T/slt_2.wav"
    check "consent add: a voice clone by asset" 0 "$LK" consent add --gallery "$G" --performer perf-a --use voice-clone --modality voice --licensee "Voice Co" --asset "$T/clone.wav" --from 2026-01-01
    scan "voice clone licensed" licensed licensed asset-hash "" "$T/clone.wav"
    has "the voice clone is the use" "$T/out" "covers voice-clone"
    scan "voice clone unlicensed" unlicensed alert "" "" "$T/clone2.wav"
    has "AI evidence named" "$T/out" "AI evidence: voice-clone"
else
    ko "flite (installed by scripts/setup.sh) is missing"
fi

# ---- the records: list, show, amend, errors ---------------------------------------
check "consent list" 0 "$LK" consent list --gallery "$G"
has "list shows the signer's licence" "$T/out" "Acme Films"
check "consent list --json" 0 "$LK" consent list --gallery "$G" --json
n=$(wc -l <"$T/out")
[ "$n" -ge 8 ] && ok "a JSON line per record ($n)" || ko "a JSON line per record ($n)"
check "consent show" 0 "$LK" consent show --gallery "$G" "$L_REVOKE"
has "show: revoked" "$T/out" '"status": "revoked"'
has "show: the reason" "$T/out" "breach of terms"
check "consent show version 1" 0 "$LK" consent show --gallery "$G" --version 1 --json "$L_REVOKE"
has "version 1 was active" "$T/out" '"status":"active"'
has "version 1 is superseded" "$T/out" '"superseded":true'
check "consent amend" 0 "$LK" consent amend --gallery "$G" --to 2028-12-31 "$L_SIGNER"
has "amend: version 2" "$T/out" "$L_SIGNER version 2"
check "the amendment kept the rest" 0 "$LK" consent show --gallery "$G" --json "$L_SIGNER"
has "amended term" "$T/out" '"to":"2028-12-31"'
has "kept licensee" "$T/out" '"name":"Acme Films"'
$LK consent list --gallery "$G" --json >"$T/before"
bad() { # bad NAME FIELD ARGS...
    name=$1 field=$2
    shift 2
    check "refused: $name" 2 "$LK" consent add --gallery "$G" "$@"
    has "refused: $name names $field" "$T/err" "$field"
}
bad "an unknown use" '"uses"' --performer perf-a --use voice-clonee --modality face --licensee X --from 2026-01-01
bad "a malformed date" '"from"' --performer perf-a --use dubbing --modality face --licensee X --from 2026-02-30
bad "an unknown country" '"territories\[0\]"' --performer perf-a --use dubbing --modality face --licensee X --territory ZZ --from 2026-01-01
bad "a term that ends before it starts" "ends (2025-01-01) before it starts" --performer perf-a --use dubbing --modality face --licensee X --from 2026-01-01 --to 2025-01-01
bad "an unknown performer" '"nobody"' --performer nobody --use dubbing --modality face --licensee X --from 2026-01-01
bad "a certificate that does not parse" "licensee-cert" --performer perf-a --use dubbing --modality face --licensee X --licensee-cert "$C/plain.jpg" --from 2026-01-01
bad "a refused use" "refuses ai-training" --performer perf-a --use ai-training --modality face --licensee X --from 2026-01-01
bad "a bad modality" "modality" --performer perf-a --use dubbing --modality smell --licensee X --from 2026-01-01
bad "a bad asset hash" '"assets\[0\]"' --performer perf-a --use dubbing --modality face --licensee X --asset-sha256 123 --from 2026-01-01
$LK consent list --gallery "$G" --json >"$T/after"
cmp -s "$T/before" "$T/after" && ok "nothing written by the refused records" || ko "nothing written by the refused records"
check "show an unknown record" 2 "$LK" consent show --gallery "$G" 999
has "unknown record named" "$T/err" "no licence record 999"
check "revoke an unknown record" 2 "$LK" consent revoke --gallery "$G" 999
check "revoke twice" 2 "$LK" consent revoke --gallery "$G" "$L_REVOKE"
has "already revoked said" "$T/err" "already revoked"
check "show a bad id" 2 "$LK" consent show --gallery "$G" abc

# ---- export and import ---------------------------------------------------------------
check "consent export" 0 "$LK" consent export --gallery "$G" -o "$T/export.json"
G2="$T/g2"
check "import needs the performers" 2 "$LK" consent import --gallery "$G" "$T/none.json"
check "enroll perf-a in a second gallery" 0 "$LK" enroll --gallery "$G2" --performer perf-a $ENROL_A
check "consent import" 0 "$LK" consent import --gallery "$G2" "$T/export.json"
has "import counts" "$T/out" "new records"
check "import again adds nothing" 0 "$LK" consent import --gallery "$G2" "$T/export.json"
has "nothing new" "$T/out" "0 new records, 0 new versions"
"$LK" consent export --gallery "$G2" >"$T/export2.json"
$PY - "$T/export.json" "$T/export2.json" <<'EOF' && ok "the import holds every version" || ko "the import holds every version"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["licences"] == b["licences"] and a["refusals"] == b["refusals"], "differ"
assert any(len(r["versions"]) == 2 for r in a["licences"])
EOF
scan "licensed by signer, in the imported gallery" licensed licensed c2pa-signer territory=GB "$C/signed_licensee.jpg"
# the signer scan used $G: scan the second gallery too
G_SAVE=$G; G=$G2
scan "imported: refused" refused alert "" channel=yt:gamma,use=ai-training "$C/ai.jpg"
G=$G_SAVE

# ---- erasure -------------------------------------------------------------------------
check "remove perf-a" 0 "$LK" remove --gallery "$G" --performer perf-a
for s in "Acme Films" "Confidential-Qz8" "INV-77" "breach of terms" "GB-ABC-26-00001"; do
    if grep -a -q -- "$s" "$G"/gallery.db* 2>/dev/null; then ko "erased: '$s' left in the database"; else ok "erased: '$s'"; fi
done
check "no records left" 0 "$LK" consent list --gallery "$G" --json
[ ! -s "$T/out" ] && ok "consent list empty after erasure" || ko "consent list empty after erasure"
check "policy of an erased performer" 2 "$LK" policy --gallery "$G" --performer perf-a
finish
