#!/usr/bin/env python3
"""Generates resp/command_table_data.cpp from a real redis-server's COMMAND reply.

Starts redis-server on a free loopback port (no persistence, in a temporary directory), sends
COMMAND over a raw socket, and writes:
  - resp/command_table_data.cpp: one CommandSpec row per command and per subcommand
    ("parent|sub"), sorted by name, formatted with the repository's .clang-format;
  - tests/resp/data/command_reply.resp: the raw RESP bytes of the COMMAND reply (a test fixture
    for ParseCommandReply);
  - resp/key_specs_data.cpp: every command's key specs (COMMAND INFO's tenth element) and the
    commands flagged no_mandatory_keys, for COMMAND GETKEYS (resp/key_specs.h).
The server is stopped on every exit path. Standard library only.

usage: tools/gen_command_table.py [--redis-server PATH] [--clang-format PATH] [--check]
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_CPP = os.path.join(REPO, "resp", "command_table_data.cpp")
OUT_FIXTURE = os.path.join(REPO, "tests", "resp", "data", "command_reply.resp")
OUT_KEY_SPECS = os.path.join(REPO, "resp", "key_specs_data.cpp")
# Key-spec flag name -> respite constant (resp/key_specs.h).
KEY_FLAGS = {
    "RO": "kKeyRO", "RW": "kKeyRW", "OW": "kKeyOW", "RM": "kKeyRM", "access": "kKeyAccess",
    "update": "kKeyUpdate", "insert": "kKeyInsert", "delete": "kKeyDelete",
    "not_key": "kKeyNotKey", "incomplete": "kKeyIncomplete",
    "variable_flags": "kKeyVariableFlags",
}

# Redis flag name -> respite constant (resp/command_table.h). Other flags are ignored.
FLAGS = {
    "write": "kCmdWrite",
    "readonly": "kCmdReadOnly",
    "denyoom": "kCmdDenyOom",
    "admin": "kCmdAdmin",
    "pubsub": "kCmdPubSub",
    "noscript": "kCmdNoScript",
    "blocking": "kCmdBlocking",
    "loading": "kCmdLoading",
    "stale": "kCmdStale",
    "skip_monitor": "kCmdSkipMonitor",
    "fast": "kCmdFast",
    "no_auth": "kCmdNoAuth",
    "may_replicate": "kCmdMayReplicate",
    "movablekeys": "kCmdMovableKeys",
    "no_multi": "kCmdNoMulti",
    "allow_busy": "kCmdAllowBusy",
}
# respite's own flags (resp/command_table.h), by command: what Redis' COMMAND does not say.
RESPITE_FLAGS = {
    # Scripts and functions: a connection of their own upstream, and slow is not dead.
    **{name: ["kCmdRunsScript", "kCmdMayRunLong"]
       for name in ("eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro")},
    # Commands that can keep Redis from answering anyone for a long time.
    **{name: ["kCmdMayRunLong"]
       for name in ("debug", "keys", "flushall", "flushdb", "save", "migrate")},
}
# Emit flags in the header's bit order so rows are stable and easy to compare.
FLAG_ORDER = list(FLAGS.values()) + ["kCmdContainer", "kCmdRunsScript", "kCmdMayRunLong"]


class RespError(Exception):
    pass


class RespReader:
    """Reads RESP2 values from a socket and keeps every byte it consumed in `raw`."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0
        self.raw = bytearray()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise RespError("connection closed by redis-server")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos:end])
                self.raw += self.buf[self.pos:end + 2]
                self.pos = end + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise RespError("bulk string not terminated by CRLF")
        self.raw += self.buf[self.pos:self.pos + n + 2]
        self.pos += n + 2
        return data

    def read(self):
        """Returns str (status, bulk), int, list, None (nil), or RespError (an error reply)."""
        line = self._line()
        if not line:
            raise RespError("empty line")
        kind, rest = chr(line[0]), line[1:]
        if kind == "+":
            return rest.decode()
        if kind == "-":
            return RespError(rest.decode())
        if kind == ":":
            return int(rest)
        if kind == "$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == "*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RespError("unexpected RESP type byte %r" % kind)

    def take_raw(self):
        raw, self.raw = bytes(self.raw), bytearray()
        return raw


