#!/usr/bin/env python3
"""azure-cosmos's side of scripts/bench-cosmos: the reads benchplan makes,
from a small, ordinary script on the official Python SDK (sync), so that the
client CPU per request of the two can be compared on the same server.

    cosmos_reads.py run   --endpoint URL --key KEY --database bpbench \
                          --entity card:2000:bp_card_f0,bp_card_f1 ... \
                          --requests 2000 --workers 4 --fetch serial|parallel [--seed 7]
    cosmos_reads.py load  --endpoint URL --key KEY --entity ... [--features 5]  # create + fill
    cosmos_reads.py count --endpoint URL --key KEY CONTAINER...                 # items per container
    cosmos_reads.py drop  --endpoint URL --key KEY CONTAINER...                 # and the database if empty

`run` prints one JSON line: requests, errors, calls, items, misses, request
charge, and the wall and CPU seconds of the request loop alone (the client is
made, imports done and the containers' properties read before it starts),
plus the process's CPU seconds so far.

The item layout is benchplan's (src/backend/cosmos/names.rs and codec.rs,
table_per_table): one container per feature table, named as the table,
partition key path `/pk`, item `id` = the key as text ("17") and `pk` = the
key itself (a JSON number for int keys), one property per feature (f0, f1,
...). benchplan's int keys are 0..keys-1 (src/dataset/mod.rs,
EntityModel::key), so keys drawn here exist. A request draws one key per
entity, uniformly, and reads it from every container of that entity with
`read_item(item=id, partition_key=pk)`:
  serial:   one read after another, on the worker's thread;
  parallel: all of the request's reads submitted at once to a thread pool
            shared by the workers (workers x containers threads), the worker
            waiting for all of them: the sync SDK's way to have them in
            flight together (azure.cosmos.aio would be the other, on aiohttp;
            not used here).
A 404 is a miss (counted, not an error, as benchplan counts it); any other
failure fails the request and is counted as an error.
`workers` threads share the request count and one CosmosClient (the SDK's
clients are thread-safe), whose connection pool is sized for them. The SDK
runs with its defaults otherwise (its own retries on), as a user's script
would. The key is any base64 string for the local server.
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
from concurrent.futures import ThreadPoolExecutor

import requests
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import RequestsTransport
from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos import __version__ as cosmos_version
from azure.cosmos.exceptions import CosmosHttpResponseError, CosmosResourceExistsError, CosmosResourceNotFoundError
from urllib3.util.retry import Retry

try:  # azure-core's adapter (private module): requests' own with 32 KiB socket reads
    from azure.core.pipeline.transport._bigger_block_size_http_adapters import BiggerBlockSizeHTTPAdapter as Adapter
except ImportError:
    from requests.adapters import HTTPAdapter as Adapter

# The Cosmos DB emulator's well-known key: any base64 key does for the local server.
EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="


def make_client(endpoint, key, pool=10):
    # requests' default pool keeps 10 connections per host; a parallel run
    # has more calls than that in flight, and a full pool would open (and
    # discard) a connection per extra call. Same adapter as azure-core's own
    # (RequestsTransport._init_session: its retries off, as the SDK retries
    # itself; 32 KiB socket reads), with a bigger pool.
    session = requests.Session()
    adapter = Adapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False), pool_maxsize=max(pool, 10))
    for p in ("http://", "https://"):
        session.mount(p, adapter)
    return CosmosClient(endpoint, credential=key, transport=RequestsTransport(session=session, session_owner=True))


def entity(spec):
    # NAME:KEYS:CONTAINER,CONTAINER,...
    try:
        name, keys, containers = spec.split(":", 2)
        keys = int(keys)
        containers = [c for c in containers.split(",") if c]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME:KEYS:CONTAINER[,CONTAINER...], got {spec!r}")
    if keys < 1 or not containers:
        raise argparse.ArgumentTypeError(f"expected at least one key and one container in {spec!r}")
    return name, keys, containers


def cpu_s(who=resource.RUSAGE_SELF):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def charge_of(headers):
    try:
        return float(headers.get("x-ms-request-charge") or 0.0)
    except (TypeError, ValueError):
        return 0.0


# ------------------------------------------------------------------- run

def cmd_run(a):
    ents = a.entity
    ntables = sum(len(t) for _, _, t in ents)
    parallel = a.fetch == "parallel"
    client = make_client(a.endpoint, a.key, pool=a.workers * (ntables if parallel else 1) + 2)
    db = client.get_database_client(a.database)
    conts = [[db.get_container_client(t) for t in tables] for _, _, tables in ents]
    # The containers' properties (the SDK caches them per container on its
    # first call) are read here, outside the measured loop.
    for cs in conts:
        for c in cs:
            try:
                c.read()
            except CosmosResourceNotFoundError:
                sys.exit(f"cosmos_reads: no container {c.id} in database {a.database} at {a.endpoint} (load it first)")
    counter = itertools.count()
    lock = threading.Lock()
    total = {"requests": 0, "errors": 0, "calls": 0, "items": 0, "misses": 0, "request_charge": 0.0}
    examples = []
    pool = ThreadPoolExecutor(a.workers * ntables, thread_name_prefix="read") if parallel else None

    def read(c, sid, k):
        # (found, charge) of one point read; other failures raise.
        try:
            it = c.read_item(item=sid, partition_key=k)
        except CosmosResourceNotFoundError as e:
            return False, charge_of(e.headers or {})
        return True, charge_of(it.get_response_headers())

    def worker(i):
        rng = random.Random(a.seed * 1_000_003 + i)
        req = err = calls = items = misses = 0
        ru = 0.0
        work = [(cs, n) for cs, (_, n, _) in zip(conts, ents)]
        while next(counter) < a.requests:
            keys = [rng.randrange(n) for _, n in work]
            try:
                if parallel:
                    futs = [pool.submit(read, c, str(k), k) for (cs, _), k in zip(work, keys) for c in cs]
                    res, fail = [], None
                    for f in futs:  # wait for every call, even after a failure
                        try:
                            res.append(f.result())
                        except (AzureError, CosmosHttpResponseError) as e:
                            fail = fail or e
                        calls += 1
                    for found, r in res:
                        items += found
                        misses += not found
                        ru += r
                    if fail:
                        raise fail
                else:
                    for (cs, _), k in zip(work, keys):
                        sid = str(k)
                        for c in cs:
                            calls += 1
                            found, r = read(c, sid, k)
                            items += found
                            misses += not found
                            ru += r
                req += 1
            except (AzureError, CosmosHttpResponseError) as e:
                err += 1
                with lock:
                    if len(examples) < 3:
                        examples.append(f"{type(e).__name__}: {str(e)[:300]}")
        with lock:
            total["requests"] += req + err
            total["errors"] += err
            total["calls"] += calls
            total["items"] += items
            total["misses"] += misses
            total["request_charge"] += ru

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.workers)]
    c0, t0 = cpu_s(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    if pool:
        pool.shutdown()
    ok = total["requests"] - total["errors"]
    out = {
        "tool": "azure-cosmos",
        "fetch": a.fetch,
        "workers": a.workers,
        "tables": ntables,
        **total,
        "items_per_request": round(total["items"] / ok, 4) if ok else 0.0,
        "request_charge_per_request": round(total["request_charge"] / ok, 4) if ok else 0.0,
        "loop_wall_s": round(wall, 4),
        "loop_cpu_s": round(cpu, 4),
        "throughput_rps": round(total["requests"] / wall, 2) if wall > 0 else 0.0,
        "process_cpu_s": round(cpu_s(), 4),
        "azure_cosmos": cosmos_version,
        "python": sys.version.split()[0],
        "error_examples": examples,
    }
    print(json.dumps(out))


# ---------------------------------------------- load, count, drop (tools)

def cmd_load(a):
    # Containers of benchplan's layout filled with keys 0..keys-1 and
    # `features` float properties: for testing this script without benchplan.
    client = make_client(a.endpoint, a.key, pool=a.workers + 2)
    kw = {"offer_throughput": a.throughput} if a.throughput else {}
    db = client.create_database_if_not_exists(a.database, **kw)
    tables = [(t, n) for _, n, ts in a.entity for t in ts]
    for t, _ in tables:
        db.create_container_if_not_exists(id=t, partition_key=PartitionKey(path="/pk"))

    def fill(t, n):
        c = db.get_container_client(t)
        rng = random.Random(t)
        for k in range(n):
            c.upsert_item({"id": str(k), "pk": k, **{f"f{j}": round(rng.random(), 6) for j in range(a.features)}})

    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex:
        list(ex.map(lambda tn: fill(*tn), tables))
    rows = sum(n for _, n in tables)
    print(json.dumps({"containers": len(tables), "items": rows, "seconds": round(time.perf_counter() - t0, 3)}))


def cmd_count(a):
    db = make_client(a.endpoint, a.key).get_database_client(a.database)
    out = {}
    for t in a.containers:
        c = db.get_container_client(t)
        out[t] = sum(c.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True))
    print(json.dumps(out))


def cmd_drop(a):
    # Deletes the containers that exist, then the database if nothing is left in it.
    client = make_client(a.endpoint, a.key)
    db = client.get_database_client(a.database)
    try:
        for t in a.containers:
            try:
                db.delete_container(t)
            except CosmosResourceNotFoundError:
                pass
        if not list(db.list_containers()):
            client.delete_database(a.database)
    except CosmosResourceNotFoundError:
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "load", "count", "drop"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", default=os.environ.get("COSMOS_ENDPOINT"), help="default: $COSMOS_ENDPOINT")
        s.add_argument("--key", default=os.environ.get("COSMOS_KEY") or EMULATOR_KEY, help="default: $COSMOS_KEY, else the emulator's key")
        s.add_argument("--database", default="bpbench")
        if name in ("run", "load"):
            s.add_argument("--entity", type=entity, action="append", required=True, metavar="NAME:KEYS:CONTAINER[,CONTAINER...]")
            s.add_argument("--workers", type=int, default=4)
        else:
            s.add_argument("containers", nargs="+")
    r = sub.choices["run"]
    r.add_argument("--requests", type=int, required=True)
    r.add_argument("--fetch", choices=("serial", "parallel"), required=True)
    r.add_argument("--seed", type=int, default=7)
    ld = sub.choices["load"]
    ld.add_argument("--features", type=int, default=5)
    ld.add_argument("--throughput", type=int, default=0, help="database RU/s (shared); 0: none set")
    a = p.parse_args()
    if not a.endpoint:
        p.error("no endpoint: pass --endpoint or set COSMOS_ENDPOINT")
    if getattr(a, "workers", 1) < 1:
        p.error("--workers must be at least 1")
    {"run": cmd_run, "load": cmd_load, "count": cmd_count, "drop": cmd_drop}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
