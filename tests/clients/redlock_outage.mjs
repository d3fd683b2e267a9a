// Locks with Redlock (npm `redlock`, on ioredis) through respite for a while, as an app would, while
// tests/clients/run.sh kills and restarts the Redis behind it. Each cycle: acquire the lock (a Lua
// script), read the protected counter and write it back plus one (a lost update shows as a read
// that is not the last value written), INCR a second counter, extend the lock every other cycle
// (a script), release it (a script).
//   usage: node redlock_outage.mjs PORT SECONDS PREFIX
// Prints one JSON line and exits 1 if any command, acquire, extend or release raised an error or
// an update was lost. One exception, as README documents: the command in flight when Redis dies
// may get `-TRYAGAIN ... the outcome is unknown`; it is listed apart ("unknown") and the counters
// allow for it (run.sh accepts at most one per client).
import Redis from "ioredis";
import Redlock from "redlock";

const [port, seconds, prefix] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const lockKey = `${prefix}lock`, rmwKey = `${prefix}rmw`, incrKey = `${prefix}incr`;
const ttlMs = 5000;

const t0 = Date.now();
const errors = [], unknown = [], waited = [];  // what an app would see, with when (s since start)
const isTryAgain = (e) => String(e?.message ?? e).startsWith("TRYAGAIN");
// A release (or extend) whose outcome is unknown may have left the lock held: until its TTL ends
// an acquire may be refused, as Redis itself would refuse it. Those refusals are waiting, not
// errors; any other refusal is one.
let heldUntil = 0;
const note = (what, e) => {
  const entry = { t: (Date.now() - t0) / 1000, what, error: String(e) };
  if (isTryAgain(e)) {
    unknown.push(entry);
    if (what === "release" || what === "extend") heldUntil = Date.now() + ttlMs + 500;
  } else if (what === "acquire" && Date.now() < heldUntil) {
    waited.push(entry);
  } else {
    errors.push(entry);
  }
};

// No offline queue: a dropped connection must show as an error, not be papered over.
const redis = new Redis({ port, host: "127.0.0.1", enableOfflineQueue: false, lazyConnect: true });
redis.on("error", (e) => note("connection", e));
redis.on("reconnecting", () => note("connection", "reconnecting"));
await redis.connect();
// retryCount 0: one client, so any refusal is a failure, not contention to wait out (Redlock's
// retries would hide it). Redlock throws a generic ExecutionError and emits the cause, so keep
// the operation's first cause (a failed acquire then runs the release script, which emits again).
const redlock = new Redlock([redis], { retryCount: 0 });
let cause = null;
redlock.on("error", (e) => { cause ??= e; });
async function locking(what, op) {
  cause = null;
  try {
    return await op();
  } catch (e) {
    note(what, cause ?? e);
    return null;
  }
}

let cycles = 0, rmw = 0, rmwMaybe = null, incrs = 0, incrsMaybe = 0, lost = 0;
let last = Date.now(), maxGap = 0;  // the longest wait between two cycles' ends: a stall shows here
await redis.del(rmwKey, incrKey, lockKey);
while (Date.now() - t0 < seconds * 1000) {
  let lock = await locking("acquire", () => redlock.acquire([lockKey], ttlMs));
  if (lock === null) {
    await new Promise((r) => setTimeout(r, 50));
    continue;
  }
  try {
    const seen = Number((await redis.get(rmwKey)) ?? 0);
    if (seen !== rmw && seen !== rmwMaybe) {
      lost++;
      note("lost update", `read ${seen}, last written ${rmw}`);
    }
    rmwMaybe = seen + 1;  // if the SET's outcome is unknown, the next read may see either
    await redis.set(rmwKey, seen + 1);
    rmw = seen + 1;
    rmwMaybe = null;
    incrsMaybe++;
    await redis.incr(incrKey);
    incrsMaybe--;
    incrs++;
  } catch (e) {
    note("under lock", e);
  }
  if (cycles % 2 === 1) lock = (await locking("extend", () => lock.extend(ttlMs))) ?? lock;
  await locking("release", () => lock.release());
  cycles++;
  maxGap = Math.max(maxGap, Date.now() - last);
  last = Date.now();
  await new Promise((r) => setTimeout(r, 2));  // a little room between cycles, as real work would
}
redis.disconnect();
console.log(JSON.stringify({ client: "node-redlock", cycles, rmw, incrs, incrs_unknown: incrsMaybe,
                             lost, max_gap_s: maxGap / 1000, error_count: errors.length,
                             waited_for_unknown_release: waited.length,
                             errors: errors.slice(0, 200), unknown }));
process.exit(errors.length === 0 && lost === 0 ? 0 : 1);
