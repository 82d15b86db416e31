#!/usr/bin/env bash
# gen_program.sh DIR NOBJ FUNCS_PER_OBJ — writes a C program of NOBJ objects (obj0.c ...) plus main.c;
# each function is 11 lines, so 2 x 900 functions is about 20,000 lines. main prints "checksum=N".
set -euo pipefail
dir=$1 nobj=$2 nfun=$3
mkdir -p "$dir"
for ((k = 0; k < nobj; k++)); do
	awk -v k="$k" -v n="$nfun" 'BEGIN {
		printf "static int g_%d = %d;\n", k, k
		for (j = 0; j < n; j++) {
			printf "int f_%d_%d(int x) {\n\tint a = x * 3 + %d;\n\tint b = a ^ (x >> 2);\n", k, j, j
			printf "\tif (b & 1)\n\t\ta += b;\n\telse\n\t\ta -= b;\n"
			printf "\tfor (int i = 0; i < 3; i++)\n\t\ta += i * b;\n\treturn a + g_%d;\n}\n", k
		}
		printf "int obj_%d_run(int x) {\n\tint s = 0;\n", k
		for (j = 0; j < n; j++) printf "\ts += f_%d_%d(x + %d);\n", k, j, j
		printf "\treturn s;\n}\n"
	}' > "$dir/obj$k.c"
done
{
	echo '#include <stdio.h>'
	for ((k = 0; k < nobj; k++)); do echo "int obj_${k}_run(int);"; done
	echo 'int main(void) {'
	echo '	unsigned s = 0;'
	for ((k = 0; k < nobj; k++)); do echo "	s += (unsigned)obj_${k}_run($k);"; done
	echo '	printf("checksum=%u\n", s);'
	echo '	fflush(stdout); /* the stock executor never exits, so never flushes */'
	echo '	return 0;'
	echo '}'
} > "$dir/main.c"
