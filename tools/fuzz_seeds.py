#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz) from tests/fixtures.

Usage: tools/fuzz_seeds.py OUT_DIR  ->  OUT_DIR/<target>/seed_N, one directory per target.
Each target reads its input in its own layout (selector bytes first, see tests/fuzz/*.cpp);
the seeds follow it so the fuzzer starts from real texts, requests, prompts and streams.
"""
import base64
import json
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures"


def texts():
    out = []
    for f in sorted(FIX.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").split("\n"):
            if not line:
                continue
            rec = json.loads(line)
            out.append(rec)
    return out


def main():
    out = pathlib.Path(sys.argv[1])
    seeds = {t: [] for t in ("fuzz_encode", "fuzz_stream", "fuzz_decode", "fuzz_custom_encoding", "fuzz_cache",
                             "fuzz_chat", "fuzz_lint", "fuzz_sse")}
    recs = texts()
    # Spread the fixture texts over encodings and option bytes; keep seeds small (<= 4 kB).
    for i, rec in enumerate(recs[::3]):
        t = rec["text"].encode("utf-8", "surrogatepass")[:4096]
        seeds["fuzz_encode"].append(bytes([i % 7, i % 16]) + t)
        seeds["fuzz_stream"].append(bytes([i % 7, i % 16, 3, 1, 7, 2]) + t)
        ids = rec.get("o200k_base") or rec.get("cl100k_base") or []
        enc_index = 5 if rec.get("o200k_base") else 4
        seeds["fuzz_decode"].append(bytes([enc_index]) + b"".join(struct.pack("<I", x) for x in ids[:512]))
    seeds["fuzz_encode"].append(bytes([5, 1]) + b"hi<|endoftext|> there \xff\xfe ok")
    seeds["fuzz_stream"].append(bytes([6, 1, 2, 1, 3]) + b"<|start|>user<|message|>hi<|end|>")

    r50k = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
    tiny = b"".join(base64.b64encode(bytes([b])) + b" %d\n" % b for b in range(256))
    tiny += base64.b64encode(b"ab") + b" 256\n"
    seeds["fuzz_custom_encoding"] += [
        b"\x01" + r50k.encode() + b"\xff" + tiny + b"\xff<|end|>\xffabab hello<|end|> world",
        b"\x00" + r50k.encode() + b"\xffab\nhe\nll\nhello\xff\xffhello abab",
        b"\x00" + rb"\w+|\s+|." + b"\xffaa\naaa\xff<|x|>\xffaaaa aaa<|x|>",
    ]
    for case in json.loads((FIX / "chat" / "measured.json").read_text())["cases"]:
        if "request" in case:
            seeds["fuzz_chat"].append(json.dumps(case["request"]).encode())
    for f in sorted((FIX / "lint").glob("*.md")):
        data = f.read_bytes()[:4096]
        seeds["fuzz_lint"] += [b"\x00" + data, b"\x01" + data]
    seeds["fuzz_lint"].append(b"\x03[rules]\nPC001 = \"off\"\nfail_on = \"error\"\n")
    for f in sorted((FIX / "stream").glob("*.sse")):
        data = f.read_bytes()
        seeds["fuzz_sse"] += [b"\x00" + data, b"\x03\x01\x02\x07" + data]

    # Numbers nlohmann rejects as out_of_range rather than parse_error (once untyped here).
    seeds["fuzz_sse"].append(b"\x00data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1e99999}}\n\n")
    seeds["fuzz_chat"].append(b'{"model":"gpt-4o","messages":[{"role":"user","content":"hi","n":-1e400}]}')

    for f in sorted((FIX / "lint" / "requests").glob("*")):
        data = f.read_bytes()
        if f.suffix == ".jsonl":
            seeds["fuzz_cache"].append(data[:8192])
        else:
            data = json.dumps(json.loads(data)).encode()  # one line: the target splits at newlines
            seeds["fuzz_cache"].append(b'{"ts": 0, "request": ' + data + b'}\n{"ts": 5, "request": ' + data + b'}')
            seeds["fuzz_cache"].append(data)

    for target, items in seeds.items():
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(items):
            (d / f"seed_{i:04d}").write_bytes(s)
        print(f"{target}: {len(items)} seeds")


if __name__ == "__main__":
    main()
