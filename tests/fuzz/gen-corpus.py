#!/usr/bin/env python3
"""Write the binary seeds of tests/fuzz/corpus/{frame,request}.

The text seeds of the other targets are written by hand; these are
protobuf bytes, so they are encoded here from readable descriptions
(field numbers from proto/*.proto).  Run from the source tree:
    python3 tests/fuzz/gen-corpus.py
Only needed when the protocol changes; the output is committed.
"""
import os
import struct

VERSION = (1 << 16) | 0


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def f_varint(num, v):
    return varint(num << 3) + varint(v)


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return varint((num << 3) | 2) + varint(len(b)) + b


def request(body_field, body, rid=7, version=VERSION):
    return f_varint(1, rid) + f_varint(2, version) + f_bytes(body_field, body)


def frame(req=None, resp=None):
    msg = f_bytes(1, req) if req is not None else f_bytes(2, resp)
    return struct.pack(">I", len(msg)) + msg


def spec(**kw):
    """JobSpec fields by name (proto/types.proto)."""
    nums = dict(name=1, account=2, qos=3, nodes=4, gpus_per_node=5,
                ranks_per_node=6, rank_per_gpu=7, gpu_model=8, within=9,
                segment=11, time_limit_sec=12, argv=13, env=14, workdir=15,
                stdout_path=16, max_restarts=18, hold=19, after=20,
                after_ok=21, exclude_nodes=22, features=23, memory_mib=26,
                nice=29, gpus=30, script=31)
    out = b""
    for k, v in kw.items():
        n = nums[k]
        for item in (v if isinstance(v, list) else [v]):
            if isinstance(item, (str, bytes)):
                out += f_bytes(n, item)
            else:
                out += f_varint(n, int(item) if not isinstance(item, bool)
                                else int(item))
    return out


REQUESTS = {
    "whoami": request(55, b""),
    "submit-simple": request(50, f_bytes(1, spec(argv=["true"], hold=True))),
    "submit-gang": request(50, f_bytes(1, spec(
        name="llama 70b", nodes=4, gpus_per_node=8, rank_per_gpu=True,
        within=2, segment=2, time_limit_sec=7200, argv=["train", "--x"],
        env=["A=1", "PATH=/bin"], workdir="/home/u", features=["ib"],
        exclude_nodes=["n[00001-00004]"])) + f_bytes(2, "key-123")),
    "submit-gpus": request(50, f_bytes(1, spec(gpus=16, argv=["t"],
                                                after=[3], nice=5))),
    "submit-bad-env": request(50, f_bytes(1, spec(argv=["t"],
                                                   env=["1X=2", "=x"]))),
    "submit-script": request(50, f_bytes(1, spec(
        script="#!/bin/sh\n#COLOSSUS -N 2\necho hi\n", nodes=2))),
    "submit-negative-nice": request(50, f_bytes(1, spec(argv=["t"],
                                                         nice=-5))),
    "submit-no-spec": request(50, f_bytes(2, "k")),
    "cancel": request(51, f_varint(1, 5) + f_varint(1, 6) + f_bytes(3, "alice")),
    "list-jobs": request(52, f_bytes(2, "alice") + f_varint(5, 10)),
    "show-job": request(53, f_varint(1, 42)),
    "list-nodes": request(54, f_bytes(1, "n[00001-00016]") +
                          f_bytes(1, "n00099") + f_varint(2, 1)),
    "list-nodes-bad": request(54, f_bytes(1, "n[5-1]")),
    "register": request(10, f_bytes(1, "n00001") + f_bytes(2,
        f_bytes(1, "n00001") +
        f_bytes(2, f_varint(1, 0) + f_bytes(2, "GPU-0000") + f_bytes(3, "H100")
                + f_bytes(5, "0000:18:00.0")) +
        f_varint(3, 128) + f_bytes(5, "boot-1") + f_bytes(8, "10.0.0.1")) +
        f_bytes(3, f_varint(1, 17) + f_varint(2, 2) + f_varint(5, 8))),
    "heartbeat": request(11, f_varint(1, 3) + f_bytes(4, f_varint(1, 17))),
    "apply-topology": request(100,
        f_bytes(1, f_bytes(1, "h1")) +
        f_bytes(2, f_bytes(1, "p001") + f_bytes(2, "h1")) +
        f_bytes(3, f_bytes(1, "r0001") + f_bytes(2, "p001")) +
        f_bytes(4, f_bytes(1, "n00001") + f_bytes(2, "r0001") +
                f_varint(3, 8) + f_bytes(4, "H100") + f_bytes(5, "ib"))),
    "unknown-body": f_varint(1, 7) + f_varint(2, VERSION) + f_bytes(999, b""),
    "future-version": request(55, b"", version=(2 << 16)),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for target in ("request", "frame"):
        os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
    for name, body in REQUESTS.items():
        with open(os.path.join(here, "corpus", "request", name), "wb") as f:
            f.write(body)
    frames = {
        "whoami": frame(REQUESTS["whoami"]),
        "submit": frame(REQUESTS["submit-gang"]),
        "two-frames": frame(REQUESTS["whoami"]) + frame(REQUESTS["show-job"]),
        "response-error": frame(resp=f_varint(1, 7) + f_varint(3, 3) +
                                f_bytes(4, "submit_job: not allowed")),
        "empty": b"\0\0\0\0",
        "oversize": struct.pack(">I", 100000000),
        "truncated": frame(REQUESTS["register"])[:20],
        "garbage": struct.pack(">I", 6) + b"\xff\xfe\x01\x02\x03\x04",
        "empty-frame-message": struct.pack(">I", 2) + b"\x0a\x00",
    }
    for name, body in frames.items():
        with open(os.path.join(here, "corpus", "frame", name), "wb") as f:
            f.write(body)


if __name__ == "__main__":
    main()
