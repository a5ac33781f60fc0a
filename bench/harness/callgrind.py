"""Instruction counts of a fixed workload under valgrind's callgrind: a regression shows up as
more instructions per byte, without timing noise. Run through bench/callgrind.sh.

The workload is `tokcount_bench_driver workload`: every generated corpus-like text and every
adversarial input (bench/inputs.cpp: deterministic bytes) encoded once per encoding, each
between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT(label). Counts are exact for a given
binary; another compiler or flags give other counts, so the baseline records the compiler and a
comparison across compilers is flagged.

    callgrind.py [--bytes N] [--update] [--threshold PCT]
    callgrind.py --vs-tiktoken PYTHON [--kinds gen_en,...] [--encodings o200k_base]

--vs-tiktoken also counts pip tiktoken's instructions on the same generated inputs (PYTHON is
an interpreter with tiktoken 0.14 installed; it runs offline on bpe_data/ through
tools/tiktoken_cache.py). tiktoken runs inside Python, so its count is the difference between
a run that encodes the input and a run that encodes nothing (interpreter start-up, import and
vocabulary loading cancel out). Instructions are not time (memory stalls and IPC differ), but
the ratio needs no quiet machine and is the same on every run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "bench" / "callgrind_baseline.tsv"


def compiler(build: Path) -> str:
    cache = (build / "CMakeCache.txt").read_text()
    cxx = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", cache, re.M)
    out = subprocess.run([cxx.group(1) if cxx else "c++", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "?"


def run_workload(driver: Path, out_dir: Path, encodings: str, nbytes: int) -> dict[str, tuple[int, int, int]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("cg.out*"):
        old.unlink()
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir / 'cg.out'}",
            str(driver), "workload", "--encodings", encodings, "--bytes", str(nbytes)]
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"valgrind failed:\n{r.stderr[-2000:]}")
    sizes = {}
    for line in r.stdout.splitlines():
        label, nb, tokens = line.split("\t")
        sizes[label] = (int(nb), int(tokens))
    counts: dict[str, int] = {}
    for f in out_dir.glob("cg.out*"):
        text = f.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
        total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        if trigger and total and trigger.group(1) in sizes:
            counts[trigger.group(1)] = int(total.group(1))
    missing = set(sizes) - set(counts)
    if missing:
        raise SystemExit(f"no callgrind dump for {sorted(missing)} (is the driver built with valgrind/callgrind.h?)")
    return {k: (sizes[k][0], sizes[k][1], counts[k]) for k in sizes}


TIKTOKEN_SCRIPT = """
import sys, tiktoken
enc = tiktoken.get_encoding(sys.argv[2])
text = open(sys.argv[1], encoding="utf-8").read()
enc.encode_ordinary("warm up")
print(len(enc.encode_ordinary(text)))
"""


def callgrind_total(argv: list[str], out_file: Path, env: dict | None = None) -> int:
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *argv],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"valgrind failed on {argv}:\n{r.stderr[-2000:]}")
    m = re.search(r"^(?:summary|totals): (\d+)", out_file.read_text(errors="replace"), re.M)
    if not m:
        raise SystemExit(f"no callgrind total in {out_file}")
    return int(m.group(1))


def vs_tiktoken(python: str, driver: Path, results: dict, kinds: list[str], encodings: list[str], nbytes: int,
                work: Path) -> None:
    import os
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "tiktoken-cache"
    subprocess.run([sys.executable, str(REPO / "tools" / "tiktoken_cache.py"), str(cache)], check=True,
                   capture_output=True)
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(cache))
    script = work / "tiktoken_encode.py"
    script.write_text(TIKTOKEN_SCRIPT)
    empty = work / "empty.txt"
    empty.write_text("")
    print(f"\ntiktoken (encode_ordinary, {python}) against tokcount (encode), instructions per byte:")
    print(f"{'input':32} {'tokcount':>10} {'tiktoken':>10} {'ratio':>8}")
    for enc in encodings:
        floor = callgrind_total([python, str(script), str(empty), enc], work / "cg.tiktoken.empty", env)
        for kind in kinds:
            label = f"{enc}/{kind}"
            if label not in results:
                continue
            text = work / f"{kind}.txt"
            subprocess.run([str(driver), "gen", kind, str(nbytes), "-o", str(text)], check=True)
            total = callgrind_total([python, str(script), str(text), enc], work / f"cg.tiktoken.{kind}", env)
            nb, _tokens, ours = results[label]
            theirs = (total - floor) / nb
            print(f"{label:32} {ours / nb:10.2f} {theirs:10.2f} {theirs / (ours / nb):7.1f}x")


def read_baseline() -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    meta, rows = {}, {}
    if not BASELINE.exists():
        return meta, rows
    for line in BASELINE.read_text().splitlines():
        if line.startswith("# ") and ":" in line:
            k, v = line[2:].split(":", 1)
            meta[k.strip()] = v.strip()
        elif line and not line.startswith("#") and not line.startswith("label\t"):
            label, nb, _tokens, instr, _ipb = line.split("\t")
            rows[label] = (int(nb), int(instr))
    return meta, rows


def write_baseline(results: dict, comp: str, nbytes: int, encodings: str) -> None:
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    lines = ["# Instruction counts of bench/callgrind.sh's fixed workload (written by bench/callgrind.sh --update).",
             f"# compiler: {comp}", f"# commit: {commit}", f"# date: {time.strftime('%Y-%m-%d')}",
             f"# bytes: {nbytes}", f"# encodings: {encodings}", "label\tbytes\ttokens\tinstructions\tinstr_per_byte"]
    for label, (nb, tokens, instr) in results.items():
        lines.append(f"{label}\t{nb}\t{tokens}\t{instr}\t{instr / nb:.2f}")
    BASELINE.write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=str(REPO / "build" / "bench-release"))
    p.add_argument("--bytes", type=int, default=None, help="bytes per input (default: the baseline's, else 262144)")
    p.add_argument("--encodings", default=None, help="default: the baseline's, else cl100k_base,o200k_base")
    p.add_argument("--threshold", type=float, default=2.0, help="percent more instructions that fails (default 2)")
    p.add_argument("--update", action="store_true", help="write the results as the new baseline")
    p.add_argument("--vs-tiktoken", metavar="PYTHON", help="also count tiktoken's instructions (see above)")
    p.add_argument("--kinds", default="gen_en,gen_code,gen_zh,gen_ru,gen_de",
                   help="inputs for --vs-tiktoken (default: the corpus-like kinds)")
    a = p.parse_args(argv)
    meta, base = read_baseline()
    nbytes = a.bytes or int(meta.get("bytes", 262144))
    encodings = a.encodings or meta.get("encodings", "cl100k_base,o200k_base")
    build = Path(a.build)
    comp = compiler(build)
    t = time.time()
    results = run_workload(build / "bench" / "tokcount_bench_driver", REPO / "build" / "bench-work" / "callgrind",
                           encodings, nbytes)
    print(f"workload: {len(results)} inputs of {nbytes} bytes under callgrind in {time.time() - t:.0f} s; {comp}")
    comparable = bool(base) and int(meta.get("bytes", -1)) == nbytes
    if base and meta.get("compiler") != comp:
        print(f"note: baseline compiler is '{meta.get('compiler')}': counts are not comparable across compilers")
        comparable = False
    worse = []
    print(f"{'input':32} {'instr/byte':>11} {'baseline':>10} {'change':>8}")
    for label, (nb, _tokens, instr) in results.items():
        ipb = instr / nb
        line = f"{label:32} {ipb:11.2f}"
        if comparable and label in base:
            b_ipb = base[label][1] / base[label][0]
            change = (ipb / b_ipb - 1) * 100
            line += f" {b_ipb:10.2f} {change:+7.2f}%"
            if change > a.threshold:
                worse.append(label)
                line += "  REGRESSION"
        print(line)
    total_instr = sum(v[2] for v in results.values())
    total_bytes = sum(v[0] for v in results.values())
    print(f"{'all':32} {total_instr / total_bytes:11.2f}")
    if a.vs_tiktoken:
        vs_tiktoken(a.vs_tiktoken, build / "bench" / "tokcount_bench_driver", results, a.kinds.split(","),
                    encodings.split(","), nbytes, REPO / "build" / "bench-work" / "callgrind-tiktoken")
    if a.update:
        write_baseline(results, comp, nbytes, encodings)
        print(f"baseline written: {BASELINE.relative_to(REPO)}")
        return 0
    if not base:
        print("no baseline yet: run bench/callgrind.sh --update")
    if worse:
        print(f"{len(worse)} input(s) need more than {a.threshold}% more instructions per byte than the baseline")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
