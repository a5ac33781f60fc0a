"""tokcount against tiktoken and its peers, side by side in one run. Entry point: bench/compare.sh
(which builds, makes the venv and installs the peers); `--help` lists the options.

How a number is made (the honesty rules):
  * Same inputs, same conditions: every tool runs in its own worker process, pinned to the same
    CPU set with the same environment (thread pools capped by RAYON_NUM_THREADS & co). One
    worker is busy at a time; the others wait.
  * Correct first: before a tool is timed on an input, its ids (or its count) are compared with
    tokcount's; a tool that disagrees is not timed there, and the note says where it differs.
  * Interleaved: repetition r runs every tool once (in an order rotated each repetition), so a
    burst of machine noise hits all tools alike. A sample runs the call enough times to last
    --min-time; the table shows the median over repetitions and the spread (max-min)/median.
  * No timed call sees a text seen before: each call gets its own variant of the input
    (rotated at whitespace and a few bytes shorter; the same variants for every tool), so a
    cache of whole texts, prefixes or huge pieces cannot turn repetition into speed, while
    piece-level memos work as on real traffic. (Documents in batch/loop modes are repeated as
    they are.) The first call on each input, the text as is, is also reported: "cold".
  * Unseen text ("unseen" mode, corpora, 1 CPU): the rotations above defeat whole-text caches
    but not piece memos, which after the first call hold every piece of the corpus: that is
    the speed on text seen before. For text not seen before, each tool gets fresh workers per
    encoding and corpus, the corpus is cut into reps + 1 slices, the first is the cold call and
    repetition r times slice r + 1 once: every timed call is new text, with the memos warmed by
    the slices before it, as on a stream of new documents. Ids are checked on every slice after
    the timing (checking first would show the slices to the memos).
  * Ratios are to tiktoken on the same input, encoding and thread count; "count" is compared
    with tiktoken's encode (tiktoken has no count).
  * Threads: "1 CPU" pins each worker to one core (a tool that spawns threads gets no second
    core); "2 CPUs" gives two cores, and batch calls are asked for 2 threads. tokcount's batch
    scaling is the median ratio of 1-thread and 2-thread calls interleaved in that same 2-CPU
    worker (the 1-CPU phase ran minutes earlier, and this VM drifts more than the effect).
  * Bounded: a request that does not answer within --timeout kills the worker; the cell says
    "timeout" and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402
import report  # noqa: E402
import system  # noqa: E402
from inputs import CORPORA, STAND_INS, Input, InputSet, corpus_dir, parse_size  # noqa: E402
from workers import Timeout, Worker, WorkerError, python_worker_argv  # noqa: E402

REPO = HERE.parent.parent
CPP = "tokcount-cpp"
REFERENCE = "tiktoken"
ALL_TOOLS = [CPP] + [p.name for p in peers.PEERS]
PY = "tokcount-py"
BATCH_1T = "batch_1t"  # tokcount's batch call on one thread, in the multi-CPU phase


def paired_scaling(multi: "Cell | None", single: "Cell | None") -> float | None:
    if not multi or not single or multi.status != "ok" or single.status != "ok":
        return None
    return report.paired_ratio(single.samples, multi.samples)


@dataclass
class Cell:
    """One tool on one input, encoding, mode and CPU set."""
    encoding: str
    input: str
    group: str
    mode: str  # encode | count | batch | loop | unseen | batch_1t (tokcount, one thread, multi-CPU phase)
    cpus: int
    tool: str
    bytes: int = 0
    tokens: int = 0
    samples: list[float] = field(default_factory=list)  # seconds per call
    cold: float | None = None  # seconds of the first call, on the input as it is
    cold_mb_s: float | None = None
    status: str = "ok"  # ok | mismatch | timeout | error | skip
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def mb_s(self) -> float | None:
        m = self.median
        return self.bytes / m / 1e6 if m else None


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(args.work).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.driver = Path(args.driver).resolve()
        self.cells: list[Cell] = []
        self.notes: list[str] = []
        self.verified: dict[tuple, str | None] = {}  # (tool, enc, input, api) -> None ok, else why not
        self.ref_ids: dict[tuple, bytes] = {}
        self.log = self.work / "workers.log"
        self.log.write_text("")

    # ---- setup ----------------------------------------------------------------------------

    def prepare_vocab(self) -> None:
        """encodings.json (patterns, specials, vocab files) for the adapters, tiktoken's and
        wordchipper's offline caches, and the HF tokenizer.json conversions."""
        import tokcount

        sys.path.insert(0, str(REPO / "tools"))
        import tiktoken_cache

        meta = {}
        for enc in self.args.encodings:
            e = tokcount.get_encoding(enc)
            vocab = REPO / "bpe_data" / f"{enc}.tiktoken"
            meta[enc] = {"pat_str": e._pat_str, "special_tokens": dict(e._special_tokens),
                         "tiktoken_file": str(vocab) if vocab.exists() else None}
        (self.work / "encodings.json").write_text(json.dumps(meta))
        tiktoken_cache.fill_cache(self.work / "tiktoken-cache")
        for enc in self.args.encodings:
            vocab = REPO / "bpe_data" / f"{enc}.tiktoken"
            if vocab.exists():
                dst = self.work / "wordchipper-cache" / "openai" / enc / f"{enc}.tiktoken"
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not dst.exists() or dst.stat().st_size != vocab.stat().st_size:
                    shutil.copyfile(vocab, dst)
        if {"hf-tokenizers", "tokie"} & set(self.args.tools):
            import hf_convert

            for enc in self.args.encodings:
                if meta[enc]["tiktoken_file"]:
                    print(f"converting {enc} to tokenizer.json (once; cached in {self.work / 'hf'})", flush=True)
                    hf_convert.write_tokenizer_json(meta[enc]["tiktoken_file"], meta[enc]["pat_str"],
                                                    meta[enc]["special_tokens"], self.work / "hf" / f"{enc}.json")

    def env(self, threads: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(peers.thread_env(threads))
        env["TIKTOKEN_CACHE_DIR"] = str(self.work / "tiktoken-cache")
        env["WORDCHIPPER_CACHE_DIR"] = str(self.work / "wordchipper-cache")
        env["HF_HUB_OFFLINE"] = "1"
        return env

    def cpu_sets(self) -> list[tuple[int, set[int]]]:
        usable = sorted(os.sched_getaffinity(0))
        sets = []
        for n in self.args.threads:
            if n <= len(usable):
                sets.append((n, set(usable[:n])))
            else:
                self.notes.append(f"{n} CPUs requested, {len(usable)} usable: skipped")
        return sets

    def build_inputs(self) -> list[Input]:
        a = self.args
        s = InputSet(self.driver, self.work)
        out: list[Input] = []
        cdir = corpus_dir(REPO, a.corpus_dir)
        limit = parse_size(a.corpus_limit) if a.corpus_limit else None
        base_for_shapes = None
        if "corpora" in a.groups:
            for name in CORPORA:
                src = cdir / f"{name}.txt"
                if src.exists():
                    inp = s.corpus(name, src, limit)
                else:
                    inp = s.generated(STAND_INS[name], limit or (1 << 20), "text", f"stand-in for {name}")
                    self.notes.append(f"{src} not found: generated stand-in {inp.name} used")
                out.append(inp)
                base_for_shapes = base_for_shapes or inp
        for i, f in enumerate(a.files):
            p = Path(f)
            out.append(s.corpus(p.stem if p.stem not in {x.name for x in out} else f"{p.stem}_{i}", p, limit, "user"))
        kinds = s.kinds()
        sizes = [parse_size(x) for x in a.sizes]
        for group in ("adversarial", "pathological"):
            if group not in a.groups:
                continue
            for name, g, what in kinds:
                if g == group and (not a.kinds or name in a.kinds):
                    out.extend(s.generated(name, size, group, what) for size in sizes)
        if "shapes" in a.groups:
            base = base_for_shapes or s.generated("gen_en", 1 << 20, "text", "English-like prose")
            out.extend(s.shapes(base, parse_size(a.shape_bytes)))
            for inp in list(out):
                if inp.group in ("corpus", "text") and inp is not base:
                    docs = s.shapes(inp, parse_size(a.shape_bytes))
                    out.extend(d for d in docs if d.name.endswith("docs_1.7KB"))
        return out

    # ---- measuring --------------------------------------------------------------------------

    def start_workers(self, threads: int, cpus: set[int]) -> dict[str, Worker]:
        env = self.env(threads)
        workers = {}
        for tool in self.args.tools:
            argv = [str(self.driver), "serve"] if tool == CPP else python_worker_argv(tool, self.work)
            workers[tool] = Worker(tool, argv, env, cpus, self.log)
        return workers

    def load(self, workers: dict[str, Worker], enc: str, cpus: int) -> dict[str, dict]:
        loaded = {}
        for tool, w in workers.items():
            try:
                # Loading may build tables (HF JSON, tiktoken's 200k-entry dict): a longer bound.
                loaded[tool] = w.load(enc, max(120.0, self.args.timeout))
            except (WorkerError, Timeout) as e:
                self.note(f"{tool}: {enc} not run ({e})")
                w.kill()
                continue
            missing = [what for what, key in (("count", "has_count"), ("native batch", "has_batch"))
                       if not loaded[tool].get(key, True)]
            if missing:
                self.note(f"{tool}: no {' or '.join(missing)} call")
            if loaded[tool].get("note"):
                self.note(f"{tool}: {loaded[tool]['note']}")
        return loaded

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def reference(self, workers: dict[str, Worker], enc: str, inp: Input) -> bytes:
        key = (enc, inp.name)
        if key not in self.ref_ids:
            out = self.work / "ids" / f"ref_{enc}_{inp.path.name}.u32"
            out.parent.mkdir(exist_ok=True)
            workers[CPP].request(["ids", enc, str(inp.path), str(out)], self.args.timeout)
            self.ref_ids[key] = out.read_bytes()
        return self.ref_ids[key]

    def verify(self, w: Worker, enc: str, inp: Input, mode: str, threads: int, ref: bytes, count: int | None) -> str | None:
        """None when the tool's output equals tokcount's, else a note saying where it differs."""
        if w.tool == CPP and mode != "count":
            return None
        api = "batch" if mode == "batch" else ("count" if mode == "count" else "encode")
        key = (w.tool, enc, inp.name, api, threads if api == "batch" else 1)
        if key in self.verified:
            return self.verified[key]
        ref_tokens = len(ref) // 4
        if mode == "count":
            why = None if count == ref_tokens else f"count {count} != {ref_tokens}"
        else:
            out = self.work / "ids" / f"{w.tool}_{enc}_{inp.path.name}.u32"
            w.request(["ids", enc, str(inp.path), str(out), str(threads) if mode == "batch" else "loop"],
                      self.args.timeout)
            why = first_difference(out.read_bytes(), ref)
            out.unlink()
        self.verified[key] = why
        return why

    def measure(self, workers: dict[str, Worker], loaded: dict[str, dict], enc: str, inp: Input, mode: str,
                cpus: int) -> None:
        a = self.args
        tools = [t for t in a.tools if t in loaded]
        if mode == "count":
            tools = [t for t in tools if loaded[t].get("has_count", True)]
        if mode == "batch":
            tools = [t for t in tools if loaded[t].get("has_batch", True)]
        try:
            ref = self.reference(workers, enc, inp)
        except (WorkerError, Timeout) as e:
            self.notes.append(f"{enc} {inp.name}: tokcount reference failed ({e}); input skipped")
            return
        # A run: (tool, mode label, threads asked for). On several CPUs tokcount's batch is also
        # timed on one thread in the same worker, interleaved with the multi-thread calls: the
        # scaling target is the ratio of such adjacent samples, not of two phases of the run
        # minutes apart (this VM's speed drifts by ±20% over minutes, more than the effect).
        runs = [(t, mode, cpus) for t in tools]
        if mode == "batch" and cpus > 1:
            runs += [(t, BATCH_1T, 1) for t in (CPP, PY) if t in tools]
        cells: dict[tuple[str, str], Cell] = {}
        for tool, label, threads in runs:
            c = Cell(enc, inp.name, inp.group, label, cpus, tool, bytes=inp.bytes)
            cells[tool, label] = c
            self.cells.append(c)
            w = workers[tool]
            try:
                first = w.request(["time", enc, mode, str(threads), str(inp.path), "1"], a.timeout)
                c.cold, c.tokens = first["seconds"], first["tokens"]
                c.cold_mb_s = inp.bytes / c.cold / 1e6 if c.cold else None
                why = self.verify(w, enc, inp, mode, threads, ref, first["tokens"] if mode == "count" else None)
                if why:
                    c.status, c.note = "mismatch", why
            except Timeout as e:
                c.status, c.note = "timeout", f"first call: {e}"
            except WorkerError as e:
                c.status, c.note = ("skip" if e.skip else "error"), str(e)
        live = [r for r in runs if cells[r[0], r[1]].status == "ok"]
        # Calls per sample: enough to last --min-time, each on its own variant of the text (held
        # in memory by the worker: at most 1000 calls and 256 MiB of variants).
        cap = 1000 if inp.is_docs else max(1, min(1000, (256 << 20) // max(1, inp.bytes)))
        inner = {r: max(1, min(cap, round(a.min_time / max(cells[r[0], r[1]].cold or 1e-9, 1e-9)))) for r in live}
        # A tool whose single call exceeds the sample budget many times over gets one sample.
        reps = {r: (a.reps if (cells[r[0], r[1]].cold or 0) < 10 * max(a.min_time, 0.5) else 1) for r in live}
        for rep in range(a.reps):
            order = live[rep % len(live):] + live[:rep % len(live)] if live else []
            for r in order:
                tool, label, threads = r
                c = cells[tool, label]
                if c.status != "ok" or len(c.samples) >= reps[r]:
                    continue
                try:
                    # Seed rep + 1: this repetition's rotations of the text (the same for every tool).
                    reply = workers[tool].request(["time", enc, mode, str(threads), str(inp.path), str(inner[r]),
                                                   str(rep + 1)], a.timeout)
                    c.samples.append(reply["seconds"] / inner[r])
                    # Means per call: the variants are a little shorter than the input.
                    c.bytes, c.tokens = reply["bytes"], reply["tokens"]
                except Timeout as e:
                    c.status, c.note = "timeout", str(e)
                except WorkerError as e:
                    c.status, c.note = "error", str(e)
        line = "  ".join(f"{t}={cells[t, m].mb_s:.1f}" if cells[t, m].mb_s else f"{t}:{cells[t, m].status}"
                         for t, m, _ in runs if m == mode)
        print(f"  {enc:12} {inp.name:28} {mode:6} {cpus}cpu  MB/s: {line}", flush=True)
        paired = [f"{t}={x:.2f}x" for t in (CPP, PY) if (x := paired_scaling(cells.get((t, mode)), cells.get((t, BATCH_1T))))]
        if paired:
            print(f"  {'':12} {'':28} {cpus} threads / 1, same worker, adjacent samples: {'  '.join(paired)}", flush=True)

    def throughput(self) -> None:
        inputs = self.build_inputs()
        print(f"{len(inputs)} inputs in {self.work / 'inputs'}", flush=True)
        for cpus, cpu_set in self.cpu_sets():
            workers = self.start_workers(cpus, cpu_set)
            try:
                for enc in self.args.encodings:
                    loaded = self.load(workers, enc, cpus)
                    if CPP not in loaded:
                        self.notes.append(f"tokcount-cpp could not load {enc}: skipped")
                        continue
                    for inp in inputs:
                        for mode in self.modes(inp, cpus):
                            if mode in self.args.modes:
                                self.measure(workers, loaded, enc, inp, mode, cpus)
            finally:
                for w in workers.values():
                    w.close()
            if cpus == 1 and "unseen" in self.args.modes:
                for enc in self.args.encodings:
                    for inp in inputs:
                        if inp.group in ("corpus", "text", "user"):
                            self.measure_unseen(enc, inp, cpu_set)

    def measure_unseen(self, enc: str, inp: Input, cpu_set: set[int]) -> None:
        a = self.args
        slices = InputSet(self.driver, self.work).slices(inp, a.reps + 1)
        workers = self.start_workers(1, cpu_set)
        try:
            loaded = self.load(workers, enc, 1)
            tools = [t for t in a.tools if t in loaded]
            cells: dict[str, Cell] = {}
            mean_bytes = sum(x.bytes for x in slices[1:]) // max(1, len(slices) - 1)
            for tool in tools:
                c = Cell(enc, inp.name, inp.group, "unseen", 1, tool, bytes=mean_bytes)
                cells[tool] = c
                self.cells.append(c)
                try:
                    first = workers[tool].request(["time", enc, "encode", "1", str(slices[0].path), "1"], a.timeout)
                    c.cold = first["seconds"]
                    c.cold_mb_s = slices[0].bytes / c.cold / 1e6 if c.cold else None
                except Timeout as e:
                    c.status, c.note = "timeout", f"first call: {e}"
                except WorkerError as e:
                    c.status, c.note = ("skip" if e.skip else "error"), str(e)
            live = [t for t in tools if cells[t].status == "ok"]
            for rep in range(a.reps):
                part = slices[rep + 1]
                for tool in live[rep % len(live):] + live[:rep % len(live)] if live else []:
                    c = cells[tool]
                    if c.status != "ok":
                        continue
                    try:
                        reply = workers[tool].request(["time", enc, "encode", "1", str(part.path), "1"], a.timeout)
                        # Per call, scaled to the mean slice size (the slices differ by a line or so).
                        c.samples.append(reply["seconds"] * mean_bytes / max(1, part.bytes))
                        c.tokens = reply["tokens"]
                    except Timeout as e:
                        c.status, c.note = "timeout", str(e)
                    except WorkerError as e:
                        c.status, c.note = "error", str(e)
            # Correct on every slice, checked now that the timing is done.
            for part in slices:
                self.ref_ids.pop((enc, inp.name), None)  # cached per input name: each slice is new
                ref = self.reference(workers, enc, part)
                for tool in live:
                    c = cells[tool]
                    if c.status != "ok" or tool == CPP:
                        continue
                    key = (tool, enc, inp.name, "encode", 1)
                    self.verified.pop(key, None)  # verify() caches per input name: each slice is new
                    why = self.verify(workers[tool], enc, part, "encode", 1, ref, None)
                    self.verified.pop(key, None)
                    if why:
                        c.status, c.note = "mismatch", f"{part.what}: {why}"
                self.ref_ids.pop((enc, inp.name), None)
            line = "  ".join(f"{t}={cells[t].mb_s:.1f}" if cells[t].mb_s else f"{t}:{cells[t].status}" for t in tools)
            print(f"  {enc:12} {inp.name:28} unseen 1cpu  MB/s: {line}", flush=True)
        finally:
            for w in workers.values():
                w.close()

    @staticmethod
    def modes(inp: Input, cpus: int) -> list[str]:
        if inp.is_docs:
            return ["loop", "batch"] if cpus == 1 else ["batch"]
        if cpus == 1:
            return ["encode", "count"]
        # On 2 CPUs a single document only changes for tools that split one input across
        # threads; measured on the corpora only, to keep the run short.
        return ["encode"] if inp.group in ("corpus", "text", "user") else []

    # ---- start-up, memory, per-call -----------------------------------------------------------

    def pinned(self, argv: list[str], threads: int = 1, timeout: float | None = None) -> str:
        """Run a one-shot measurement in a fresh process on `threads` CPUs; RuntimeError with a
        short reason when it fails or outlives `timeout`."""
        cpus = set(sorted(os.sched_getaffinity(0))[:threads])
        try:
            r = subprocess.run(argv, capture_output=True, text=True, env=self.env(threads), timeout=timeout or 600,
                               preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"no result in {timeout or 600:.0f} s") from None
        if r.returncode != 0:
            raise RuntimeError(f"exit {r.returncode}: {(r.stderr.strip().splitlines() or [''])[-1][:200]}")
        return r.stdout

    def startup(self) -> dict:
        """Process start to first encode, in fresh processes (hyperfine when installed)."""
        py = sys.executable
        code = "import {m}; {m}.get_encoding('{e}').encode('hello world')"
        cmds: list[tuple[str, list[str]]] = [
            ("C++: process floor (driver noop)", [str(self.driver), "noop"]),
        ]
        for enc in self.args.encodings:
            cmds.append((f"C++: start + {enc} + first encode", [str(self.driver), "startup", enc]))
        cmds.append(("Python: interpreter floor (-c pass)", [py, "-c", "pass"]))
        for enc in self.args.encodings:
            cmds.append((f"Python tokcount: import + {enc} + first encode", [py, "-c", code.format(m="tokcount", e=enc)]))
            if REFERENCE in self.args.tools:
                cmds.append((f"Python tiktoken: import + {enc} + first encode", [py, "-c", code.format(m="tiktoken", e=enc)]))
        runs = self.args.startup_runs
        results = []
        hyperfine = shutil.which("hyperfine")
        for label, argv in cmds:
            if hyperfine:
                out = self.work / "hyperfine.json"
                cmdline = " ".join(shell_quote(x) for x in argv)
                self.pinned([hyperfine, "-N", "--warmup", "3", "--runs", str(runs), "--export-json", str(out), cmdline])
                times = json.loads(out.read_text())["results"][0]["times"]
            else:
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    self.pinned(argv)
                    times.append(time.perf_counter() - t)
            results.append({"what": label, "argv": argv, "ms_median": statistics.median(times) * 1e3,
                            "ms_min": min(times) * 1e3, "ms_max": max(times) * 1e3, "runs": len(times)})
            print(f"  startup  {label:55} median {results[-1]['ms_median']:.2f} ms  min {results[-1]['ms_min']:.2f}",
                  flush=True)
        return {"method": "hyperfine -N (1 CPU)" if hyperfine else "subprocess wall time (1 CPU)", "results": results}

    def memory(self, text: Path) -> list[dict]:
        rows = []
        for enc in self.args.encodings:
            if CPP in self.args.tools:
                r = json.loads(self.pinned([str(self.driver), "rss", enc, "--text", str(text)]))
                r["tool"] = CPP
                r["after_import"] = r["before"]
                rows.append(r)
            for tool in self.args.tools:
                if tool == CPP:
                    continue
                try:
                    r = json.loads(self.pinned([sys.executable, str(HERE / "probe.py"), "rss", tool, enc, str(text),
                                                str(self.work)], timeout=max(300.0, self.args.timeout * 4)))
                except RuntimeError as e:
                    r = {"skip": str(e)[:200]}
                r.setdefault("tool", tool)
                r.setdefault("encoding", enc)
                rows.append(r)
            for r in rows:
                if r.get("encoding") == enc and "after_load" in r:
                    print(f"  rss {enc} {r['tool']:14} load +{(r['after_load'] - r['after_import']) / 2**20:.1f} MiB"
                          f"  after 1 MB text +{(r['after_text'] - r['after_import']) / 2**20:.1f} MiB", flush=True)
        return rows

    def overhead(self) -> list[dict]:
        rows = []
        for enc in self.args.encodings:
            for tool in self.args.tools:
                if tool == CPP:
                    continue
                try:
                    rows.append(json.loads(self.pinned([sys.executable, str(HERE / "probe.py"), "overhead", tool, enc,
                                                        str(self.work)], timeout=max(300.0, self.args.timeout * 4))))
                except RuntimeError as e:
                    rows.append({"tool": tool, "encoding": enc, "skip": str(e)[:200]})
                r = rows[-1]
                if "calls" in r:
                    print(f"  per-call {enc} {tool:14} " + "  ".join(
                        f"{k} {v['ns_median']:.0f} ns" for k, v in r["calls"].items()), flush=True)
        return rows


def first_difference(got: bytes, ref: bytes) -> str | None:
    if got == ref:
        return None
    a = [int.from_bytes(got[i:i + 4], "little") for i in range(0, len(got), 4)]
    b = [int.from_bytes(ref[i:i + 4], "little") for i in range(0, len(ref), 4)]
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"ids differ from tokcount's at token {i} of {len(b)} (theirs {a[i:i + 3]}, ours {b[i:i + 3]}; {len(a)} tokens)"


def shell_quote(s: str) -> str:
    return s if s and all(c.isalnum() or c in "/._-=+:," for c in s) else "'" + s.replace("'", "'\\''") + "'"


def versions(tools: list[str], driver: Path) -> dict[str, str]:
    v = {}
    for t in tools:
        if t == CPP:
            out = subprocess.run([str(driver), "version"], capture_output=True, text=True).stdout.strip()
            v[t] = f"{out} (C++ driver, static)"
        else:
            v[t] = peers.version_of(t)
    return v


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", help="extra UTF-8 text files to measure (as corpora)")
    p.add_argument("--quick", action="store_true",
                   help="a short run that checks the harness: o200k only, 128 KB inputs, no pathological group, "
                        "3 repetitions, 10 s timeout")
    p.add_argument("--encodings", default="cl100k_base,o200k_base", help="comma-separated (default %(default)s)")
    p.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated (default: all)")
    p.add_argument("--groups", default="corpora,adversarial,pathological,shapes",
                   help="input groups (default %(default)s)")
    p.add_argument("--kinds", default="", help="only these generated kinds (comma-separated; default all)")
    p.add_argument("--modes", default="encode,count,batch,loop,unseen", help="default %(default)s")
    p.add_argument("--sections", default="throughput,startup,memory,overhead", help="default %(default)s")
    p.add_argument("--threads", default="1,2", help="CPU counts to measure (default %(default)s)")
    p.add_argument("--sizes", default="1M", help="sizes of generated inputs, e.g. 1K,100K,1M,10M (default %(default)s)")
    p.add_argument("--corpus-dir", default=None, help="default $TOKCOUNT_CORPUS_DIR or <repo>/../shared/corpus")
    p.add_argument("--corpus-limit", default=None, help="cut corpora to this many bytes (e.g. 256K)")
    p.add_argument("--shape-bytes", default="1M", help="bytes per document-shape input (default %(default)s)")
    p.add_argument("--reps", type=int, default=7, help="repetitions per tool (default %(default)s)")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per sample (default %(default)s)")
    p.add_argument("--timeout", type=float, default=20.0,
                   help="seconds before a call counts as hung: the tool is reported as timing out on that input "
                        "(default %(default)s)")
    p.add_argument("--startup-runs", type=int, default=50, help="fresh processes per start-up command")
    p.add_argument("--driver", default=str(REPO / "build" / "bench-release" / "bench" / "tokcount_bench_driver"))
    p.add_argument("--work", default=str(REPO / "build" / "bench-work"), help="inputs, caches, logs (not committed)")
    p.add_argument("--out", default=str(REPO / "bench" / "results"), help="results directory (default %(default)s)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--report-from", metavar="RESULTS_JSON",
                   help="measure nothing: rewrite the tables, plots and summary from a results.json")
    p.add_argument("--update-readme", action="store_true",
                   help="write the summary into README.md between the bench:summary markers (quiet machine only)")
    a = p.parse_args(argv)
    if a.quick:
        a.encodings = "o200k_base" if a.encodings == p.get_default("encodings") else a.encodings
        a.groups = "corpora,adversarial,shapes" if a.groups == p.get_default("groups") else a.groups
        a.corpus_limit = a.corpus_limit or "128K"
        a.sizes = "128K" if a.sizes == p.get_default("sizes") else a.sizes
        a.shape_bytes = "128K"
        a.reps = min(a.reps, 3)
        a.min_time = min(a.min_time, 0.05)
        a.startup_runs = min(a.startup_runs, 10)
        a.timeout = min(a.timeout, 10.0)
    for name in ("encodings", "tools", "groups", "kinds", "modes", "sections", "sizes"):
        setattr(a, name, [x for x in getattr(a, name).split(",") if x])
    a.threads = [int(x) for x in a.threads.split(",") if x]
    unknown = set(a.tools) - set(ALL_TOOLS)
    if unknown:
        p.error(f"unknown tools {sorted(unknown)}; known: {', '.join(ALL_TOOLS)}")
    if REFERENCE in a.tools:  # tiktoken first: the reference column
        a.tools = [REFERENCE] + [t for t in a.tools if t != REFERENCE]
    return a


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    if a.report_from:
        results = json.loads(Path(a.report_from).read_text())
        Path(a.out).mkdir(parents=True, exist_ok=True)
        print(report.write(results, Path(a.out), plots=not a.no_plots))
        return 0
    if not Path(a.driver).exists():
        print(f"error: {a.driver} not found; run bench/compare.sh (it builds it)", file=sys.stderr)
        return 2
    run = Run(a)
    machine = system.describe(REPO, Path(a.driver).parent.parent)
    print("machine:", system.machine_line(machine), flush=True)
    tool_versions = versions(a.tools, Path(a.driver))
    for t in a.tools:
        if tool_versions[t] == "not installed":
            run.notes.append(f"{t}: not installed (see build/bench-work/install.log)")
    a.tools = [t for t in a.tools if tool_versions[t] != "not installed"]
    print("tools:", ", ".join(f"{t} {tool_versions[t]}" for t in a.tools), flush=True)
    run.prepare_vocab()
    results: dict = {"machine": machine, "versions": tool_versions, "args": vars(a) | {"argv_echo": argv}}
    started = time.time()
    if "throughput" in a.sections:
        run.throughput()
    if "startup" in a.sections:
        results["startup"] = run.startup()
    text = None
    if "memory" in a.sections:
        src = corpus_dir(REPO, a.corpus_dir) / "en_prose.txt"
        text = InputSet(run.driver, run.work).corpus("en_prose", src, 1 << 20) if src.exists() else \
            InputSet(run.driver, run.work).generated("gen_en", 1 << 20, "text", "")
        results["memory"] = {"text": text.what or text.name, "rows": run.memory(text.path)}
    if "overhead" in a.sections:
        results["overhead"] = run.overhead()
    machine["load_average_end"] = system.load_average()
    machine["seconds"] = round(time.time() - started)
    results["cells"] = [asdict(c) | {"median": c.median, "mb_s": c.mb_s} for c in run.cells]
    results["notes"] = run.notes
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    summary = report.write(results, out, plots=not a.no_plots)
    print("\n" + summary)
    if a.update_readme:
        report.update_readme(REPO / "README.md", summary)
        print("README.md updated between the bench:summary markers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
