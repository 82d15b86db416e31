# lib.sh — shared by the benchmark scripts: wall-clock timing, bounded by $CAP seconds.
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
# ratio A B — A / B as "12.3x" (">40x" when A is ">CAP").
ratio() { echo "$1 $2" | awk '{ if ($1 ~ />/) printf ">%.0fx", substr($1, 2) / $2; else printf "%.1fx", $1 / $2 }'; }
# timed OUTVAR LOG COMMAND... — runs COMMAND (output to LOG, cut at $CAP seconds) and sets OUTVAR to
# its wall-clock seconds, or ">CAP" when cut; STATUS gets its exit status.
timed() {
	local var=$1 log=$2 t0 t1
	shift 2
	t0=$(now)
	timeout "$CAP" "$@" > "$log" 2>&1
	STATUS=$?
	t1=$(now)
	if [ $STATUS -eq 124 ]; then printf -v "$var" '>%s' "$CAP"; else printf -v "$var" '%s' "$(secs "$t0" "$t1")"; fi
}