def encode_command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server. Use as a context manager: it is stopped on exit, always."""

    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.port = None
        self.dir = None
        self.log = None

    def __enter__(self):
        # __exit__ does not run when __enter__ fails (or SIGTERM lands in it): clean up here.
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        self.dir = tempfile.mkdtemp(prefix="respite-gen-")
        self.log = open(os.path.join(self.dir, "redis.log"), "w+")
        # A free port can be taken between probing and binding; try a few.
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--daemonize", "no",
                 "--dir", self.dir, "--logfile", ""],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=subprocess.STDOUT)
            if self._wait_ready(10.0):
                return
            self._stop()
        raise RuntimeError("redis-server did not start; log:\n" + self._log_text())

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                    s.sendall(encode_command("PING"))
                    if RespReader(s).read() == "PONG":
                        return True
            except (OSError, RespError):
                pass
            time.sleep(0.05)
        return False

    def _log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def _stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __exit__(self, *exc):
        self._stop()
        if self.log:
            self.log.close()
            self.log = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        return False


def query(binary):
    """Returns (redis_version, parsed COMMAND reply, raw COMMAND reply bytes)."""
    with RedisServer(binary) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30.0) as s:
            reader = RespReader(s)
            s.sendall(encode_command("INFO", "server"))
            info = reader.read()
            if not isinstance(info, str):
                raise RuntimeError("INFO failed: %r" % (info,))
            version = next((l.split(":", 1)[1].strip() for l in info.splitlines()
                            if l.startswith("redis_version:")), None)
            if not version:
                raise RuntimeError("no redis_version in INFO server")
            reader.take_raw()
            s.sendall(encode_command("COMMAND"))
            reply = reader.read()
            raw = reader.take_raw()
            if not isinstance(reply, list):
                raise RuntimeError("COMMAND failed: %r" % (reply,))
            return version, reply, raw


def rows_from(entry, parent, out):
    """Appends (name, arity, flags, first, last, step) for `entry` and its subcommands."""
    if not isinstance(entry, list) or len(entry) < 6:
        raise RuntimeError("malformed COMMAND entry: %r" % (entry,))
    name, arity, flags, first, last, step = entry[:6]
    name = name.lower()
    if parent is not None and "|" not in name:
        name = parent + "|" + name
    consts = {FLAGS[f] for f in flags if f in FLAGS}
    subs = entry[9] if len(entry) > 9 and isinstance(entry[9], list) else []
    if subs:
        consts.add("kCmdContainer")
    consts.update(RESPITE_FLAGS.get(name, []))
    ordered = [c for c in FLAG_ORDER if c in consts] + sorted(consts - set(FLAG_ORDER))
    out.append((name, arity, ordered, first, last, step))
    for sub in subs:
        rows_from(sub, name, out)


def pairs(flat):
    """A RESP2 flat map (["k1", v1, "k2", v2, ...]) as a dict."""
    return dict(zip(flat[0::2], flat[1::2])) if isinstance(flat, list) else {}


def key_spec_rows_from(entry, parent, out, no_mandatory):
    """Appends (name, flags, begin_search, find_keys) per key spec of `entry` and its
    subcommands; adds the names of no_mandatory_keys commands to `no_mandatory`."""
    name = entry[0].lower()
    if parent is not None and "|" not in name:
        name = parent + "|" + name
    if "no_mandatory_keys" in entry[2]:
        no_mandatory.add(name)
    specs = entry[8] if len(entry) > 8 and isinstance(entry[8], list) else []
    for spec in specs:
        spec = pairs(spec)
        flags = [KEY_FLAGS[f] for f in spec.get("flags", []) if f in KEY_FLAGS]
        bs, fk = pairs(spec.get("begin_search")), pairs(spec.get("find_keys"))
        bs_spec, fk_spec = pairs(bs.get("spec")), pairs(fk.get("spec"))
        if bs.get("type") == "index":
            begin = "{KeySpec::kIndex, %d, {}}" % bs_spec["index"]
        elif bs.get("type") == "keyword":
            begin = '{KeySpec::kKeyword, %d, "%s"}' % (bs_spec["startfrom"], bs_spec["keyword"])
        else:
            begin = "{KeySpec::kUnknownSearch, 0, {}}"
        if fk.get("type") == "range":
            find = "{KeySpec::kRange, %d, %d, %d}" % (
                fk_spec["lastkey"], fk_spec["keystep"], fk_spec["limit"])
        elif fk.get("type") == "keynum":
            find = "{KeySpec::kKeyNum, %d, %d, %d}" % (
                fk_spec["keynumidx"], fk_spec["firstkey"], fk_spec["keystep"])
        else:
            find = "{KeySpec::kUnknownFind, 0, 0, 0}"
        out.append((name, " | ".join(flags) or "0", begin, find))
    subs = entry[9] if len(entry) > 9 and isinstance(entry[9], list) else []
    for sub in subs:
        key_spec_rows_from(sub, name, out, no_mandatory)


def render_key_specs(version, rows, no_mandatory):
    lines = [
        "// GENERATED FILE - DO NOT EDIT.",
        "// Generated by `python3 tools/gen_command_table.py` from the COMMAND reply of",
        "// redis-server %s: each command's key specs in Redis' order, commands sorted by name."
        % version,
        "",
        '#include "resp/key_specs.h"',
        "",
        "namespace respite::resp {",
        "",
        "const KeySpecRow kKeySpecRows[] = {",
    ]
    for name, flags, begin, find in rows:
        lines.append('    {"%s", {%s, %s, %s}},' % (name, flags, begin, find))
    lines += [
        "};",
        "const size_t kKeySpecRowCount = sizeof(kKeySpecRows) / sizeof(kKeySpecRows[0]);",
        "",
        "const std::string_view kNoMandatoryKeysCommands[] = {",
    ]
    lines += ['    "%s",' % n for n in sorted(no_mandatory)]
    lines += [
        "};",
        "const size_t kNoMandatoryKeysCommandCount =",
        "    sizeof(kNoMandatoryKeysCommands) / sizeof(kNoMandatoryKeysCommands[0]);",
        "",
        "}  // namespace respite::resp",
        "",
    ]
    return "\n".join(lines)


def render(version, rows):
    lines = [
        "// GENERATED FILE - DO NOT EDIT.",
        "// Generated by `python3 tools/gen_command_table.py` from the COMMAND reply of",
        "// redis-server %s (%d rows: commands and \"parent|sub\" subcommands, sorted by name)."
        % (version, len(rows)),
        "",
        '#include "resp/command_table.h"',
        "",
        "namespace respite::resp {",
        "",
        "const CommandSpec kBuiltinCommands[] = {",
    ]
    for name, arity, flags, first, last, step in rows:
        lines.append('    {"%s", %d, %s, %d, %d, %d},'
                     % (name, arity, " | ".join(flags) or "0", first, last, step))
    lines += [
        "};",
        "const size_t kBuiltinCommandCount ="
        " sizeof(kBuiltinCommands) / sizeof(kBuiltinCommands[0]);",
        "",
        "}  // namespace respite::resp",
        "",
    ]
    return "\n".join(lines)


def clang_format(text, binary):
    return subprocess.run([binary, "--style=file", "--assume-filename=" + OUT_CPP],
                          input=text, capture_output=True, text=True, check=True,
                          cwd=REPO).stdout


def normalized(entries):
    """COMMAND lists commands (and subcommands) in hash-table order, which varies between runs;
    this is the reply with both sorted by name, for comparing two replies."""
    out = []
    for e in entries:
        e = list(e)
        if len(e) > 9 and isinstance(e[9], list):
            e[9] = normalized(e[9])
        out.append(e)
    return sorted(out, key=lambda e: e[0])


def same_reply(old, new):
    class Bytes:
        def __init__(self, data):
            self.data = data

        def recv(self, _):
            data, self.data = self.data, b""
            return data

    try:
        old, new = RespReader(Bytes(old)).read(), RespReader(Bytes(new)).read()
        return normalized(old) == normalized(new)
    except (RespError, ValueError, TypeError):
        return False


def write_if_changed(path, data, check, same=lambda old, new: old == new):
    old = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            old = f.read()
    if old is not None and same(old, data):
        return False
    if check:
        print("out of date: " + os.path.relpath(path, REPO), file=sys.stderr)
        return True
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print("wrote " + os.path.relpath(path, REPO))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--clang-format", default=shutil.which("clang-format") or "clang-format")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 when the outputs are out of date")
    args = ap.parse_args()

    # SIGTERM should unwind through the context managers so the server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    version, reply, raw = query(args.redis_server)
    rows = []
    for entry in reply:
        rows_from(entry, None, rows)
    rows.sort(key=lambda r: r[0])
    names = [r[0] for r in rows]
    if len(set(names)) != len(names):
        raise RuntimeError("duplicate command names in COMMAND reply")

    cpp = clang_format(render(version, rows), args.clang_format)
    changed = write_if_changed(OUT_CPP, cpp.encode(), args.check)
    spec_rows, no_mandatory = [], set()
    for entry in reply:
        key_spec_rows_from(entry, None, spec_rows, no_mandatory)
    # A stable sort keeps each command's specs in Redis' order.
    spec_rows.sort(key=lambda r: r[0])
    specs_cpp = clang_format(render_key_specs(version, spec_rows, no_mandatory), args.clang_format)
    changed |= write_if_changed(OUT_KEY_SPECS, specs_cpp.encode(), args.check)
    # Kept as is when only the order differs, so regenerating does not churn the fixture.
    changed |= write_if_changed(OUT_FIXTURE, raw, args.check, same_reply)
    print("redis-server %s: %d commands, %d rows" % (version, len(reply), len(rows)))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
