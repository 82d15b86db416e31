#!/usr/bin/env bash
# The direct C API: register and unregister a clang-compiled debug object; GDB's `maint info jit`
# lists it (with its size) after registration and no longer after unregistration.
. "$(dirname "$0")/lib.sh"
OBJ=$JD_FIXTURES/jitfix.o
SIZE=$(stat -c %s "$OBJ")
cat > "$TMP/cmds.gdb" <<GDB
set pagination off
break capi_checkpoint
run
echo ==after-register==\n
maint info jit
continue
echo ==after-unregister==\n
maint info jit
continue
GDB
timeout 120 gdb -q -batch -nx -x "$TMP/cmds.gdb" --args "$JD_BUILD/bin/capi_register" "$OBJ" > "$TMP/gdb.out" 2>&1
sed -n '/==after-register==/,/==after-unregister==/p' "$TMP/gdb.out" > "$TMP/reg.txt"
sed -n '/==after-unregister==/,$p' "$TMP/gdb.out" > "$TMP/unreg.txt"
expect "registration succeeded" "$TMP/gdb.out" "^registered id=1 size=$SIZE err=0$"
expect "maint info jit lists the object with its size" "$TMP/reg.txt" "^0x[0-9a-f]+ +0x[0-9a-f]+ +$SIZE *$"
expect "unregistration succeeded" "$TMP/gdb.out" "^unregistered err=0$"
expect "the second stop (after unregistration) was reached" "$TMP/unreg.txt" "^==after-unregister==$"
expect_not "maint info jit no longer lists it" "$TMP/unreg.txt" "^0x[0-9a-f]+ +0x[0-9a-f]+ +$SIZE *$"
finish
