#!/usr/bin/python3
"""How often a traced program opened FILE and how many of its bytes it read
(tests/cli/test_cli.sh checks that a scan and an enrolment read a file once).

Usage: io_count.py STRACE_LOG FILE
The log is `strace -f -e trace=openat,open,read,pread64,readv,preadv,close,
dup,dup2,dup3,mmap` output.  Prints "opens N read_bytes B mapped_bytes M":
opens of FILE (by its real path), bytes read from its descriptors by read
calls, and bytes of it mapped.  Page faults on a mapping are not system
calls: a mapped file is read from disk once, by the kernel, however many
stages look at it.
"""
import os
import re
import sys

log, target = sys.argv[1], os.path.realpath(sys.argv[2])
fds = {}            # fd -> path (the traced threads share one table)
opens = read = mapped = 0
line_re = re.compile(r'^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|0x[0-9a-f]+)')
for line in open(log, errors="replace"):
    m = line_re.match(line)
    if not m:
        continue
    call, args, ret = m.group(2), m.group(3), m.group(4)
    if call in ("openat", "open"):
        pm = re.search(r'"((?:[^"\\]|\\.)*)"', args)
        if pm and not ret.startswith("-"):
            path = os.path.realpath(pm.group(1))
            fds[int(ret)] = path
            if path == target:
                opens += 1
    elif call == "close":
        fds.pop(int(args.split(",")[0]), None)
    elif call in ("dup", "dup2", "dup3") and not ret.startswith("-"):
        old = int(args.split(",")[0])
        if old in fds:
            fds[int(ret)] = fds[old]
    elif call in ("read", "pread64", "readv", "preadv"):
        fd = int(args.split(",")[0])
        if fds.get(fd) == target and not ret.startswith("-"):
            read += int(ret)
    elif call == "mmap":
        parts = [p.strip() for p in args.split(",")]
        if len(parts) >= 6 and parts[4].lstrip("-").isdigit():
            if fds.get(int(parts[4])) == target:
                mapped += int(parts[1])
print("opens %d read_bytes %d mapped_bytes %d" % (opens, read, mapped))
