#!/usr/bin/env bash
# What the shipper binary is made of, for whoever sees it grow (issue 17;
# the budget is sizeBudget in shipper/size_integration_test.go).
#
#   scripts/size-report.sh               # arm64 (the default), top 25 packages
#   scripts/size-report.sh mipsle        # amd64, arm64, armv7 or mipsle
#   DEPTH=3 scripts/size-report.sh       # aggregate by the first 3 path elements
#                                        # (github.com/owner/repo: per module)
#   TOP=50 scripts/size-report.sh
#
# It prints:
#   - the stripped release size (CGO_ENABLED=0 -trimpath -ldflags "-s -w",
#     as scripts/build-cross.sh builds it) and the unstripped size;
#   - per package, the sum of its symbols' sizes in the unstripped build
#     (`go tool nm -size`): code, its type descriptors (type:…, method
#     tables included), itabs, closures. go:string.* and other symbols
#     without a package are shown as their own rows. The sum is smaller than
#     the file: the pcln tables (function names and line tables, kept by -s
#     -w too) and the ELF headers are not symbols;
#   - whether the linker saw a reflective method call (a function it marks
#     <ReflectMethod> in -dumpdep: reflect.Value.Method / MethodByName with
#     a name only known at run time, as text/template and html/template do).
#     If it did, it kept every exported method of every reachable type; the
#     chain from main to that call shows who brought it in. Compare the
#     report with one from the commit before the growth.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=${1:-arm64}
TOP=${TOP:-25}
DEPTH=${DEPTH:-0}

case "$TARGET" in
amd64) env_="GOARCH=amd64" ;;
arm64) env_="GOARCH=arm64" ;;
armv7) env_="GOARCH=arm GOARM=7" ;;
mipsle) env_="GOARCH=mipsle GOMIPS=softfloat" ;;
*) echo "size-report: unknown target $TARGET (want amd64, arm64, armv7, mipsle)" >&2; exit 2 ;;
esac

# hex converts hexadecimal digits to a number (mawk has no strtonum).
HEX='function hex(h,   i, n) { n = 0; h = tolower(h); for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return n }'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() {
	# shellcheck disable=SC2086
	env CGO_ENABLED=0 GOOS=linux $env_ go build -trimpath "$@" ./shipper
}
build -ldflags "-s -w" -o "$tmp/stripped"
# -dumpdep prints the linker's reachability graph ("from -> to", each
# symbol once, from the first symbol that reached it).
if ! build -ldflags "-dumpdep" -o "$tmp/full" 2>"$tmp/dumpdep"; then
	grep -v -- ' -> ' "$tmp/dumpdep" >&2
	exit 1
fi

stripped=$(stat -c %s "$tmp/stripped")
full=$(stat -c %s "$tmp/full")
printf 'shipper %s (%s) at %s, %s\n' "$TARGET" "$env_" "$(git rev-parse --short=12 HEAD 2>/dev/null || echo '?')" "$(go env GOVERSION)"
printf '  stripped (-s -w):  %10d bytes  %6.2f MiB\n' "$stripped" "$(echo "$stripped / 1048576" | bc -l)"
printf '  unstripped:        %10d bytes  %6.2f MiB\n' "$full" "$(echo "$full / 1048576" | bc -l)"
echo

# The sections of the file; the pcln tables (.gopclntab: function names,
# line tables) stay in a stripped binary and grow with the code.
sections() { readelf -SW "$tmp/full" | sed -n 's/^ *\[ *[0-9]*\] \(\.\)/\1/p' | awk "$HEX$1"; }
sections '{ printf "  section %-14s %10d bytes%s\n", $1, hex($5), $2 == "NOBITS" ? " (not in the file)" : "" }' | grep -v -e '\.debug' -e '\.zdebug' -e '\.symtab' -e '\.strtab' -e '\.shstrtab' || true
echo
# Symbols at or above the first NOBITS section (.bss, .noptrbss) take no
# room in the file: left out.
bss=$(sections '$2 == "NOBITS" { a = hex($3); if (min == 0 || a < min) min = a } END { printf "%d\n", min }')

go tool nm -size "$tmp/full" | awk -v top="$TOP" -v depth="$DEPTH" -v file="$full" -v bss="$bss" "$HEX"'
# pkgof returns the package path of a symbol name: the path up to the last
# "/", then up to the first "." after it.
function pkgof(s,   n, parts, last, j, k, p) {
	sub(/^type:\.(eq|hash)\./, "", s)
	sub(/^(type:|go:itab\.)/, "", s)
	sub(/^[*]+/, "", s)
	if (s ~ /^go:/) { sub(/\..*/, ".*", s); return "(" s ")" }
	if (match(s, /^[A-Za-z0-9_.\/~%-]+/) == 0) return "(unnamed types)"
	s = substr(s, 1, RLENGTH)
	n = split(s, parts, "/")
	last = parts[n]
	j = index(last, ".")
	if (j > 0) last = substr(last, 1, j - 1)
	if (last == "") return "(other)"
	parts[n] = last
	if (depth > 0 && n > depth) n = depth
	p = parts[1]
	for (k = 2; k <= n; k++) p = p "/" parts[k]
	return p
}
$2 ~ /^[0-9]+$/ && $2 > 0 && (bss == 0 || hex($1) < bss) {
	name = $4
	for (i = 5; i <= NF; i++) name = name " " $i
	sz[pkgof(name)] += $2
	total += $2
}
END {
	printf "%-12s %6s  %s\n", "bytes", "share", "package (sum of its symbols in the file, unstripped build)"
	n = 0
	for (p in sz) { keys[++n] = p }
	# insertion sort by size, descending (a few hundred packages)
	for (i = 2; i <= n; i++) { k = keys[i]; j = i - 1; while (j > 0 && sz[keys[j]] < sz[k]) { keys[j + 1] = keys[j]; j-- } keys[j + 1] = k }
	shown = 0
	for (i = 1; i <= n && i <= top; i++) { printf "%12d %5.1f%%  %s\n", sz[keys[i]], 100 * sz[keys[i]] / total, keys[i]; shown += sz[keys[i]] }
	printf "%12d %5.1f%%  (%d other packages)\n", total - shown, 100 * (total - shown) / total, n > top ? n - top : 0
	printf "%12d         all symbols (the file is %d: + pcln tables, symbol tables, headers)\n", total, file
}'
echo

# Functions the compiler flagged as calling a method by a name unknown at
# compile time. Any one of them, reachable, disables the linker dead-code
# elimination of exported methods.
refl=$(awk '{ n = split($0, side, " -> "); for (i = 1; i <= n; i++) if (index(side[i], "<ReflectMethod>")) { s = side[i]; sub(/ <.*/, "", s); print s } }' "$tmp/dumpdep" | sort -u)
if [ -z "$refl" ]; then
	echo "reflective method calls: none reachable (unused exported methods are dropped)"
	exit 0
fi
echo "reflective method calls reachable: the linker keeps EVERY exported method of every reachable type."
echo "Each such function, and the chain that first reached it (from -dumpdep):"
for f in $refl; do
	echo "  $f"
	awk -v want="$f" '
	{ line = $0; gsub(/ (<[A-Za-z]+>)+/, "", line); i = index(line, " -> "); to = substr(line, i + 4); if (!(to in from)) from[to] = substr(line, 1, i - 1) }
	END { s = want; for (d = 0; d < 60 && (s in from) && from[s] != "_"; d++) { s = from[s]; printf "    <- %s\n", s } }' "$tmp/dumpdep"
done
