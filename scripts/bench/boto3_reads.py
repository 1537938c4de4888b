#!/usr/bin/env python3
"""boto3's side of scripts/bench-dynamodb: the reads benchplan makes, from a
small, ordinary boto3 script, so that the client CPU per request of the two
can be compared on the same server.

    boto3_reads.py run   --endpoint URL --entity card:2000:bp_card_f0,bp_card_f1 ... \
                         --requests 2000 --workers 4 --fetch serial|packed [--seed 7]
    boto3_reads.py load  --endpoint URL --entity ... [--features 5]   # create + fill tables
    boto3_reads.py count --endpoint URL TABLE...                      # items per table
    boto3_reads.py drop  --endpoint URL TABLE...

`run` prints one JSON line: requests, errors, calls, items, consumed capacity,
and the wall and CPU seconds of the request loop alone (clients are made and
imports done before it starts), plus the process's CPU seconds so far.

The item layout is benchplan's (table_per_table): one DynamoDB table per
feature table, named as the SQL table, partition key `pk`, a Number for int
keys. benchplan's int keys are 0..keys-1 (src/dataset/mod.rs,
EntityModel::key), so keys drawn here exist. A request draws one key per
entity, uniformly, and reads it from every table of that entity:
  serial: one GetItem per table, one after another;
  packed: one BatchGetItem over all tables (at most 100 keys; UnprocessedKeys
          retried until none are left).
Every call asks for ReturnConsumedCapacity=TOTAL, as benchplan does for cost.
`workers` threads share the request count; each has its own client.
Credentials: the usual boto3 chain when AWS_ACCESS_KEY_ID or AWS_PROFILE is
set, else the dummy key `x` that local servers such as dynalite accept.
"""

import argparse
import itertools
import json
import os
import random
import resource
import sys
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

REGION = "us-east-1"


def make_client(endpoint, pool=10):
    kw = {}
    if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        kw = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
    # A session per client: boto3's default session is not thread-safe.
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint or None,
        region_name=os.environ.get("AWS_REGION") or REGION,
        config=Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 3}),
        **kw,
    )


def entity(spec):
    # NAME:KEYS:TABLE,TABLE,...
    try:
        name, keys, tables = spec.split(":", 2)
        keys = int(keys)
        tables = [t for t in tables.split(",") if t]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME:KEYS:TABLE[,TABLE...], got {spec!r}")
    if keys < 1 or not tables:
        raise argparse.ArgumentTypeError(f"expected at least one key and one table in {spec!r}")
    return name, keys, tables


def cpu_s(who=resource.RUSAGE_SELF):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------- run

