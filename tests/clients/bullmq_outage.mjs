// A BullMQ queue through respite for a while, as an app would, while tests/clients/run.sh kills and
// restarts the Redis behind it: a Queue adds a job every few ms (one add in flight at a time), a
// Worker (concurrency 4) processes them, and a QueueEvents listener (XREAD BLOCK on the events
// stream) hears their completions. Every add, processor call and completion is tagged with
// respite's state, polled from the admin endpoint's /status, so the summary tells how many
// happened while respite served locally.
//   usage: node bullmq_outage.mjs PORT ADMIN_PORT SECONDS PREFIX
// After SECONDS it stops adding, waits (at most SETTLE_S) for every acknowledged job to complete
// and prints one JSON line. Exits 1 if any job whose add was acknowledged was not processed
// exactly once or not heard completed exactly once, a job that was never added (or another job's
// id) turned up, the worker failed a job, or any client raised an error. As README documents, the
// command in flight when Redis dies may get `-TRYAGAIN ... the outcome is unknown`; those are
// listed apart ("unknown"): an add that got one may be processed at most once, and a job whose
// completion (the worker's moveToFinished) got one may lack its 'completed' events, once for
// each such TRYAGAIN (run.sh then finds it completed, or not, on Redis).
import { Queue, Worker, QueueEvents } from "bullmq";

const [port, adminPort, seconds, prefix] =
  [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const queueName = "outage";
const SETTLE_S = 15;

const t0 = Date.now();
const since = () => (Date.now() - t0) / 1000;
const errors = [], unknown = [];
const isTryAgain = (e) => String(e?.message ?? e).startsWith("TRYAGAIN");
const note = (what, e) => {
  const entry = { t: since(), what, error: String(e?.message ?? e) };
  (isTryAgain(e) ? unknown : errors).push(entry);
};

// respite's state, polled every 50 ms. An operation counts as local when the state was `local` at
// its start and at its end (a poll may lag the real change by up to one period).
let state = "unknown";
let polling = true;
const poll = (async () => {
  while (polling) {
    try {
      const r = await fetch(`http://127.0.0.1:${adminPort}/status`);
      state = (await r.json()).state;
    } catch (e) {
      state = "unknown";
    }
    await new Promise((r) => setTimeout(r, 50));
  }
})();

// BullMQ's own settings: maxRetriesPerRequest null (required by Worker and QueueEvents). respite
// stays up through the outage, so a dropped connection or a reconnect is an error here.
const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
const opts = { connection, prefix };
const queue = new Queue(queueName, opts);
const events = new QueueEvents(queueName, { ...opts, blockingTimeout: 1000 });
for (const [name, emitter] of [["queue", queue], ["queue-events", events]]) {
  emitter.on("error", (e) => note(name, e));
}

const added = new Map();        // n -> { id, local } for every add acknowledged
const addUnknown = new Map();   // n -> the add's error: TRYAGAIN, may or may not exist
const processed = new Map();    // n -> [{ id, t, local }] one per processor call
const completed = new Map();    // n -> [{ id, t, local }] one per Worker 'completed' event
const heard = new Map();        // job id -> count of QueueEvents 'completed' events
let addsLocal = 0, processedLocal = 0, completedLocal = 0, heardLocal = 0;
const push = (m, k, v) => (m.get(k) ?? m.set(k, []).get(k)).push(v);

events.on("completed", ({ jobId }) => {
  heard.set(jobId, (heard.get(jobId) ?? 0) + 1);
  if (state === "local") heardLocal++;
});

const worker = new Worker(queueName, async (job) => {
  const local = state === "local";
  await new Promise((r) => setTimeout(r, 5));  // a little work
  const entry = { id: job.id, t: since(), local: local && state === "local" };
  push(processed, job.data.n, entry);
  if (entry.local) processedLocal++;
  return job.data.n;
}, { ...opts, concurrency: 4 });
worker.on("error", (e) => note("worker", e));
// A job the worker fails because its completion (moveToFinished) met -TRYAGAIN: that completion's
// outcome is unknown (it may have run upstream), so BullMQ's failure is listed with the unknowns.
worker.on("failed", (job, e) => {
  const entry = { t: since(), what: "failed", error: `job ${job?.id} n=${job?.data?.n}: ${e?.message}` };
  (isTryAgain(e) ? unknown : errors).push(entry);
});
worker.on("stalled", (id) => note("stalled", `job ${id}`));
worker.on("completed", (job) => {
  const entry = { id: job.id, t: since(), local: state === "local" };
  push(completed, job.data.n, entry);
  if (entry.local) completedLocal++;
});
await Promise.all([queue.waitUntilReady(), worker.waitUntilReady(), events.waitUntilReady()]);
await queue.obliterate({ force: true });  // a clean queue (a rerun of this script on one Redis)

let n = 0, maxGap = 0, last = Date.now();
while (since() < seconds) {
  n++;
  const localBefore = state === "local";
  try {
    const job = await queue.add("job", { n });
    const local = localBefore && state === "local";
    added.set(n, { id: job.id, local });
    if (local) addsLocal++;
  } catch (e) {
    note("add", e);
    if (isTryAgain(e)) addUnknown.set(n, String(e.message));
  }
  maxGap = Math.max(maxGap, Date.now() - last);
  last = Date.now();
  await new Promise((r) => setTimeout(r, 5));
}

// Every acknowledged job completes, and the listener hears it; then stop.
const settleEnd = Date.now() + SETTLE_S * 1000;
while (Date.now() < settleEnd &&
       ![...added.entries()].every(([k, a]) => completed.has(k) && heard.has(a.id))) {
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 300));  // room for a late duplicate to show
const counts = await queue.getJobCounts("wait", "active", "delayed", "completed", "failed");
await worker.close();
await events.close();
await queue.close();
polling = false;
await poll;

