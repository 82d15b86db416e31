#!/usr/bin/env bash
# The debug link end to end: jitdebug-executor with JITDEBUG_LISTEN, Debian's llvm-jitlink-16 running
# a fixture that waits, and the jitdebug CLI: list, symbolize, fetch, watch; then the checksum of a
# fetch against the registered bytes, clear errors, tokens, and the non-loopback refusal.
. "$(dirname "$0")/lib.sh"
line_target=$(grep -n 'MARK:target' "$JD_SRC/tests/fixtures/linkwait.c" | cut -d: -f1)
start_executor JITDEBUG_LISTEN=127.0.0.1:0 JD_GO="$TMP/go"
LINK=$(link_address "$TMP/executor.err")
[ -n "$LINK" ] && pass "the executor publishes its link address" || fail "no link address in: $(cat "$TMP/executor.err")"

"$JITDEBUG" watch --connect "$LINK" --symbol link_target --count 2 --timeout 60 > "$TMP/watch.out" 2>&1 &
WPID=$!
PIDS+=("$WPID")
for _ in $(seq 100); do grep -q '^watching' "$TMP/watch.out" && break; sleep 0.05; done
timeout 90 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$JD_FIXTURES/linkwait.o" > "$TMP/ctl.out" 2>&1 &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 200); do grep -q '^link_target=' "$TMP/executor.out" && break; sleep 0.05; done
ADDR=$(sed -n 's/^link_target=//p' "$TMP/executor.out")

"$JITDEBUG" list --connect "$LINK" > "$TMP/list.txt" 2>&1
expect "list shows the JIT object with its first symbol" "$TMP/list.txt" "^[0-9]+ +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ +[0-9a-f]{40} +announced +link_target$"
"$JITDEBUG" list --connect "$LINK" --json > "$TMP/list.json" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(o["first_symbol"]=="link_target" for o in d["objects"])' "$TMP/list.json" \
	&& pass "list --json parses and names link_target" || fail "list --json: $(cat "$TMP/list.json")"
ID=$(awk '$NF == "link_target" { print $1 }' "$TMP/list.txt" | head -1)
"$JITDEBUG" symbolize --connect "$LINK" "$ADDR" > "$TMP/sym.txt" 2>&1
expect "symbolize: function and file:line" "$TMP/sym.txt" "^$ADDR: link_target\+0x0 at .*linkwait\.c:[0-9]+ \(object $ID\)$"
"$JITDEBUG" symbolize --connect "$LINK" 0x10 > "$TMP/sym0.txt" 2>&1
expect "symbolize: an address outside JIT code says so" "$TMP/sym0.txt" "^0x10: no JIT object covers 0x10$"
"$JITDEBUG" fetch --connect "$LINK" "$ID" -o "$TMP/obj.o" 2> "$TMP/fetch.err"
readelf -sW "$TMP/obj.o" > "$TMP/obj.syms" 2>&1
readelf -SW "$TMP/obj.o" > "$TMP/obj.secs" 2>&1
text_addr=$(sed -n 's/.*\] \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p' "$TMP/obj.secs")
[ -n "$text_addr" ] && [ "$((16#$text_addr))" = "$(($ADDR))" ] && pass "fetched object carries the load address of .text" \
	|| fail "fetched .text at 0x$text_addr, function at $ADDR"
expect "fetched object is the ELF with link_target" "$TMP/obj.syms" " FUNC +GLOBAL +DEFAULT +[0-9]+ link_target$"
"$JITDEBUG" fetch --connect "$LINK" 987654 -o "$TMP/none.o" > "$TMP/fetch-bad.txt" 2>&1
echo "status=$?" >> "$TMP/fetch-bad.txt"
expect "fetch of an unknown id: a clear error" "$TMP/fetch-bad.txt" "object 987654: no such object"
expect "fetch of an unknown id: status 1" "$TMP/fetch-bad.txt" "^status=1$"

touch "$TMP/go"
wait_exit "$CPID" 60
wait_gone "$WPID" 20
expect "watch: the registration event" "$TMP/watch.out" "^registered $ID 0x[0-9a-f]+-0x[0-9a-f]+ [0-9]+ bytes$"
expect "watch: the symbol watch matched" "$TMP/watch.out" "^match watch 1 object $ID$"

"$JITDEBUG" list --connect 127.0.0.1:1 > "$TMP/refused.txt" 2>&1
echo "status=$?" >> "$TMP/refused.txt"
expect "refused connection: a clear error" "$TMP/refused.txt" "cannot connect to 127\.0\.0\.1:1: Connection refused"
expect "refused connection: status 1" "$TMP/refused.txt" "^status=1$"

# The C API path: fetched bytes equal the registered bytes (the host saves what the hooks hold).
exec 7> >(JITDEBUG_LISTEN=127.0.0.1:0 JITDEBUG_TOKEN=tok-123 timeout 60 "$JD_BUILD/bin/link_host" "$JD_FIXTURES/jitfix.o" > "$TMP/host.out" 2> "$TMP/host.err")
HLINK=$(link_address "$TMP/host.err")
echo reg >&7
echo "save 1 $TMP/registered.o" >&7
for _ in $(seq 100); do grep -q '^saved' "$TMP/host.out" && break; sleep 0.05; done
"$JITDEBUG" fetch --connect "$HLINK" --token tok-123 1 -o "$TMP/fetched.o" 2>/dev/null
[ -s "$TMP/fetched.o" ] && [ "$(sha256sum < "$TMP/fetched.o")" = "$(sha256sum < "$TMP/registered.o")" ] \
	&& pass "fetched bytes identical to the registered object (sha256)" || fail "fetched bytes differ from the registered object"
"$JITDEBUG" list --connect "$HLINK" --token wrong > "$TMP/badtok.txt" 2>&1
echo "status=$?" >> "$TMP/badtok.txt"
expect "wrong token: refused with a clear error" "$TMP/badtok.txt" "jitdebug list: bad token"
expect "wrong token: status 1" "$TMP/badtok.txt" "^status=1$"
"$JITDEBUG" list --connect "$HLINK" > "$TMP/notok.txt" 2>&1
expect "missing token: refused" "$TMP/notok.txt" "bad token"
exec 7>&-

JITDEBUG_LISTEN=0.0.0.0:0 timeout 10 "$JD_BUILD/bin/link_host" "$JD_FIXTURES/jitfix.o" < /dev/null > /dev/null 2> "$TMP/nonlo.err"
expect "non-loopback without a token is refused" "$TMP/nonlo.err" "refusing to listen on non-loopback 0\.0\.0\.0:0 without JITDEBUG_TOKEN"
expect_not "and nothing listens" "$TMP/nonlo.err" "listening on"
finish
