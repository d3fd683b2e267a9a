"""Locks with redis-py's Lock (Debian's python3-redis) through respite for a while, as an app would,
while tests/clients/run.sh kills and restarts the Redis behind it. Each cycle: acquire the lock
(SET NX PX), read the protected counter and write it back plus one (a lost update shows as a read
that is not the last value written), INCR a second counter, then alternately extend or reacquire
the lock and release it (those three are Lua scripts: EVALSHA, SCRIPT LOAD on NOSCRIPT).
  usage: python3 redis_py_lock_outage.py PORT SECONDS PREFIX
Prints one JSON line and exits 1 if any command, acquire, extend or release raised an error or an
update was lost. One exception, as README documents: the command in flight when Redis dies may get
`-TRYAGAIN ... the outcome is unknown`; it is listed apart ("unknown") and the counters allow for
it (run.sh accepts at most one per client)."""
import json
import sys
import time

import redis

port, seconds, prefix = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
lock_key, rmw_key, incr_key = prefix + "lock", prefix + "rmw", prefix + "incr"

t0 = time.monotonic()
errors, unknown = [], []  # what an app would see, with when (s since start)


def note(what, e):
    global held_until
    text = e if isinstance(e, str) else f"{type(e).__name__}: {e}"
    entry = {"t": round(time.monotonic() - t0, 3), "what": what, "error": text}
    if str(e).startswith("TRYAGAIN"):
        unknown.append(entry)
        # A release or extend of unknown outcome may have left the lock held until its TTL ends:
        # an acquire refused until then is waiting, as Redis itself would refuse it.
        # Until the TTL the lock had (extend adds 5 s to what was left), or would have had had
        # this command run.
        if what == "release":
            held_until = lock_expires + 0.5
        elif what == "extend":
            held_until = lock_expires + 5.5
        elif what == "reacquire":
            held_until = max(lock_expires, time.monotonic() + 5) + 0.5
    elif what == "acquire" and time.monotonic() < held_until:
        waited.append(entry)
    else:
        errors.append(entry)


held_until = 0.0
lock_expires = 0.0  # when the lock taken in this cycle expires, as far as this client knows
waited = []

# Defaults: no retries, so a dropped connection raises instead of being retried quietly.
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
r.delete(rmw_key, incr_key, lock_key)
cycles = rmw = incrs = incrs_maybe = lost = 0
rmw_maybe = None
last, max_gap = time.monotonic(), 0.0  # the longest wait between two cycles' ends: a stall shows
while time.monotonic() - t0 < seconds:
    # Not blocking: one client, so a lock already held is a failure, not contention to wait out.
    lock = r.lock(lock_key, timeout=5, blocking=False)
    try:
        if not lock.acquire():
            raise redis.exceptions.LockError("lock held, and nobody else takes it")
        lock_expires = time.monotonic() + 5
    except redis.RedisError as e:
        note("acquire", e)
        time.sleep(0.05)
        continue
    try:
        seen = int(r.get(rmw_key) or 0)
        if seen not in (rmw, rmw_maybe):
            lost += 1
            note("lost update", f"read {seen}, last written {rmw}")
        rmw_maybe = seen + 1  # if the SET's outcome is unknown, the next read may see either
        r.set(rmw_key, seen + 1)
        rmw, rmw_maybe = seen + 1, None
        incrs_maybe += 1
        r.incr(incr_key)
        incrs_maybe -= 1
        incrs += 1
    except redis.RedisError as e:
        note("under lock", e)
    try:
        if cycles % 2:
            lock.extend(5)
            lock_expires += 5
        else:
            lock.reacquire()
            lock_expires = time.monotonic() + 5
    except redis.RedisError as e:
        note("extend" if cycles % 2 else "reacquire", e)
    try:
        lock.release()
    except redis.RedisError as e:
        note("release", e)
    cycles += 1
    max_gap = max(max_gap, time.monotonic() - last)
    last = time.monotonic()
    time.sleep(0.002)  # a little room between cycles, as real work would

print(json.dumps({"client": "redis-py-lock", "cycles": cycles, "rmw": rmw, "incrs": incrs,
                  "incrs_unknown": incrs_maybe, "lost": lost, "max_gap_s": round(max_gap, 3),
                  "error_count": len(errors), "waited_for_unknown_release": len(waited),
                  "errors": errors[:200], "unknown": unknown}))
sys.exit(0 if not errors and not lost else 1)
