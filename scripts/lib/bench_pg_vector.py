# Helpers of scripts/bench-postgres-vector (plain Python 3, no numpy).
#   embeddings FILE ROWS QUERIES DIM SEED  the .fvecs file both tools read
#   scripts EMIT WORK QUERIES              pgbench's scripts and -D variables
#   bp OUT                                 benchplan's rows: ef req/s p99 recall rows/request errors cpu_s requests
#   pgb LOG                                pgbench's tps, transactions, latency
#   report BP PG                           the table
import csv, glob, json, os, random, re, struct, sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_postgres import pgb  # pgbench's tps, transactions, latency  # noqa: E402


def embeddings(path, rows, queries, dim, seed):
    # A Gaussian mixture: 32 centres drawn N(0, 1) per dimension, each vector
    # a centre plus N(0, 0.35) noise, so that nearest neighbours crowd and an
    # approximate search has something to get wrong. Rows after the first
    # ROWS are the held-out queries (benchplan's `source: { file }` reads them so).
    rows, queries, dim = int(rows), int(queries), int(dim)
    rng = random.Random(int(seed))
    centres = [[rng.gauss(0.0, 1.0) for _ in range(dim)] for _ in range(32)]
    head = struct.pack("<i", dim)
    with open(path, "wb") as f:
        for _ in range(rows + queries):
            c = centres[rng.randrange(32)]
            # Four decimals: the shortest text of each float32 is then the same
            # in Rust's `{}` and in f32_text below (both tools send the same bytes).
            f.write(head + struct.pack(f"<{dim}f", *(round(x + rng.gauss(0.0, 0.35), 4) for x in c)))


def f32_text(x):
    # The shortest decimal that reads back as the same float32, without an
    # exponent: what Rust's Display writes for an f32.
    for p in range(1, 10):
        s = f"{x:.{p}g}"
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            break
    if "e" in s:
        s = format(Decimal(s), "f")
    return s


def read_fvecs(path):
    data = open(path, "rb").read()
    dim = struct.unpack_from("<i", data, 0)[0]
    step = 4 + 4 * dim
    return [struct.unpack_from(f"<{dim}f", data, i + 4) for i in range(0, len(data), step)]


def scripts(emit, work, queries, fvecs, rows):
    # The vector_search statement of `benchplan plan --emit`, its $1 replaced
    # by :q<i>, one script per query vector (pgbench picks a script at random
    # for each transaction); the vectors as -D q<i>=[...] arguments, one per line.
    text = open(f"{emit}/operations.sql").read()
    stmts = [b.split("\n", 1)[1].strip().rstrip(";") for b in re.split(r"^-- ", text, flags=re.M) if b.strip() and "$1" in b]
    if len(stmts) != 1:
        sys.exit(f"expected one vector_search statement in {emit}/operations.sql, found {len(stmts)}")
    vecs = read_fvecs(fvecs)
    held = vecs[int(rows):]
    queries = int(queries)
    if len(held) != queries:
        sys.exit(f"{fvecs} holds {len(held)} query vectors after {rows} rows, expected {queries}")
    with open(f"{work}/pgbench-args.txt", "w") as args:
        for i, v in enumerate(held):
            open(f"{work}/q{i}.sql", "w").write(stmts[0].replace("$1", f":q{i}") + ";\n")
            args.write(f"-D\nq{i}=[{','.join(f32_text(x) for x in v)}]\n-f\n{work}/q{i}.sql@1\n")
    # For the sanity check: query 0 as a literal.
    open(f"{work}/q0-literal.sql", "w").write(stmts[0].replace("$1", "'[" + ",".join(f32_text(x) for x in held[0]) + "]'") + ";\n")


def bp(out):
    run = glob.glob(f"{out}/*/*/")
    if len(run) != 1:
        sys.exit(f"expected one run folder under {out}, found {run}")
    j = json.load(open(f"{run[0]}/run.json"))
    for r in csv.DictReader(open(f"{run[0]}/results.csv")):
        if r["phase"] != "search":
            continue
        ef = json.loads(r["params"]).get("ef_search") if r.get("params", "").startswith("{") else r.get("ef_search")
        print(ef, r["throughput_rps"], r["p99_ms"], r.get("recall_at_k", "-"), r["rows_per_request"], r["errors"],
              r.get("client_cpu_s", "-"), r["requests"])


def report(bp_file, pg_file, goal="0.95"):
    # bp_file: "round ef req/s p99 recall"; pg_file: "round ef tps"; medians of the rounds' ratios.
    med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
    bp, pg = {}, {}
    for l in open(bp_file):
        r, ef, rps, p99, rec = l.split()[:5]
        bp.setdefault(ef, []).append((int(r), float(rps), p99, rec))
    for l in open(pg_file):
        r, ef, tps = l.split()[:3]
        pg.setdefault(ef, {})[int(r)] = float(tps)
    goal = float(goal)
    print(f"{'ef_search':>9} {'recall@k':>9} {'benchplan req/s':>16} {'p99 ms':>8} {'pgbench tps':>12} {'ratio':>7}  goal     result")
    missed = 0
    for ef in sorted(bp, key=int):
        ratios = [rps / pg[ef][r] for r, rps, _, _ in bp[ef]]
        ok = med(ratios) >= goal
        missed += not ok
        print(f"{ef:>9} {bp[ef][0][3]:>9} {med([b[1] for b in bp[ef]]):>16.1f} {med([float(b[2]) for b in bp[ef]]):>8.3f} {med(list(pg[ef].values())):>12.1f} "
              f"{med(ratios):>6.3f}x  >= {goal}  {'met' if ok else 'MISSED'}")
    print(f"\ngoals met: {len(bp) - missed} of {len(bp)}")


cmd, *args = sys.argv[1:]
{"embeddings": embeddings, "scripts": scripts, "bp": bp, "pgb": pgb, "report": report}[cmd](*args)
