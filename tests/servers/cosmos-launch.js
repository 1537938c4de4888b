#!/usr/bin/env node
// Launcher for @vercel/cosmosdb-server that makes it usable by today's
// azure_data_cosmos (Rust) and azure-cosmos (Python) SDKs over plain HTTP.
//
// Usage: node cosmos-launch.js [--port N] [--host 127.0.0.1] [--log]
//   Prints "READY http://HOST:PORT/" on stdout once listening.
//   PORT 0 picks a free port (the READY line has the real one).
//
// Patches (all done around the server's own request handler, no fork):
//  1. plain HTTP server (createHttpServer) with keepAlive: true, so responses
//     carry "connection: keep-alive" instead of "connection: close".
//  2. GET / (account document): https:// endpoints rewritten to http:// so the
//     SDK keeps talking plain HTTP after reading the account topology.
//  3. GET .../pkranges: partition key range "id" (a number 0 in the server)
//     rewritten to the string "0"; the SDK's serde model expects a string.
//  4. queries (POST with x-ms-documentdb-isquery / application/query+json):
//     x-ms-documentdb-query-enablecrosspartition: true is forced, since the
//     server rejects queries that do not name the partition key otherwise
//     ("missing partition keys"), and the SDK routes queries by pk range.
//  5. content-location header rewritten to http:// (cosmetic).
//  6. GET of a missing document answers 404 (the server crashes with 500
//     "Cannot read properties of undefined" when a pk header is present).
//  7. query-plan requests (x-ms-cosmos-is-query-plan-request: True, sent by the
//     Rust SDK for aggregates/ORDER BY/DISTINCT/...) answered with a pass-through
//     plan over the single range "" .. "FF" (see below).
// Options: --https serves the package's bundled certificate (expired 2021-01-28)
// instead; then patches 2 and 5 are skipped.
// Env: COSMOS_LAUNCH_LOG=1 (one line per request on stderr),
//      COSMOS_LAUNCH_LOG_HEADERS=1, COSMOS_LAUNCH_DISABLE=<patch names>,
//      COSMOS_LAUNCH_KEY / COSMOS_LAUNCH_THROTTLE_EVERY (with
//      COSMOS_LAUNCH_RETRY_AFTER_MS and COSMOS_LAUNCH_THROTTLE_CHARGE) /
//      COSMOS_LAUNCH_CHARGE=vary and GET /__launch/tally (test hooks, see below).
"use strict";
const crypto = require("crypto");
const { createHttpServer, createHttpsServer } = require("@vercel/cosmosdb-server");

const argv = process.argv.slice(2);
let port = 0;
let host = "127.0.0.1";
let log = !!process.env.COSMOS_LAUNCH_LOG;
let https = false; // --https: the bundled (expired, self-signed) certificate; no scheme rewrite needed
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--port" || argv[i] === "-p") port = parseInt(argv[++i], 10);
  else if (argv[i] === "--host") host = argv[++i];
  else if (argv[i] === "--log") log = true;
  else if (argv[i] === "--https") https = true;
}

// For experiments: COSMOS_LAUNCH_DISABLE=account,pkranges,crosspartition,keepalive,notfound,queryplan
const disabled = new Set((process.env.COSMOS_LAUNCH_DISABLE || "").split(",").filter(Boolean));
const on = name => !disabled.has(name);

const truthy = v => typeof v === "string" && v.toLowerCase() === "true";

const server = https
  ? createHttpsServer({ keepAlive: on("keepalive") })
  : createHttpServer({ keepAlive: on("keepalive") });
// The package registers its handler as the 'request' listener; take it over.
const inner = server.listeners("request").slice();
server.removeAllListeners("request");

