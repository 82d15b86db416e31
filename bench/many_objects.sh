#!/usr/bin/env bash
# many_objects.sh DIR N — the program of the debugger benchmarks: N objects with DWARF (o<k>.o, one
# small function f_<k> each) and main.o, which calls every one, the last one last (where the
# breakpoint goes). Compiled with clang-16 -g -O0; DIR/objs.rsp lists the objects for llvm-jitlink's
# @FILE, so the command line stays short at any N.
set -euo pipefail
d=$1 N=$2
mkdir -p "$d"
for ((k = 0; k < N; k++)); do printf 'int f_%d(int x) {\n\tint y = x * %d;\n\treturn y + 1;\n}\n' $k $k > "$d/o$k.c"; done
{
	for ((k = 0; k < N; k++)); do echo "int f_$k(int);"; done
	echo 'int main(void) {'
	echo '	long s = 0;'
	for ((k = 0; k < N; k++)); do echo "	s += f_$k(2);"; done
	echo '	return s > 0 ? 0 : 1;'
	echo '}'
} > "$d/main.c"
(cd "$d" && ls o*.c main.c | xargs -n 250 -P "$(nproc)" /usr/lib/llvm-16/bin/clang -g -O0 -c)
{ echo "$d/main.o"; for ((k = 0; k < N; k++)); do echo "$d/o$k.o"; done; } > "$d/objs.rsp"