// ------------------------------------------------------------------ verdict
const duplicates = [], missing = [], unexpected = [], notHeard = [], wrongId = [];
const completionUnknown = [];  // processed, but no 'completed' event
for (const [k, a] of added) {
  const p = processed.get(k) ?? [], c = completed.get(k) ?? [];
  if (p.length === 0) missing.push({ n: k, id: a.id });
  else if (c.length === 0) completionUnknown.push({ n: k, id: a.id, heard: heard.get(a.id) ?? 0 });
  else if (!heard.has(a.id)) notHeard.push(a.id);
  if (p.length > 1 || c.length > 1) duplicates.push({ n: k, id: a.id, processed: p, completed: c });
  if ([...p, ...c].some((e) => e.id !== a.id)) wrongId.push({ n: k, added_as: a.id, p, c });
}
const workerUnknown = unknown.filter((u) => u.what === "worker").length;
let unknownCompleted = 0;
for (const [k, p] of processed) {
  if (!added.has(k) && !addUnknown.has(k)) unexpected.push({ n: k, processed: p });
  if (addUnknown.has(k) && (p.length > 1 || (completed.get(k) ?? []).length > 1)) {
    duplicates.push({ n: k, add: "unknown", processed: p, completed: completed.get(k) });
  }
  if (addUnknown.has(k) && completed.has(k)) unknownCompleted++;
}
const ids = new Map();  // one id, one job
for (const [k, a] of added) push(ids, a.id, k);
const idReused = [...ids].filter(([, ns]) => ns.length > 1);
const heardTwice = [...heard].filter(([, c]) => c > 1).map(([id]) => id);
const completedIds = new Set([...completed.values()].flat().map((e) => e.id));

// A worker command that met -TRYAGAIN may have moved a job to active on Redis unheard: the job is
// run again here or, after BullMQ's stalled-job check, once more later. At most one extra run per
// such command, and only for a job run twice (README, Limits).
const explained = duplicates.filter((d) => (d.processed ?? []).length === 2 && d.add !== "unknown");
const unexplained = duplicates.length - Math.min(explained.length, workerUnknown);
const rerunIds = new Set(explained.map((d) => d.id));
const ok = errors.length === 0 && unexplained === 0 && missing.length === 0 &&
  completionUnknown.length <= workerUnknown &&
  unexpected.length === 0 && wrongId.length === 0 && idReused.length === 0 &&
  notHeard.length === 0 && heardTwice.every((id) => rerunIds.has(id));
console.log(JSON.stringify({
  client: "bullmq", queue: `${prefix}:${queueName}`, adds: added.size,
  adds_unknown: addUnknown.size,
  adds_local: addsLocal, processed: [...processed.values()].flat().length,
  processed_local: processedLocal, completed: [...completed.values()].flat().length,
  completed_local: completedLocal, completed_ids: completedIds.size,
  unknown_completed: unknownCompleted,
  processed_jobs: processed.size, completion_unknown: completionUnknown, heard: heard.size,
  heard_local: heardLocal, counts,
  max_add_gap_s: maxGap / 1000, error_count: errors.length, errors: errors.slice(0, 200),
  unknown, duplicates: duplicates.slice(0, 20), duplicates_unexplained: unexplained, missing: missing.slice(0, 20),
  missing_count: missing.length, unexpected: unexpected.slice(0, 20),
  wrong_id: wrongId.slice(0, 20),
  id_reused: idReused.slice(0, 20), not_heard: notHeard.slice(0, 20), heard_twice: heardTwice,
}));
process.exit(ok ? 0 : 1);