const throttleEvery = parseInt(process.env.COSMOS_LAUNCH_THROTTLE_EVERY || "0", 10);
let docRequests = 0;
// Test hooks for request charges (the server charges exactly 1 RU for
// everything): COSMOS_LAUNCH_CHARGE=vary answers document requests with
// charges 1, 1.25, 1.5, 1.75, 2, 1, ... in turn, so a sum of recorded
// charges cannot pass by counting requests. GET /__launch/tally gives the
// number of document responses, the sum of the charges they carried and
// the number of 429s the throttle hook sent; ?reset=1 zeroes it after reading.
const varyCharge = process.env.COSMOS_LAUNCH_CHARGE === "vary";
let docResponses = 0;
const tally = { responses: 0, charge: 0, throttled: 0, collection_kb: 0 };
// COSMOS_LAUNCH_RESOURCE_USAGE=1: a container read with
// x-ms-documentdb-populatequotainfo answers x-ms-resource-usage, with
// collectionSize (KB) = the bytes of the document bodies written into that
// container so far, rounded up (the server keeps no sizes of its own).
const resourceUsage = !!process.env.COSMOS_LAUNCH_RESOURCE_USAGE;
const written = new Map(); // "dbs/x/colls/y" -> bytes
function countCharge(pathname, value) {
  if (!/\/docs(\/|$)/.test(pathname)) return;
  tally.responses += 1;
  tally.charge += Number(value) || 0;
}
// A 429 carries COSMOS_LAUNCH_THROTTLE_CHARGE request units (default 0).
const throttleCharge = process.env.COSMOS_LAUNCH_THROTTLE_CHARGE || "0";
function reply(res, status, body) {
  const charge = status === 429 ? throttleCharge : "0";
  countCharge((res.req.url || "/").split("?")[0], charge);
  if (status === 429) tally.throttled += 1;
  res.writeHead(status, {
    "content-type": "application/json",
    "connection": on("keepalive") ? "keep-alive" : "close",
    "x-ms-request-charge": charge,
    "x-ms-activity-id": crypto.randomUUID(),
  });
  res.end(JSON.stringify(body));
  if (log) process.stderr.write(`${res.req.method} ${res.req.url} hook -> ${status}\n`);
}
// Cosmos master-key auth: sig = base64(HMAC-SHA256(key, verb\ntype\nlink\ndate\n\n)).
function authOk(req, pathname) {
  const parts = pathname.split("/").filter(Boolean);
  let type = "";
  let link = "";
  if (parts.length) {
    if (parts.length % 2 === 1) {
      // feed: /dbs/x/colls  -> type colls, link dbs/x
      type = parts[parts.length - 1];
      link = parts.slice(0, -1).join("/");
    } else {
      type = parts[parts.length - 2];
      link = parts.join("/");
    }
  }
  const date = (req.headers["x-ms-date"] || "").toLowerCase();
  const text = `${req.method.toLowerCase()}\n${type.toLowerCase()}\n${decodeURIComponent(link)}\n${date}\n\n`;
  const sig = crypto
    .createHmac("sha256", Buffer.from(process.env.COSMOS_LAUNCH_KEY, "base64"))
    .update(text)
    .digest("base64");
  const got = decodeURIComponent(req.headers.authorization || "");
  return got === `type=master&ver=1.0&sig=${sig}`;
}

