// twilio-node, unchanged, against fakeexports through its HTTPS proxy: create a Bulk Export job, move the fake's
// virtual clock through the control API until the job's days are there, fetch a day (Twilio answers 307 with the
// link in the body) and download its file from the link. Run with node's own test runner:
//
//   FAKEEXPORTS_URL=http://127.0.0.1:8080 HTTP_PROXY=http://127.0.0.1:8080 \
//   NODE_EXTRA_CA_CERTS="$(fakeexports ca)" npm test
//
// twilio-node reads HTTP_PROXY (not HTTPS_PROXY) and then tunnels every https request through it; node reads
// NODE_EXTRA_CA_CERTS once, at start, so it cannot be set from inside the test. The server should run with
// --clock virtual: the test moves its clock. tests/examples/test_node.py runs this file in the suite.
"use strict";

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const https = require("node:https");
const zlib = require("node:zlib");
const { test } = require("node:test");

const createHttpsProxyAgent = require("https-proxy-agent");
const twilio = require("twilio");

const FAKE = (process.env.FAKEEXPORTS_URL || "http://127.0.0.1:8080").replace(/\/$/, "");
const PROXY = process.env.HTTP_PROXY;

// The control API is plain HTTP on the fake's own address; node's fetch ignores HTTP_PROXY, so it goes direct.
async function control(method, path, body) {
  const answer = await fetch(`${FAKE}/_fakeexports${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await answer.text();
  assert.equal(answer.status, 200, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

// The download link is on the vendor's host too (https://bulkexports.twilio.com/_s3/...): through the same proxy.
function download(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: createHttpsProxyAgent(PROXY) }, (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

function day(epoch, daysBefore) {
  return new Date((epoch - daysBefore * 86400) * 1000).toISOString().slice(0, 10);
}

test("a Bulk Export job through the fake's proxy, with the official client unchanged", async () => {
  assert.ok(PROXY, "set HTTP_PROXY to the fake's URL: twilio-node sends its requests through it");
  assert.ok(process.env.NODE_EXTRA_CA_CERTS, "set NODE_EXTRA_CA_CERTS to the fake's CA (fakeexports ca)");
  // a tenant of this run's own: any well-formed Account SID is one
  const accountSid = "AC" + crypto.randomBytes(16).toString("hex");
  const client = twilio(accountSid, "an-auth-token"); // no base URL: https://bulkexports.twilio.com
  const messages = client.bulkexports.v1.exports("Messages");

  // 40 records a day for this tenant (a control API setting), so that no day of the job is one without records:
  // those finish CompletedEmptyRecords and are not listed, as on Twilio
  await control("POST", `/tenants/twilio/${accountSid}`, { records_per_day: 40 });

  // create: two whole days that ended at least two days before the fake's "today"
  const clock = await control("GET", "/clock");
  const wanted = [day(clock.epoch, 4), day(clock.epoch, 3)];
  const job = await messages.exportCustomJobs.create({
    startDay: wanted[0],
    endDay: wanted[1],
    friendlyName: "from node",
  });
  assert.match(job.jobSid, /^JS[0-9a-f]{32}$/);

  // poll the job, advancing the virtual clock 30 s after each answer, until its days are all done
  const finished = (details) => (details || []).every((d) => d.status === "Completed");
  let polled = await client.bulkexports.v1.exports.jobs(job.jobSid).fetch();
  for (let step = 0; !(polled.details && finished(polled.details)) && step < 100; step++) {
    await control("POST", "/clock/advance", { seconds: 30 });
    polled = await client.bulkexports.v1.exports.jobs(job.jobSid).fetch();
  }
  assert.deepEqual(polled.details, [{ status: "Completed", count: 2, days: wanted }]);
  const days = await messages.days.list();
  assert.deepEqual(days.map((d) => d.day).sort(), wanted);

  // fetch a day: its 307 carries the link in its body; twilio-node 6 resolves this fetch to that body as it came
  // ({redirect_to}), not to a DayInstance (its day.js treats the operation as one without a record)
  const fetched = await messages.days(days[0].day).fetch();
  assert.match(fetched.redirect_to, /^https:\/\/bulkexports\.twilio\.com\/_s3\//);
  // download the file through the proxy
  const file = await download(fetched.redirect_to);
  assert.equal(file.status, 200);
  assert.equal(file.body.length, days[0].size);
  const lines = zlib.gunzipSync(file.body).toString().trim().split("\n");
  assert.equal(lines.length, 40);
  assert.equal(JSON.parse(lines[0]).account_sid, accountSid);

  // the fake saw nothing wrong on its side
  const journal = await control("GET", "/journal?vendor=twilio");
  assert.deepEqual(journal.errors, []);
});