def cmd_run(a):
    ents = a.entity
    ntables = sum(len(t) for _, _, t in ents)
    if a.fetch == "packed" and ntables > 100:
        sys.exit(f"boto3_reads: {ntables} tables: BatchGetItem takes at most 100 keys")
    counter = itertools.count()
    lock = threading.Lock()
    total = {"requests": 0, "errors": 0, "calls": 0, "items": 0, "capacity_units": 0.0, "unprocessed_retries": 0}
    examples = []
    clients = [make_client(a.endpoint, pool=2) for _ in range(a.workers)]

    def worker(i, c):
        rng = random.Random(a.seed * 1_000_003 + i)
        req = err = calls = items = retries = 0
        cap = 0.0
        get, batch = c.get_item, c.batch_get_item
        while next(counter) < a.requests:
            keys = [{"pk": {"N": str(rng.randrange(n))}} for _, n, _ in ents]
            try:
                if a.fetch == "serial":
                    for (_, _, tables), key in zip(ents, keys):
                        for t in tables:
                            r = get(TableName=t, Key=key, ReturnConsumedCapacity="TOTAL")
                            calls += 1
                            if "Item" in r:
                                items += 1
                            cap += r.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
                else:
                    todo = {t: {"Keys": [key]} for (_, _, tables), key in zip(ents, keys) for t in tables}
                    tries = 0
                    while todo:
                        r = batch(RequestItems=todo, ReturnConsumedCapacity="TOTAL")
                        calls += 1
                        items += sum(len(v) for v in r.get("Responses", {}).values())
                        cap += sum(x.get("CapacityUnits", 0.0) for x in r.get("ConsumedCapacity", []))
                        todo = r.get("UnprocessedKeys") or {}
                        if todo:
                            tries += 1
                            retries += 1
                            if tries > 10:
                                raise RuntimeError(f"UnprocessedKeys left after {tries} calls")
                            time.sleep(min(0.001 * 2**tries, 0.1))
                req += 1
            except (BotoCoreError, ClientError, RuntimeError) as e:
                err += 1
                with lock:
                    if len(examples) < 3:
                        examples.append(f"{type(e).__name__}: {e}")
        with lock:
            total["requests"] += req + err
            total["errors"] += err
            total["calls"] += calls
            total["items"] += items
            total["capacity_units"] += cap
            total["unprocessed_retries"] += retries

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    c0, t0 = cpu_s(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    ok = total["requests"] - total["errors"]
    out = {
        "tool": "boto3",
        "fetch": a.fetch,
        "workers": a.workers,
        "tables": ntables,
        **total,
        "items_per_request": round(total["items"] / ok, 4) if ok else 0.0,
        "capacity_units_per_request": round(total["capacity_units"] / ok, 4) if ok else 0.0,
        "loop_wall_s": round(wall, 4),
        "loop_cpu_s": round(cpu, 4),
        "throughput_rps": round(total["requests"] / wall, 2) if wall > 0 else 0.0,
        "process_cpu_s": round(cpu_s(), 4),
        "boto3": boto3.__version__,
        "python": sys.version.split()[0],
        "error_examples": examples,
    }
    print(json.dumps(out))


# ---------------------------------------------- load, count, drop (tools)

def cmd_load(a):
    # Tables of benchplan's layout filled with keys 0..keys-1 and `features`
    # Number attributes: for testing this script without benchplan.
    c = make_client(a.endpoint)
    tables = [(t, n) for _, n, ts in a.entity for t in ts]
    for t, _ in tables:
        try:
            c.create_table(
                TableName=t,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except c.exceptions.ResourceInUseException:
            pass
    for t, _ in tables:
        c.get_waiter("table_exists").wait(TableName=t, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    def fill(t, n):
        cc = make_client(a.endpoint, pool=2)
        rng = random.Random(t)
        for start in range(0, n, 25):
            todo = {t: [{"PutRequest": {"Item": {"pk": {"N": str(k)}, **{f"f{j}": {"N": f"{rng.random():.6f}"} for j in range(a.features)}}}}
                        for k in range(start, min(start + 25, n))]}
            for tries in range(20):
                todo = cc.batch_write_item(RequestItems=todo).get("UnprocessedItems") or {}
                if not todo:
                    break
                time.sleep(min(0.01 * 2**tries, 1.0))
            else:
                raise RuntimeError(f"{t}: UnprocessedItems left after 20 calls")

    from concurrent.futures import ThreadPoolExecutor
    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex:
        list(ex.map(lambda tn: fill(*tn), tables))
    rows = sum(n for _, n in tables)
    print(json.dumps({"tables": len(tables), "items": rows, "seconds": round(time.perf_counter() - t0, 3)}))


def cmd_count(a):
    c = make_client(a.endpoint)
    out = {}
    for t in a.tables:
        n, kw = 0, {}
        while True:
            r = c.scan(TableName=t, Select="COUNT", **kw)
            n += r["Count"]
            if "LastEvaluatedKey" not in r:
                break
            kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}
        out[t] = n
    print(json.dumps(out))


def cmd_drop(a):
    # Deletes the tables that exist and waits until they are gone.
    c = make_client(a.endpoint)
    gone = []
    for t in a.tables:
        try:
            c.delete_table(TableName=t)
            gone.append(t)
        except c.exceptions.ResourceNotFoundException:
            pass
    for t in gone:
        c.get_waiter("table_not_exists").wait(TableName=t, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "load", "count", "drop"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", default=os.environ.get("DYNAMODB_ENDPOINT"), help="default: $DYNAMODB_ENDPOINT, else AWS")
        if name in ("run", "load"):
            s.add_argument("--entity", type=entity, action="append", required=True, metavar="NAME:KEYS:TABLE[,TABLE...]")
            s.add_argument("--workers", type=int, default=4)
        else:
            s.add_argument("tables", nargs="+")
    r = sub.choices["run"]
    r.add_argument("--requests", type=int, required=True)
    r.add_argument("--fetch", choices=("serial", "packed"), required=True)
    r.add_argument("--seed", type=int, default=7)
    sub.choices["load"].add_argument("--features", type=int, default=5)
    a = p.parse_args()
    if getattr(a, "workers", 1) < 1:
        p.error("--workers must be at least 1")
    {"run": cmd_run, "load": cmd_load, "count": cmd_count, "drop": cmd_drop}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
