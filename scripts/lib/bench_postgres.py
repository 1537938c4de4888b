# Helpers of scripts/bench-postgres (plain Python 3): url, scripts, bp, bpload, pgb, report, cpu.
import csv, glob, json, math, os, re, shlex, sys
from urllib.parse import urlsplit, parse_qs, unquote

def url_env(url):
    # libpq environment for psql and pgbench, from the URL benchplan uses.
    u = urlsplit(url)
    env = {}
    if u.hostname: env["PGHOST"] = u.hostname
    if u.port: env["PGPORT"] = str(u.port)
    if u.username: env["PGUSER"] = unquote(u.username)
    if u.password: env["PGPASSWORD"] = unquote(u.password)
    db = unquote(u.path.lstrip("/"))
    if db: env["PGDATABASE"] = db
    q = parse_qs(u.query)
    for key, var in (("sslmode", "PGSSLMODE"), ("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("dbname", "PGDATABASE")):
        if key in q: env[var] = q[key][0]
    for k, v in env.items():
        print(f"export {k}={shlex.quote(v)}")

def blocks(path):
    # `-- title` blocks of a file written by `benchplan plan --emit`.
    out = []
    for b in re.split(r"^-- ", open(path).read(), flags=re.M):
        if b.strip():
            head, _, body = b.partition("\n")
            out.append((head.strip(), body.strip().rstrip(";")))
    return out

M64 = 2**64 - 1

def mix64(z):
    # benchplan's SplitMix64 finaliser (src/dataset/mod.rs).
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)

def hash_str(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return mix64(h)

def affine(n, scenario_seed, entity):
    # benchplan's rank -> key permutation for an entity: (a * rank + b) mod n.
    seed = mix64(scenario_seed ^ hash_str(entity))
    a = max((int(n * 0.6180339887) + mix64(seed) % (n // 7 + 1)) % n, 2)
    while math.gcd(a, n) != 1:
        a = 2 if a + 1 >= n else a + 1
    return a, mix64(seed ^ 0x5BD1E995) % n

def zipf_key(e, n, theta, scenario_seed):
    # pgbench meta-commands setting :k_<e> to a key drawn as benchplan draws it.
    om = 1.0 - theta
    hint = lambda x: (x ** om - 1.0) / om                   # H(x), the integral of x^-theta
    hinv = lambda u: math.exp(math.log1p(u * om) / om)      # its inverse
    x1, hn = hint(1.5) - 1.0, hint(n + 0.5)
    s = 2.0 - hinv(hint(2.5) - 2.0 ** -theta)
    a, b = affine(n, scenario_seed, e)
    out = [f"\\set a_{e} 0\n"]
    for _ in range(3):
        out.append(
            f"\\if :a_{e} = 0\n"
            f"\\set u_{e} {hn!r} + random(0, 9007199254740991) / 9007199254740992.0 * {x1 - hn!r}\n"
            f"\\set x_{e} exp(ln(1.0 + :u_{e} * {om!r}) / {om!r})\n"
            f"\\set k_{e} least(greatest(int(:x_{e}), 1), {n})\n"
            f"\\set a_{e} case when :k_{e} - :x_{e} <= {s!r} or :u_{e} >= (pow(:k_{e} + 0.5, {om!r}) - 1.0) / {om!r} - pow(:k_{e}, {-theta!r}) then 1 else 0 end\n"
            f"\\endif\n")
    out.append(f"\\set k_{e} ({a} * (:k_{e} - 1) + {b}) % {n}\n")
    return "".join(out)

def scripts(emit, work, entities, scenario_seed):
    ents = entities.split(",")
    sets = "".join(zipf_key(e, ROWS, 0.99, int(scenario_seed)) for e in ents)
    packed, serial = [], []
    for head, body in blocks(f"{emit}/operations.sql"):
        ent, lines = None, []
        for line in body.splitlines():
            m = re.search(r'FROM "bp_([a-z]+)_f\d+"', line)
            if m: ent = m.group(1)
            if "$" in line:
                if ent not in ents: sys.exit(f"cannot map a placeholder to an entity in: {line}")
                line = re.sub(r"\$\d+", f":k_{ent}", line)
            lines.append(line)
        sql = "\n".join(lines) + ";\n"
        if head.startswith("packed:"): packed.append(sql)
        elif head.startswith("serial:"): serial.append(sql)
    if len(packed) != 1 or len(serial) != 30:
        sys.exit(f"expected 1 packed and 30 serial statements in the plan, found {len(packed)} and {len(serial)}")
    open(f"{work}/packed.sql", "w").write(sets + packed[0])
    open(f"{work}/serial.sql", "w").write(sets + "".join(serial))
    # Same DDL for psql's tables, renamed bp_copy_*; drop.sql drops both sets.
    creates, names = [], []
    for head, body in blocks(f"{emit}/ddl.sql"):
        if head.startswith("create "):
            names.append(head.split()[1])
            creates.append(body.replace('"bp_', '"bp_copy_', 1) + ";\n")
    if len(names) != 30:
        sys.exit(f"expected 30 tables in the plan, found {len(names)}")
    open(f"{work}/copy_ddl.sql", "w").write("".join(creates))
    open(f"{work}/tables.txt", "w").write("".join(n + "\n" for n in names))
    open(f"{work}/drop.sql", "w").write("".join(f'DROP TABLE IF EXISTS "{n}";\nDROP TABLE IF EXISTS "{n.replace("bp_", "bp_copy_", 1)}";\n' for n in names)
                                       + "DROP SCHEMA IF EXISTS bp_load CASCADE;\n")

def bp(out):
    # benchplan's numbers: req/s per run phase (results.csv), load rows and seconds (run.json).
    run = glob.glob(f"{out}/*/*/")
    if len(run) != 1: sys.exit(f"expected one run folder under {out}, found {run}")
    rows = {r["phase"]: r for r in csv.DictReader(open(f"{run[0]}/results.csv"))}
    j = json.load(open(f"{run[0]}/run.json"))
    load = [s for s in j["setup"] if s["step"] == "load"] or [{"rows": "-", "duration_s": "-"}]
    analyze = sum(s["duration_s"] for s in j["setup"] if s["step"] == "analyze")
    for p in ("packed", "serial"):
        r = rows[p]
        if int(r["errors"]) or float(r["rows_per_request"]) != 30.0:
            print(f"warning: benchplan {p}: {r['errors']} errors, {r['rows_per_request']} rows per request (expected 0 and 30)", file=sys.stderr)
    print(rows["packed"]["throughput_rps"], rows["serial"]["throughput_rps"], load[0]["rows"], load[0]["duration_s"], analyze)

def bpload(out):
    # A load-only run: rows, load seconds, analyze seconds (run.json).
    run = glob.glob(f"{out}/*/*/")
    if len(run) != 1: sys.exit(f"expected one run folder under {out}, found {run}")
    j = json.load(open(f"{run[0]}/run.json"))
    load = [s for s in j["setup"] if s["step"] == "load"]
    if not load: sys.exit(f"no load step in {run[0]}/run.json")
    analyze = sum(s["duration_s"] for s in j["setup"] if s["step"] == "analyze")
    print(load[0]["rows"], load[0]["duration_s"], analyze)

def pgb(path):
    # pgbench's tps (without initial connection time); fails on errors or aborts.
    text = open(path).read()
    tps = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", text, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", text, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", text, re.M)
    lat = re.search(r"^latency average = ([0-9.]+) ms", text, re.M)
    if not tps or not done or "aborted" in text or (failed and int(failed.group(1))):
        sys.exit(f"pgbench did not finish cleanly:\n{text}")
    print(tps.group(1), done.group(1), lat.group(1) if lat else "?")

def cputime(log, *cmd):
    # Runs cmd (output to log); prints its user + system CPU seconds (getrusage).
    import resource, subprocess
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if rc:
        sys.exit(rc)
    print(f"{after.ru_utime - before.ru_utime:.4f} {after.ru_stime - before.ru_stime:.4f}")


def bprequests(out, n):
    # A benchplan run of n requests sent n, with no errors.
    run = glob.glob(f"{out}/*/*/")
    rows = [r for r in csv.DictReader(open(f"{run[0]}/results.csv")) if r["phase"] == "cpu"]
    if len(rows) != 1 or int(rows[0]["requests"]) != int(n) or int(rows[0]["errors"]):
        sys.exit(f"benchplan's cpu run in {out}: expected {n} requests and no errors, got {rows}")


def cpu(path, small, big, native="pgbench"):
    # Lines "tool shape n user sys"; per tool and shape, the median over rounds
    # of (CPU of the big run - CPU of the small run) / (big - small).
    med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
    runs = {}
    for l in open(path):
        tool, shape, n, user, sys_ = l.split()
        runs.setdefault((tool, shape, int(n)), []).append((float(user), float(sys_)))
    small, big = int(small), int(big)
    per = lambda tool, shape, f: med([(f(b) - f(a)) / (big - small) * 1e6 for a, b in zip(runs[(tool, shape, small)], runs[(tool, shape, big)])])
    total, user = (lambda t: t[0] + t[1]), (lambda t: t[0])
    print(f"{'client CPU per request':<24} {'benchplan us':>13} {native + ' us':>11} {'ratio':>7}  {'user ratio':>10}  goal     result")
    met = 0
    for shape in ("packed", "serial"):
        b, n = per("benchplan", shape, total), per(native, shape, total)
        ub, un = per("benchplan", shape, user), per(native, shape, user)
        ok = b <= n
        met += ok
        print(f"{shape + ' read':<24} {b:>13.1f} {n:>11.1f} {b / n:>6.2f}x  {ub / un:>9.2f}x  <= 1.0  {'met' if ok else 'MISSED'}")
    print(f"\ngoals met: {met} of 2")


def report(bp_file, pg_file, load_dir):
    # Reads: per round, benchplan / pgbench; the table shows the medians.
    bp = [list(map(float, l.split())) for l in open(bp_file) if l.strip()] if os.path.exists(bp_file) else []
    pg = [list(map(float, l.split())) for l in open(pg_file) if l.strip()] if os.path.exists(pg_file) else []
    med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
    # Loads: per round "rows load_s analyze_s", for each benchplan method and for \copy.
    have = lambda m: os.path.exists(f"{load_dir}/{m}.txt")
    loads = {m: [list(map(float, l.split())) for l in open(f"{load_dir}/{m}.txt") if l.strip()] if have(m) else [] for m in ("copy", "copy_binary", "insert", "psql")}
    rate = lambda m: [r[0] / r[1] for r in loads[m]]
    rate_an = lambda m: [r[0] / (r[1] + r[2]) for r in loads[m]]
    ratio = lambda m, f: med([a / b for a, b in zip(f(m), f("psql"))])
    if len(bp) > 1:
        for i, (b, n) in enumerate(zip(bp, pg), 1):
            print(f"round {i}: packed {b[0]:.1f} / {n[0]:.1f} = {b[0] / n[0]:.3f}x, serial {b[1]:.1f} / {n[1]:.1f} = {b[1] / n[1]:.3f}x")
        for i, c in enumerate(rate("psql")):
            print(f"round {i + 1}: load rows/s " + ", ".join(f"{m} {rate(m)[i]:.0f} ({rate(m)[i] / c:.3f}x)" for m in ("copy", "copy_binary", "insert")) + f", \\copy {c:.0f}")
        print(f"(medians over {len(bp)} rounds; ratio: median of the rounds' ratios)")
        print()
    rows = [
        ("packed read", "req/s", med([b[0] for b in bp]), med([n[0] for n in pg]), med([b[0] / n[0] for b, n in zip(bp, pg)]), READ_GOAL),
        ("serial read", "req/s", med([b[1] for b in bp]), med([n[1] for n in pg]), med([b[1] / n[1] for b, n in zip(bp, pg)]), READ_GOAL),
    ] if bp else []
    rows += [
        ("load copy (text)", "rows/s", med(rate("copy")), med(rate("psql")), ratio("copy", rate), 1.0),
        ("load copy_binary", "rows/s", med(rate("copy_binary")), med(rate("psql")), ratio("copy_binary", rate), 1.3),
        ("load insert", "rows/s", med(rate("insert")), med(rate("psql")), ratio("insert", rate), None),
        ("copy+ANALYZE", "rows/s", med(rate_an("copy")), med(rate_an("psql")), ratio("copy", rate_an), None),
        ("copy_binary+ANALYZE", "rows/s", med(rate_an("copy_binary")), med(rate_an("psql")), ratio("copy_binary", rate_an), None),
    ] if loads["psql"] else []
    print(f"{'measure':<22} {'unit':<7} {'benchplan':>11} {'native':>11} {'ratio':>7}  {'goal':<7} result")
    met, missed = [], []
    for name, unit, b, n, r, goal in rows:
        res = "(info)"
        if goal is not None:
            res = "met" if r >= goal else "MISSED"
            (met if r >= goal else missed).append(name)
        print(f"{name:<22} {unit:<7} {b:>11.1f} {n:>11.1f} {r:>6.3f}x  {f'>= {goal}' if goal is not None else '-':<7} {res}")
    print()
    print(f"goals met: {len(met)} of {len(met) + len(missed)}" + (f" (missed: {', '.join(missed)})" if missed else ""))

ROWS = int(os.environ.get("ROWS", "100000"))
# The reads' goal: 1.0x on a quiet machine, 0.95x with one core busy (BUSY=1 or same).
READ_GOAL = 0.95 if os.environ.get("BUSY") in ("1", "same") else 1.0
if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"url": url_env, "scripts": scripts, "bp": bp, "bpload": bpload, "pgb": pgb, "report": report,
     "cputime": cputime, "bprequests": bprequests, "cpu": cpu}[cmd](*args)
