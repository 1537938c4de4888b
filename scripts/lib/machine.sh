# Sourced by the bench-* scripts: how busy the machine is before a run.

# Prints the share of all CPUs in use during one second (user, system,
# interrupts, steal; not idle or iowait), and a warning on stderr above
# 10 %: a process left running (a forgotten busy loop, a build) takes CPU
# from both tools alike and makes every ratio of the run noise.
machine_busy_before() {
    local a b i d busy=0 total=0
    read -r -a a < <(head -1 /proc/stat)
    sleep 1
    read -r -a b < <(head -1 /proc/stat)
    for i in 1 2 3 4 5 6 7 8; do
        d=$((b[i] - a[i]))
        total=$((total + d))
        [ "$i" = 4 ] || [ "$i" = 5 ] || busy=$((busy + d))
    done
    local pct=$((total > 0 ? 100 * busy / total : 0))
    echo "machine: ${pct} % of the CPUs in use in the second before the run"
    if [ "$pct" -ge 10 ]; then
        echo "warning: ${pct} % of the CPUs were in use before the run (see top): whatever it is runs during both tools' runs" >&2
    fi
}
