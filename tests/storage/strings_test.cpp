// The string family through the real dispatcher, on RocksDB, with a fake clock. The Step tables
// are the exact bytes redis-server 7.0.15 sent for the same commands (recorded on a fresh db, with
// TTL reads taken right after the write, so the fake clock's standing still agrees with them).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/storage/script_steps.h"
#include "tests/storage/store_harness.h"

namespace respite::storage {
namespace {

using namespace std::string_view_literals;

using Journal = std::vector<std::vector<std::string>>;

// Observed on redis-server 7.0.15.
const Step kSetOptions[] = {
    {{"get", "k"}, "$-1\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"get", "k"}, "$1\r\nv\r\n"sv},
    {{"set", "k", "v", "nx", "nx"}, "$-1\r\n"sv},
    {{"set", "k", "v", "xx", "xx"}, "+OK\r\n"sv},
    {{"set", "k", "v", "nx", "xx"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "xx", "nx"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex", "10", "ex", "10"}, "+OK\r\n"sv},
    {{"set", "k", "v", "ex", "10", "px", "10"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex", "10", "keepttl"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "keepttl", "ex", "10"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "keepttl", "keepttl"}, "+OK\r\n"sv},
    {{"set", "k", "v", "ex", "10", "persist"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "persist"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "foo"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex", "10", "foo"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex", "abc", "foo"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v", "ex", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "k", "v", "EX", "1.5"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "k", "v", "ex", "0"}, "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "ex", "-1"}, "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "px", "0"}, "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "ex", "9223372036854775"},
     "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "ex", "9223372036854776"},
     "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "px", "9223372036854775807"},
     "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "exat", "9223372036854776"},
     "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "k", "v", "exat", "9223372036854775"}, "+OK\r\n"sv},
    {{"set", "k", "v", "pxat", "9223372036854775807"}, "+OK\r\n"sv},
    {{"set", "k", "v", "get", "get"}, "$1\r\nv\r\n"sv},
    {{"set", "k", "w", "NX", "GET"}, "$1\r\nv\r\n"sv},
    {{"set", "k", "x", "xx", "get"}, "$1\r\nv\r\n"sv},
    {{"get", "k"}, "$1\r\nx\r\n"sv},
    {{"set", "n", "v", "xx", "get"}, "$-1\r\n"sv},
    {{"set", "n", "v", "xx"}, "$-1\r\n"sv},
    {{"exists", "n"}, ":0\r\n"sv},
    {{"set", "n", "v", "nx"}, "+OK\r\n"sv},
    {{"set", "n", "w", "nx"}, "$-1\r\n"sv},
    {{"get", "n"}, "$1\r\nv\r\n"sv},
    {{"set", "n2", "v", "nx", "get"}, "$-1\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"set", "l", "v", "ex", "0", "get"}, "-ERR invalid expire time in 'set' command\r\n"sv},
    {{"set", "l", "v", "get"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"set", "l", "v", "nx", "get"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"set", "l", "v", "xx"}, "+OK\r\n"sv},
    {{"get", "l"}, "$1\r\nv\r\n"sv},
    {{"set", "k"}, "-ERR wrong number of arguments for 'set' command\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kSetNxSetEx[] = {
    {{"setnx", "n", "x"}, ":1\r\n"sv},
    {{"setnx", "n", "y"}, ":0\r\n"sv},
    {{"get", "n"}, "$1\r\nx\r\n"sv},
    {{"setex", "k", "0", "v"}, "-ERR invalid expire time in 'setex' command\r\n"sv},
    {{"setex", "k", "-5", "v"}, "-ERR invalid expire time in 'setex' command\r\n"sv},
    {{"setex", "k", "abc", "v"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"psetex", "k", "0", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"sv},
    {{"psetex", "k", "-1", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"sv},
    {{"setex", "k", "9223372036854775", "v"}, "-ERR invalid expire time in 'setex' command\r\n"sv},
    {{"psetex", "k", "9223372036854775807", "v"},
     "-ERR invalid expire time in 'psetex' command\r\n"sv},
    {{"setex", "k", "10", "v"}, "+OK\r\n"sv},
    {{"ttl", "k"}, ":10\r\n"sv},
    {{"psetex", "k", "100000", "v"}, "+OK\r\n"sv},
    {{"ttl", "k"}, ":100\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"setex", "l", "10", "v"}, "+OK\r\n"sv},
    {{"get", "l"}, "$1\r\nv\r\n"sv},
    {{"setex", "k", "10"}, "-ERR wrong number of arguments for 'setex' command\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kMultiKey[] = {
    {{"mset", "a"}, "-ERR wrong number of arguments for 'mset' command\r\n"sv},
    {{"mset", "a", "b", "c"}, "-ERR wrong number of arguments for 'mset' command\r\n"sv},
    {{"msetnx", "a", "b", "c"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"sv},
    {{"mset", "a", "1", "a", "2"}, "+OK\r\n"sv},
    {{"get", "a"}, "$1\r\n2\r\n"sv},
    {{"msetnx", "a", "1", "zz", "2"}, ":0\r\n"sv},
    {{"exists", "zz"}, ":0\r\n"sv},
    {{"msetnx", "x", "1", "y", "2", "x", "3"}, ":1\r\n"sv},
    {{"get", "x"}, "$1\r\n3\r\n"sv},
    {{"get", "y"}, "$1\r\n2\r\n"sv},
    {{"lpush", "l", "v"}, ":1\r\n"sv},
    {{"mget", "a", "l", "nokey", "x"}, "*4\r\n$1\r\n2\r\n$-1\r\n$-1\r\n$1\r\n3\r\n"sv},
    {{"mget", "nokey"}, "*1\r\n$-1\r\n"sv},
    {{"mset", "l", "5"}, "+OK\r\n"sv},
    {{"get", "l"}, "$1\r\n5\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"mget", "a", "nokey"}, "*2\r\n$1\r\n2\r\n_\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kIncrements[] = {
    {{"set", "k", "5"}, "+OK\r\n"sv},
    {{"incrby", "k", "-0"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "k", "007"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "k", "+1"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "k", " 1"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "k", "1.0"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "k", "9223372036854775807"}, "-ERR increment or decrement would overflow\r\n"sv},
    {{"incr", "k"}, ":6\r\n"sv},
    {{"decr", "k"}, ":5\r\n"sv},
    {{"decr", "k"}, ":4\r\n"sv},
    {{"decrby", "k", "10"}, ":-6\r\n"sv},
    {{"decrby", "k", "-10"}, ":4\r\n"sv},
    {{"incrby", "k", "-100"}, ":-96\r\n"sv},
    {{"get", "k"}, "$3\r\n-96\r\n"sv},
    {{"set", "n", "-9223372036854775808"}, "+OK\r\n"sv},
    {{"incrby", "n", "-1"}, "-ERR increment or decrement would overflow\r\n"sv},
    {{"decr", "n"}, "-ERR increment or decrement would overflow\r\n"sv},
    {{"incrby", "n", "0"}, ":-9223372036854775808\r\n"sv},
    {{"decrby", "n", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"sv},
    {{"decrby", "k", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"sv},
    {{"set", "m", "9223372036854775807"}, "+OK\r\n"sv},
    {{"incr", "m"}, "-ERR increment or decrement would overflow\r\n"sv},
    {{"decr", "m"}, ":9223372036854775806\r\n"sv},
    {{"incr", "fresh1"}, ":1\r\n"sv},
    {{"decr", "fresh2"}, ":-1\r\n"sv},
    {{"incrby", "fresh3", "17"}, ":17\r\n"sv},
    {{"decrby", "fresh4", "17"}, ":-17\r\n"sv},
    {{"set", "s", "abc"}, "+OK\r\n"sv},
    {{"incr", "s"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "s", ""}, "+OK\r\n"sv},
    {{"incr", "s"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "s", " 1"}, "+OK\r\n"sv},
    {{"incr", "s"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "s", "1e3"}, "+OK\r\n"sv},
    {{"incr", "s"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "s", "012"}, "+OK\r\n"sv},
    {{"incr", "s"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"incr", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"incrby", "l", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"incrby", "nokey2", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"decrby", "nokey2", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"sv},
    {{"decrby", "nokey2", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kIncrByFloat[] = {
    {{"set", "z", "0"}, "+OK\r\n"sv},
    {{"incrbyfloat", "z", "inf"}, "-ERR increment would produce NaN or Infinity\r\n"sv},
    {{"incrbyfloat", "z", "-inf"}, "-ERR increment would produce NaN or Infinity\r\n"sv},
    {{"incrbyfloat", "z", "infinity"}, "-ERR increment would produce NaN or Infinity\r\n"sv},
    {{"incrbyfloat", "z", "1e-30"}, "$1\r\n0\r\n"sv},
    {{"set", "z", "-0"}, "+OK\r\n"sv},
    {{"incrbyfloat", "z", "-1e-30"}, "$1\r\n0\r\n"sv},
    {{"incrbyfloat", "z", "0x10"}, "$2\r\n16\r\n"sv},
    {{"incrbyfloat", "z", " 1"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "1 "}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "1e-5000"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "1e5000"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "5e-4940"}, "$2\r\n16\r\n"sv},
    {{"incrbyfloat", "z", "abc"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", ""}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "nan"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "z", "1.1"}, "$4\r\n17.1\r\n"sv},
    {{"incrbyfloat", "z", "0.1"}, "$4\r\n17.2\r\n"sv},
    {{"set", "s", "abc"}, "+OK\r\n"sv},
    {{"incrbyfloat", "s", "abc"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "s", "1"}, "-ERR value is not a valid float\r\n"sv},
    {{"lpush", "l", "a"}, ":1\r\n"sv},
    {{"incrbyfloat", "l", "abc"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"incrbyfloat", "nokey", "abc"}, "-ERR value is not a valid float\r\n"sv},
    {{"incrbyfloat", "fresh", "2.5"}, "$3\r\n2.5\r\n"sv},
    {{"set", "a", "0.1"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "0.2"}, "$3\r\n0.3\r\n"sv},
    {{"set", "a", "1.7976931348623157e308"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "1e308"},
     "$309\r\n279769313486231570002352240441350078789299929179619934003987695617693370918830364684014944221042050987341155710361544171686148029276505307138777262321877129888036065002204239033812550598509174132739480498569620043582760541189365866551522561741435317031294527744011878159793174665688773926186886103199182225408\r\n"sv},
    {{"set", "a", "10"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "-10"}, "$1\r\n0\r\n"sv},
    {{"set", "a", "3"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "1e20"}, "$21\r\n100000000000000000000\r\n"sv},
    {{"set", "a", "1.23456789012345678901"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "0"}, "$19\r\n1.23456789012345679\r\n"sv},
    {{"set", "a", "5.0e3"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "0"}, "$4\r\n5000\r\n"sv},
    {{"set", "a", "1."}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "0"}, "$1\r\n1\r\n"sv},
    {{"set", "a", "1e"}, "+OK\r\n"sv},
    {{"incrbyfloat", "a", "0"}, "-ERR value is not a valid float\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"incrbyfloat", "a2", "1.5"}, "$3\r\n1.5\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kAppendStrlen[] = {
    {{"append", "a", ""}, ":0\r\n"sv},
    {{"exists", "a"}, ":1\r\n"sv},
    {{"strlen", "a"}, ":0\r\n"sv},
    {{"append", "a", "abc"}, ":3\r\n"sv},
    {{"append", "a", "def"}, ":6\r\n"sv},
    {{"get", "a"}, "$6\r\nabcdef\r\n"sv},
    {{"strlen", "a"}, ":6\r\n"sv},
    {{"strlen", "nokey"}, ":0\r\n"sv},
    {{"lpush", "l", "x"}, ":1\r\n"sv},
    {{"append", "l", "x"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"strlen", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kSetRange[] = {
    {{"setrange", "b", "5", ""}, ":0\r\n"sv},
    {{"exists", "b"}, ":0\r\n"sv},
    {{"setrange", "b", "-1", "x"}, "-ERR offset is out of range\r\n"sv},
    {{"setrange", "b", "abc", "x"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"lpush", "l", "x"}, ":1\r\n"sv},
    {{"setrange", "l", "-1", "x"}, "-ERR offset is out of range\r\n"sv},
    {{"setrange", "l", "0", ""},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"setrange", "l", "536870912", "x"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"setrange", "b", "536870912", "x"},
     "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"sv},
    {{"setrange", "b", "536870911", ""}, ":0\r\n"sv},
    {{"setrange", "b", "9223372036854775807", "x"},
     "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"sv},
    {{"set", "s", "hello"}, "+OK\r\n"sv},
    {{"setrange", "s", "536870912", ""}, ":5\r\n"sv},
    {{"setrange", "s", "536870912", "x"},
     "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"sv},
    {{"setrange", "s", "536870911", "xy"},
     "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"sv},
    {{"setrange", "s", "7", "xy"}, ":9\r\n"sv},
    {{"get", "s"}, "$9\r\nhello\000\000xy\r\n"sv},
    {{"setrange", "s", "0", ""}, ":9\r\n"sv},
    {{"setrange", "s", "1", "EL"}, ":9\r\n"sv},
    {{"get", "s"}, "$9\r\nhELlo\000\000xy\r\n"sv},
    {{"setrange", "new", "3", "abc"}, ":6\r\n"sv},
    {{"get", "new"}, "$6\r\n\000\000\000abc\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kGetRange[] = {
    {{"getrange", "nokey", "0", "-1"}, "$0\r\n\r\n"sv},
    {{"getrange", "nokey", "a", "1"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"lpush", "l", "x"}, ":1\r\n"sv},
    {{"getrange", "l", "0", "-1"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"getrange", "l", "a", "1"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"set", "s", "hello"}, "+OK\r\n"sv},
    {{"getrange", "s", "0", "-1"}, "$5\r\nhello\r\n"sv},
    {{"getrange", "s", "0", "0"}, "$1\r\nh\r\n"sv},
    {{"getrange", "s", "-1", "-1"}, "$1\r\no\r\n"sv},
    {{"getrange", "s", "-3", "-1"}, "$3\r\nllo\r\n"sv},
    {{"getrange", "s", "-1", "-3"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "3", "1"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "-100", "100"}, "$5\r\nhello\r\n"sv},
    {{"getrange", "s", "5", "100"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "4", "100"}, "$1\r\no\r\n"sv},
    {{"getrange", "s", "100", "200"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "-100", "-50"}, "$1\r\nh\r\n"sv},
    {{"getrange", "s", "2", "-100"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "-100", "2"}, "$3\r\nhel\r\n"sv},
    {{"getrange", "s", "-9223372036854775808", "9223372036854775807"}, "$5\r\nhello\r\n"sv},
    {{"getrange", "s", "9223372036854775807", "-9223372036854775808"}, "$0\r\n\r\n"sv},
    {{"getrange", "s", "0", "9223372036854775807"}, "$5\r\nhello\r\n"sv},
    {{"set", "e", ""}, "+OK\r\n"sv},
    {{"getrange", "e", "0", "-1"}, "$0\r\n\r\n"sv},
    {{"getrange", "e", "0", "0"}, "$0\r\n\r\n"sv},
    {{"getrange", "e", "-1", "0"}, "$0\r\n\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kGetSetGetDel[] = {
    {{"lpush", "l", "v"}, ":1\r\n"sv},
    {{"getdel", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"getset", "l", "v"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"getdel", "nokey"}, "$-1\r\n"sv},
    {{"getset", "fresh", "v"}, "$-1\r\n"sv},
    {{"getset", "fresh", "w"}, "$1\r\nv\r\n"sv},
    {{"get", "fresh"}, "$1\r\nw\r\n"sv},
    {{"getdel", "fresh"}, "$1\r\nw\r\n"sv},
    {{"getdel", "fresh"}, "$-1\r\n"sv},
    {{"exists", "fresh"}, ":0\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"getdel", "nokey"}, "_\r\n"sv},
    {{"getset", "fresh2", "v"}, "_\r\n"sv},
};

// Observed on redis-server 7.0.15.
const Step kGetEx[] = {
    {{"getex", "nokey"}, "$-1\r\n"sv},
    {{"getex", "nokey", "ex", "10"}, "$-1\r\n"sv},
    {{"getex", "nokey", "ex", "0"}, "$-1\r\n"sv},
    {{"getex", "nokey", "ex", "abc"}, "$-1\r\n"sv},
    {{"getex", "nokey", "foo"}, "-ERR syntax error\r\n"sv},
    {{"set", "k", "v"}, "+OK\r\n"sv},
    {{"getex", "k", "ex", "0"}, "-ERR invalid expire time in 'getex' command\r\n"sv},
    {{"getex", "k", "px", "-1"}, "-ERR invalid expire time in 'getex' command\r\n"sv},
    {{"getex", "k", "ex", "abc"}, "-ERR value is not an integer or out of range\r\n"sv},
    {{"getex", "k", "ex", "10", "px", "10"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "ex", "10", "ex", "20"}, "$1\r\nv\r\n"sv},
    {{"ttl", "k"}, ":20\r\n"sv},
    {{"getex", "k", "persist", "persist"}, "$1\r\nv\r\n"sv},
    {{"ttl", "k"}, ":-1\r\n"sv},
    {{"getex", "k", "ex", "10", "persist"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "persist", "ex", "10"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "keepttl"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "nx"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "get"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "ex"}, "-ERR syntax error\r\n"sv},
    {{"getex", "k", "ex", "9223372036854775"}, "-ERR invalid expire time in 'getex' command\r\n"sv},
    {{"getex", "k", "exat", "9223372036854776"},
     "-ERR invalid expire time in 'getex' command\r\n"sv},
    {{"getex", "k", "px", "9223372036854775807"},
     "-ERR invalid expire time in 'getex' command\r\n"sv},
    {{"getex", "k", "EXAT", "99999999999"}, "$1\r\nv\r\n"sv},
    {{"expiretime", "k"}, ":99999999999\r\n"sv},
    {{"getex", "k", "PXAT", "99999999999999"}, "$1\r\nv\r\n"sv},
    {{"pexpiretime", "k"}, ":99999999999999\r\n"sv},
    {{"getex", "k"}, "$1\r\nv\r\n"sv},
    {{"pexpiretime", "k"}, ":99999999999999\r\n"sv},
    {{"getex", "k", "persist"}, "$1\r\nv\r\n"sv},
    {{"ttl", "k"}, ":-1\r\n"sv},
    {{"getex", "k", "pxat", "1"}, "$1\r\nv\r\n"sv},
    {{"exists", "k"}, ":0\r\n"sv},
    {{"lpush", "l2", "a"}, ":1\r\n"sv},
    {{"getex", "l2"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"getex", "l2", "ex", "0"},
     "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"sv},
    {{"getex", "l2", "foo"}, "-ERR syntax error\r\n"sv},
    {{"hello", "3"}, kSwitchProtocol},
    {{"getex", "nokey"}, "_\r\n"sv},
};

TEST(Strings, SetOptions) {
  StoreHarness h;
  RunSteps(h, kSetOptions);
}

TEST(Strings, SetNxSetExPSetEx) {
  StoreHarness h;
  RunSteps(h, kSetNxSetEx);
}

TEST(Strings, MGetMSetMSetNx) {
  StoreHarness h;
  RunSteps(h, kMultiKey);
}

TEST(Strings, IncrDecr) {
  StoreHarness h;
  RunSteps(h, kIncrements);
}

TEST(Strings, IncrByFloat) {
  StoreHarness h;
  RunSteps(h, kIncrByFloat);
}

TEST(Strings, AppendStrlen) {
  StoreHarness h;
  RunSteps(h, kAppendStrlen);
}

TEST(Strings, SetRange) {
  StoreHarness h;
  RunSteps(h, kSetRange);
}

TEST(Strings, GetRange) {
  StoreHarness h;
  RunSteps(h, kGetRange);
}

TEST(Strings, GetSetGetDel) {
  StoreHarness h;
  RunSteps(h, kGetSetGetDel);
}

TEST(Strings, GetEx) {
  StoreHarness h;
  RunSteps(h, kGetEx);
}

TEST(Strings, Resp3NullsAndBulks) {
  StoreHarness h;
  h.session.protocol = 3;
  EXPECT_EQ(h.Run({"get", "k"}), "_\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v", "nx"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v", "nx"}), "_\r\n");
  EXPECT_EQ(h.Run({"set", "k", "w", "get"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"mget", "k", "x"}), "*2\r\n$1\r\nw\r\n_\r\n");
  EXPECT_EQ(h.Run({"incr", "n"}), ":1\r\n");
  EXPECT_EQ(h.Run({"incrbyfloat", "n", "0.5"}), "$3\r\n1.5\r\n");
}

TEST(Strings, SetExpiryFollowsTheClock) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "k", "v", "ex", "10"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pttl", "k"}), ":10000\r\n");
  h.clock.Advance(9999);
  EXPECT_EQ(h.Run({"get", "k"}), "$1\r\nv\r\n");
  h.clock.Advance(1);
  EXPECT_EQ(h.Run({"get", "k"}), "$-1\r\n");

  EXPECT_EQ(h.Run({"set", "k", "v", "px", "1500"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":2\r\n");
  const std::string at = std::to_string(h.clock.NowMs() + 5000);
  EXPECT_EQ(h.Run({"set", "k", "v", "pxat", at}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pexpiretime", "k"}), ":" + at + "\r\n");
  const std::string at_s = std::to_string(h.clock.NowMs() / 1000 + 100);
  EXPECT_EQ(h.Run({"set", "k", "v", "exat", at_s}), "+OK\r\n");
  EXPECT_EQ(h.Run({"expiretime", "k"}), ":" + at_s + "\r\n");

  // KEEPTTL keeps it; a plain SET, GETSET and MSET drop it.
  EXPECT_EQ(h.Run({"set", "k", "w", "keepttl"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"expiretime", "k"}), ":" + at_s + "\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"ttl", "k"}), ":-1\r\n");
  for (const std::vector<std::string>& reset :
       {std::vector<std::string>{"getset", "k", "v"}, {"mset", "k", "v"}}) {
    EXPECT_EQ(h.Run({"expire", "k", "100"}), ":1\r\n");
    h.Run(reset);
    EXPECT_EQ(h.Run({"ttl", "k"}), ":-1\r\n") << JoinArgs(reset);
  }
}

TEST(Strings, ModifiersKeepTheTtl) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "k", "5", "ex", "100"}), "+OK\r\n");
  for (const std::vector<std::string>& modify : {std::vector<std::string>{"incr", "k"},
                                                 {"decrby", "k", "2"},
                                                 {"incrbyfloat", "k", "1.5"},
                                                 {"append", "k", "0"},
                                                 {"setrange", "k", "0", "9"}}) {
    h.Run(modify);
    EXPECT_EQ(h.Run({"ttl", "k"}), ":100\r\n") << JoinArgs(modify);
  }
  EXPECT_EQ(h.Run({"get", "k"}), "$4\r\n9.50\r\n");
}

TEST(Strings, SetInThePastStoresAnExpiredKey) {
  // Redis keeps the key (counted by DBSIZE) until it is next touched; GETEX deletes at once.
  StoreHarness h;
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v2", "pxat", "1", "get"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":0\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"getex", "k", "exat", "1"}), "$1\r\nv\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":0\r\n");
}

TEST(Strings, OverwritingACollectionChangesItsType) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"rpush", "k", "a", "b"}), ":2\r\n");
  EXPECT_EQ(h.Run({"set", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"type", "k"}), "+string\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":1\r\n");
  EXPECT_EQ(h.Run({"rpush", "k2", "a"}), ":1\r\n");
  EXPECT_EQ(h.Run({"mset", "k2", "x"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"get", "k2"}), "$1\r\nx\r\n");
  // A new list of the same name starts empty: the old items are orphans.
  EXPECT_EQ(h.Run({"del", "k2"}), ":1\r\n");
  EXPECT_EQ(h.Run({"rpush", "k2", "z"}), ":1\r\n");
  EXPECT_EQ(h.Run({"lrange", "k2", "0", "-1"}), "*1\r\n$1\r\nz\r\n");
}

TEST(Strings, BinaryValuesAndPersistence) {
  StoreHarness h;
  const std::string value("a\0b\r\n\xff", 6);
  EXPECT_EQ(h.Run({"set", "bin", value}), "+OK\r\n");
  EXPECT_EQ(h.Run({"set", "n", "41"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"pexpire", "n", "60000"}), ":1\r\n");
  h.Reopen();
  EXPECT_EQ(h.Run({"get", "bin"}), "$6\r\n" + value + "\r\n");
  EXPECT_EQ(h.Run({"incr", "n"}), ":42\r\n");
  EXPECT_EQ(h.Run({"pttl", "n"}), ":60000\r\n");
  EXPECT_EQ(h.Run({"dbsize"}), ":2\r\n");
}

TEST(Strings, SetRangePadsWithZeros) {
  StoreHarness h;
  EXPECT_EQ(h.Run({"setrange", "k", "3", "ab"}), ":5\r\n");
  EXPECT_EQ(h.Run({"get", "k"}), std::string("$5\r\n\0\0\0ab\r\n", 11));
}

TEST(Strings, Journal) {
  StoreHarness h;
  const int64_t now = h.clock.NowMs();
  auto journal_of = [&](std::vector<std::string> argv) {
    h.Run(argv);
    return h.store->last_journal();
  };
  EXPECT_EQ(journal_of({"set", "k", "v", "EX", "10", "GET"}),
            (Journal{{"SET", "k", "v", "PXAT", std::to_string(now + 10000)}}));
  EXPECT_EQ(journal_of({"set", "k", "v", "px", "5", "xx"}),
            (Journal{{"SET", "k", "v", "PXAT", std::to_string(now + 5)}}));
  EXPECT_EQ(journal_of({"set", "k", "v", "keepttl"}), (Journal{{"SET", "k", "v", "KEEPTTL"}}));
  EXPECT_EQ(journal_of({"set", "k", "v", "nx"}), Journal{});
  EXPECT_EQ(journal_of({"set", "k2", "v", "nx"}), (Journal{{"SET", "k2", "v"}}));
  EXPECT_EQ(journal_of({"setnx", "k2", "v"}), Journal{});
  EXPECT_EQ(journal_of({"setex", "k", "7", "v"}),
            (Journal{{"SET", "k", "v", "PXAT", std::to_string(now + 7000)}}));
  EXPECT_EQ(journal_of({"psetex", "k", "7", "v"}),
            (Journal{{"SET", "k", "v", "PXAT", std::to_string(now + 7)}}));
  EXPECT_EQ(journal_of({"getex", "k", "ex", "3"}),
            (Journal{{"PEXPIREAT", "k", std::to_string(now + 3000)}}));
  EXPECT_EQ(journal_of({"getex", "k", "persist"}), (Journal{{"PERSIST", "k"}}));
  EXPECT_EQ(journal_of({"getex", "k", "persist"}), Journal{});
  EXPECT_EQ(journal_of({"getex", "k"}), Journal{});
  EXPECT_EQ(journal_of({"getex", "nokey", "ex", "3"}), Journal{});
  EXPECT_EQ(journal_of({"set", "n", "10"}), (Journal{{"SET", "n", "10"}}));
  EXPECT_EQ(journal_of({"incr", "n"}), (Journal{{"INCRBY", "n", "1"}}));
  EXPECT_EQ(journal_of({"decr", "n"}), (Journal{{"INCRBY", "n", "-1"}}));
  EXPECT_EQ(journal_of({"decrby", "n", "5"}), (Journal{{"INCRBY", "n", "-5"}}));
  EXPECT_EQ(journal_of({"incrby", "n", "5"}), (Journal{{"INCRBY", "n", "5"}}));
  EXPECT_EQ(journal_of({"incrbyfloat", "n", "1.5"}), (Journal{{"incrbyfloat", "n", "1.5"}}));
  EXPECT_EQ(journal_of({"incr", "k"}), Journal{});  // an error changes nothing
  EXPECT_EQ(journal_of({"getdel", "n"}), (Journal{{"DEL", "n"}}));
  EXPECT_EQ(journal_of({"getdel", "n"}), Journal{});
  EXPECT_EQ(journal_of({"setrange", "k", "0", ""}), Journal{});
  EXPECT_EQ(journal_of({"append", "k", "x"}), (Journal{{"append", "k", "x"}}));
  EXPECT_EQ(journal_of({"msetnx", "k", "1", "z", "2"}), Journal{});
  EXPECT_EQ(journal_of({"get", "k"}), Journal{});
  EXPECT_EQ(journal_of({"mget", "k", "z"}), Journal{});
}

}  // namespace
}  // namespace respite::storage
