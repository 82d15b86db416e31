#!/usr/bin/env bash
# jitdebug-executor as a drop-in for llvm-jitlink-executor, driven by Debian's llvm-jitlink-16:
# binds only the address it is given, runs the program, passes its exit status, ends cleanly;
# also the filedescs= form (llvm-jitlink --oop-executor=) and bad arguments.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/status3.c" <<'C'
#include <stdio.h>
int main(void) { puts("status3 ran"); return 3; }
C
"$LLVM_BIN/clang" -g -c "$TMP/status3.c" -o "$TMP/status3.o"

start_executor
ss -ltnH "sport = :$PORT" > "$TMP/listen.txt"
expect "binds 127.0.0.1 as told" "$TMP/listen.txt" "127\.0\.0\.1:$PORT"
expect_not "does not bind every interface" "$TMP/listen.txt" "(0\.0\.0\.0|\*|\[::\]):$PORT"
timeout 30 "$JITLINK" --oop-executor-connect=127.0.0.1:$PORT "$TMP/status3.o" > "$TMP/run.out" 2>&1
rc=$?
echo "rc=$rc" >> "$TMP/run.out"
expect "program ran remotely" "$TMP/executor.out" "^status3 ran$"
expect "controller exits with the program's status" "$TMP/run.out" "^rc=3$"
if wait_gone "$EXPID" 10; then pass "executor exits after the session"; else fail "executor exits after the session"; fi

timeout 30 "$JITLINK" --oop-executor="$EXECUTOR" "$JD_FIXTURES/jitfix.o" > "$TMP/fd.out" 2>&1
echo "rc=$?" >> "$TMP/fd.out"
expect "filedescs= mode (llvm-jitlink --oop-executor)" "$TMP/fd.out" "^jitfix: result=112 counter=42$"
expect "filedescs= mode ends with status 0" "$TMP/fd.out" "^rc=0$"

timeout 10 "$EXECUTOR" bogus > "$TMP/bad.out" 2>&1
echo "rc=$?" >> "$TMP/bad.out"
expect "bad argument: usage and status 1" "$TMP/bad.out" "unknown argument bogus"
expect "bad argument: status 1" "$TMP/bad.out" "^rc=1$"
timeout 10 "$EXECUTOR" listen=256.1.1.1:0 > "$TMP/bad2.out" 2>&1
expect "bad listen address is reported" "$TMP/bad2.out" "cannot (resolve|listen)"
finish