server.on("request", (req, res) => {
  const url = req.url || "/";
  let pathname = url.split("?")[0].replace(/^\/\//, "/");
  while (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);

  const isQuery =
    req.method === "POST" &&
    (truthy(req.headers["x-ms-documentdb-isquery"]) ||
      (req.headers["content-type"] || "").startsWith("application/query+json"));
  if (isQuery && on("crosspartition")) {
    // Patch 4. Node lower-cases incoming header names; the server reads req.headers.
    req.headers["x-ms-documentdb-query-enablecrosspartition"] = "true";
    // The server matches content-type exactly; the SDK may add "; charset=...".
    if ((req.headers["content-type"] || "").startsWith("application/query+json"))
      req.headers["content-type"] = "application/query+json";
  }

  if (pathname === "/__launch/tally") {
    const body = JSON.stringify(tally);
    if (/[?&]reset=1/.test(url)) {
      tally.responses = 0;
      tally.charge = 0;
      tally.throttled = 0;
      tally.collection_kb = 0;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    return res.end(body);
  }

  if (process.env.COSMOS_LAUNCH_LOG_HEADERS)
    process.stderr.write(`${req.method} ${url} ${JSON.stringify(req.headers)}\n`);

  // Optional test hooks (not needed for compatibility):
  //  COSMOS_LAUNCH_KEY=<base64 key>: verify the master-key signature, else 401.
  //  COSMOS_LAUNCH_THROTTLE_EVERY=N: every Nth document request gets 429 with
  //  x-ms-retry-after-ms (COSMOS_LAUNCH_RETRY_AFTER_MS, default 5).
  if (process.env.COSMOS_LAUNCH_KEY && !authOk(req, pathname)) {
    return reply(res, 401, { code: "Unauthorized", message: "The input authorization token can't serve the request." });
  }
  if (throttleEvery > 0 && /\/docs(\/|$)/.test(pathname) && ++docRequests % throttleEvery === 0) {
    res.setHeader("x-ms-retry-after-ms", String(process.env.COSMOS_LAUNCH_RETRY_AFTER_MS || 5));
    res.setHeader("x-ms-substatus", "3200");
    req.resume();
    return reply(res, 429, { code: "TooManyRequests", message: "Request rate is large." });
  }

  if (isQuery && on("queryplan") && truthy(req.headers["x-ms-cosmos-is-query-plan-request"])) {
    // Patch 7: the server has no query-plan endpoint (it would run the query and
    // return documents). Answer with a pass-through plan over the single full
    // range: the server evaluates the whole query (COUNT, ORDER BY, TOP ...)
    // itself, which is correct because it has only one partition key range.
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({
        partitionedQueryExecutionInfoVersion: 2,
        queryRanges: [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }],
      });
      res.writeHead(200, {
        "content-type": "application/json",
        "connection": on("keepalive") ? "keep-alive" : "close",
        "x-ms-request-charge": "0",
        "x-ms-activity-id": crypto.randomUUID(),
      });
      res.end(body);
      if (log) process.stderr.write(`${req.method} ${url} queryplan -> 200\n`);
    });
    return;
  }

  if (resourceUsage) {
    const docs = pathname.match(/^\/(dbs\/[^/]+\/colls\/[^/]+)\/docs$/);
    if (docs && req.method === "POST" && !isQuery) {
      const key = decodeURIComponent(docs[1]);
      written.set(key, (written.get(key) || 0) + parseInt(req.headers["content-length"] || "0", 10));
    }
    const coll = pathname.match(/^\/(dbs\/[^/]+\/colls\/[^/]+)$/);
    if (coll && req.method === "GET" && truthy(req.headers["x-ms-documentdb-populatequotainfo"])) {
      const kb = Math.ceil((written.get(decodeURIComponent(coll[1])) || 0) / 1024);
      tally.collection_kb += kb;
      res.setHeader("x-ms-resource-usage", `documentsSize=${kb};documentsCount=0;collectionSize=${kb}`);
    }
  }

  const isAccount = req.method === "GET" && pathname === "/";
  const isPkRanges = req.method === "GET" && /\/pkranges$/.test(pathname);

  const origSetHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    if (String(name).toLowerCase() === "x-ms-request-charge") {
      if (varyCharge && /\/docs(\/|$)/.test(pathname)) value = String(1 + (docResponses++ % 5) * 0.25);
      countCharge(pathname, value);
    }
    // Patch 5.
    if (!https && String(name).toLowerCase() === "content-location" && typeof value === "string")
      value = value.replace(/^https:\/\//, "http://");
    return origSetHeader(name, value);
  };

  const origEnd = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    if (typeof chunk === "string" && chunk.length) {
      try {
        if (isAccount && on("account") && !https) {
          // Patch 2.
          chunk = chunk.replace(/"https:\/\//g, '"http://');
        } else if (isPkRanges && on("pkranges")) {
          // Patch 3.
          const body = JSON.parse(chunk);
          if (Array.isArray(body.PartitionKeyRanges)) {
            for (const r of body.PartitionKeyRanges) {
              if (typeof r.id === "number") r.id = String(r.id);
              if (Array.isArray(r.parents)) r.parents = r.parents.map(String);
            }
            chunk = JSON.stringify(body);
          }
        } else if (
          on("notfound") &&
          req.method === "GET" &&
          res.statusCode === 500 &&
          /\/docs\/[^/]+$/.test(pathname) &&
          /Cannot read propert/.test(chunk)
        ) {
          // Patch 6.
          res.statusCode = 404;
          chunk = JSON.stringify({
            code: "NotFound",
            message: "Entity with the specified id does not exist in the system.",
          });
        }
      } catch (e) {
        /* leave body unchanged */
      }
    }
    if (log) {
      process.stderr.write(
        `${req.method} ${url} q=${isQuery} -> ${res.statusCode}` +
          (res.statusCode >= 400 ? ` ${String(chunk).slice(0, 200)}` : "") +
          "\n"
      );
    }
    return origEnd(chunk, ...rest);
  };

  for (const l of inner) l.call(server, req, res);
});

server.listen(port, host, () => {
  const a = server.address();
  const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
  process.stdout.write(`READY ${https ? "https" : "http"}://${h}:${a.port}/\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
