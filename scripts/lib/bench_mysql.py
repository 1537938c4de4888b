# Helpers of scripts/bench-mysql (plain Python 3):
#   lua EMIT WORK ROWS       sysbench scripts packed.lua and serial.lua: benchplan's
#                            statements from `benchplan plan --emit`, prepared, each
#                            placeholder bound to its table's entity's key
#   sb LOG                   sysbench's transactions per second and count
#   bp OUT PHASE N           benchplan's req/s of PHASE (n requests expected, or 0: any)
#   report BP SB             the throughput table
# (the CPU per request: bench_postgres.py's cputime and cpu)
import csv, glob, re, sys, textwrap
def lua_scripts(emit, work, rows):
    rows = int(rows)
    text = open(f"{emit}/operations.sql").read()
    blocks = {}
    for b in re.split(r"^-- ", text, flags=re.M):
        if not b.strip(): continue
        head, _, body = b.partition("\n")
        blocks.setdefault(head.split(":")[0], []).append(body.strip().rstrip(";"))
    def lua(stmts, name):
        out = ["local ents = {card = 1, email = 2, name = 3}", "local stmts, params = {}, {}", "local sqls, owners = {}, {}"]
        for i, s in enumerate(stmts):
            owner, ent = [], None
            for line in s.splitlines():
                m = re.search(r"FROM `bp_([a-z]+)_f\d+`", line)
                if m: ent = m.group(1)
                owner += [ent] * line.count("?")
            sql = s.replace("\\", "\\\\").replace("]]", "] ]")
            out.append(f"sqls[{i + 1}] = [[{sql}]]")
            out.append("owners[%d] = {%s}" % (i + 1, ", ".join(f"ents.{e}" for e in owner)))
        out.append(textwrap.dedent(f"""
    function thread_init()
      drv = sysbench.sql.driver()
      con = drv:connect()
      for i, sql in ipairs(sqls) do
        stmts[i] = con:prepare(sql)
        params[i] = {{}}
        for p = 1, #owners[i] do params[i][p] = stmts[i]:bind_create(sysbench.sql.type.BIGINT) end
        stmts[i]:bind_param(unpack(params[i]))
      end
    end
    function thread_done()
      for i = 1, #stmts do stmts[i]:close() end
      con:disconnect()
    end
    function event()
      local k = {{sysbench.rand.uniform(0, {rows - 1}), sysbench.rand.uniform(0, {rows - 1}), sysbench.rand.uniform(0, {rows - 1})}}
      for i = 1, #stmts do
        for p = 1, #owners[i] do params[i][p]:set(k[owners[i][p]]) end
        local rs = stmts[i]:execute()
        if rs ~= nil and rs.free ~= nil then rs:free() end
      end
    end
    """))
        open(f"{work}/{name}.lua", "w").write("\n".join(out))
    lua(blocks["packed"], "packed")
    lua(blocks["serial"], "serial")
    if len(blocks["packed"]) != 1 or len(blocks["serial"]) != 30:
        sys.exit(f"expected 1 packed and 30 serial statements, found {len(blocks['packed'])} and {len(blocks['serial'])}")


def sb(path):
    text = open(path).read()
    m = re.search(r"transactions:\s+(\d+)\s+\(([0-9.]+) per sec", text)
    errors = re.search(r"ignored errors:\s+(\d+)", text)
    if not m or (errors and int(errors.group(1))) or "FATAL" in text:
        sys.exit(f"sysbench did not finish cleanly:\n{text}")
    print(m.group(2), m.group(1))


def bp(out, phase, n):
    run = glob.glob(f"{out}/*/*/")
    rows = [r for r in csv.DictReader(open(f"{run[0]}/results.csv")) if r["phase"] == phase]
    if len(rows) != 1 or int(rows[0]["errors"]) or (int(n) and int(rows[0]["requests"]) != int(n)):
        sys.exit(f"benchplan {phase} in {out}: expected one row, no errors{f', {n} requests' if int(n) else ''}: {rows}")
    print(rows[0]["throughput_rps"])


def report(bp_file, sb_file):
    # Lines "round shape req/s"; medians of the rounds' ratios.
    med = lambda v: sorted(v)[len(v) // 2] if len(v) % 2 else sum(sorted(v)[len(v) // 2 - 1:len(v) // 2 + 1]) / 2
    read = lambda f: {(int(r), s): float(v) for r, s, v in (l.split() for l in open(f) if l.strip())}
    b, s = read(bp_file), read(sb_file)
    print(f"{'measure':<14} {'benchplan req/s':>16} {'sysbench tps':>13} {'ratio':>7}")
    for shape in ("packed", "serial"):
        keys = [k for k in b if k[1] == shape]
        print(f"{shape + ' read':<14} {med([b[k] for k in keys]):>16.1f} {med([s[k] for k in keys]):>13.1f} {med([b[k] / s[k] for k in keys]):>6.3f}x")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"lua": lua_scripts, "sb": sb, "bp": bp, "report": report}[cmd](*args)
