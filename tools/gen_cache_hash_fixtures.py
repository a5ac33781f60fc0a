#!/usr/bin/env python3
"""Reference block hashes for tokcount's SGLang / vLLM compatibility modes.

Writes tests/fixtures/cache/compat_hashes.json. The two functions below transcribe the engines'
published definitions (not their code):
  SGLang  python/sglang/srt/mem_cache/hicache_storage.py get_hash_str(token_ids, prior_hash):
          sha256 over bytes.fromhex(prior_hash) (when given) then each token id as 4-byte
          little-endian unsigned; hexdigest. Pages chain through the previous page's digest.
          hash_str_to_int64: the first 16 hex digits as a signed 64-bit integer.
  vLLM    vllm/v1/core/kv_cache_utils.py hash_block_tokens(hash_fn, parent, tokens, extra)
          = hash_fn((parent, tuple(tokens), extra)); sha256_cbor (vllm/utils/hashing.py) =
          sha256(cbor2.dumps(obj, canonical=True)).digest(); NONE_HASH = hash_fn(seed) where
          seed is PYTHONHASHSEED (init_none_hash); extra_keys = tuple(lora name + mm keys +
          [cache_salt] on the first block) or None; full blocks only.
Needs cbor2 from PyPI (pip install cbor2). Run: python3 tools/gen_cache_hash_fixtures.py
"""
import hashlib
import importlib.metadata
import json
import os
import random

import cbor2


def sglang_get_hash_str(token_ids, prior_hash=None):
    h = hashlib.sha256()
    if prior_hash:
        h.update(bytes.fromhex(prior_hash))
    for t in token_ids:
        h.update(t.to_bytes(4, byteorder="little", signed=False))
    return h.hexdigest()


def sglang_pages(tokens, page, prior=None):
    out = []
    for i in range(0, len(tokens) - len(tokens) % page, page):
        prior = sglang_get_hash_str(tokens[i:i + page], prior)
        out.append(prior)
    return out


def hash_str_to_int64(s):
    v = int(s[:16], 16)
    return v - (1 << 64) if v >= (1 << 63) else v


def sha256_cbor(obj):
    return hashlib.sha256(cbor2.dumps(obj, canonical=True)).digest()


def vllm_blocks(tokens, block, seed, lora=None, salt=None):
    parent = sha256_cbor(seed)  # NONE_HASH with PYTHONHASHSEED=seed
    out = []
    for i in range(0, len(tokens) - len(tokens) % block, block):
        extra = ([lora] if lora else []) + ([salt] if (salt and i == 0) else [])
        parent = sha256_cbor((parent, tuple(tokens[i:i + block]), tuple(extra) if extra else None))
        out.append(parent.hex())
    return out


def main():
    rng = random.Random(20261202)
    seqs = {
        "short": [1, 2, 3, 300, 70000],
        "chat": [200006, 17360, 200008, 3575, 553, 261, 10297, 29186, 13, 200007, 200006, 1428, 200008, 13225, 200007],
        "random_1000": [rng.randrange(0, 200019) for _ in range(1000)],
        "wide_ids": [0, 23, 24, 255, 256, 65535, 65536, 0x7FFFFFFF, 0x80000001, 0xFFFFFFFF] * 4,
    }
    cases = []
    for name, toks in seqs.items():
        for page in (1, 4, 64):
            cases.append({"kind": "sglang", "name": name, "page_size": page, "prior": "",
                          "tokens": toks, "hashes": sglang_pages(toks, page)})
        prior = sglang_get_hash_str([7, 8, 9])
        cases.append({"kind": "sglang", "name": name, "page_size": 16, "prior": prior, "tokens": toks,
                      "hashes": sglang_pages(toks, 16, prior)})
        for block, seed, lora, salt in ((16, "0", None, None), (16, "42", None, None), (4, "0", "my-lora", None),
                                        (16, "0", None, "tenant-a"), (32, "1234", "adapter", "s")):
            cases.append({"kind": "vllm_sha256_cbor", "name": name, "block_size": block, "seed": seed,
                          "lora_name": lora, "cache_salt": salt, "tokens": toks,
                          "none_hash": sha256_cbor(seed).hex(),
                          "hashes": vllm_blocks(toks, block, seed, lora, salt)})
    int64 = [{"hex": h, "int64": hash_str_to_int64(h)} for h in
             [sglang_get_hash_str([i]) for i in range(8)] + ["ffffffffffffffff", "8000000000000000", "7fffffffffffffff"]]
    doc = {"generator": "tools/gen_cache_hash_fixtures.py", "cbor2": importlib.metadata.version("cbor2"),
           "cases": cases, "int64": int64}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "tests", "fixtures", "cache", "compat_hashes.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, len(cases), "cases")


if __name__ == "__main__":
    main()
