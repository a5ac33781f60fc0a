"""Turns results.json into bench/results/: results.md (tables), results.csv (every cell), PNG
plots (matplotlib), and summary.md, the README-ready block (also printed)."""

from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path

import system

CPP, PY, REF = "tokcount-cpp", "tokcount-py", "tiktoken"
MARK_START, MARK_END = "<!-- bench:summary:start -->", "<!-- bench:summary:end -->"
MODE_TITLES = {
    "encode": "encode (one document per call)",
    "unseen": "encode, text not seen before (each sample a new slice of the corpus, fresh workers)",
    "count": "count only (ratio to tiktoken's encode)",
    "loop": "many documents, one call each",
    "batch": "batch call over the documents",
}


class Results:
    def __init__(self, data: dict):
        self.data = data
        self.cells = data.get("cells", [])
        self.tools = [t for t in data["versions"] if data["versions"][t] != "not installed"]
        self.by = {(c["encoding"], c["input"], c["mode"], c["cpus"], c["tool"]): c for c in self.cells}

    def get(self, enc, inp, mode, cpus, tool):
        return self.by.get((enc, inp, mode, cpus, tool))

    def mb_s(self, enc, inp, mode, cpus, tool):
        c = self.get(enc, inp, mode, cpus, tool)
        return c["mb_s"] if c and c["status"] == "ok" and c["mb_s"] else None

    def ratio(self, enc, inp, mode, cpus, tool):
        """Tool throughput over tiktoken's, same input, encoding and CPUs (count: vs encode)."""
        mine = self.mb_s(enc, inp, mode, cpus, tool)
        ref = self.mb_s(enc, inp, "encode" if mode == "count" else mode, cpus, REF)
        return mine / ref if mine and ref else None

    def keys(self, mode, cpus):
        seen = {}
        for c in self.cells:
            if c["mode"] == mode and c["cpus"] == cpus:
                seen.setdefault((c["encoding"], c["input"]), c["group"])
        return seen

    def encodings(self):
        return list(dict.fromkeys(c["encoding"] for c in self.cells))


def fmt(x, digits=1):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def spread(c) -> str:
    s = c.get("samples") or []
    if len(s) < 2:
        return "–"
    return f"±{(max(s) - min(s)) / statistics.median(s) * 50:.0f}%"


def cell_text(r: Results, enc, inp, mode, cpus, tool) -> str:
    c = r.get(enc, inp, mode, cpus, tool)
    if c is None:
        return ""
    if c["status"] != "ok":
        return {"mismatch": "≠ ids", "timeout": "timeout", "skip": "n/a"}.get(c["status"], c["status"])
    ratio = r.ratio(enc, inp, mode, cpus, tool)
    return f"{fmt(c['mb_s'])}" + (f" ({ratio:.1f}×)" if ratio and tool != REF else "")


def wide_tables(r: Results, lines: list[str]) -> None:
    for cpus in sorted({c["cpus"] for c in r.cells}):
        for mode in ("encode", "unseen", "count", "loop", "batch"):
            keys = r.keys(mode, cpus)
            if not keys:
                continue
            tools = [t for t in r.tools if any(r.get(e, i, mode, cpus, t) for e, i in keys)]
            lines += [f"### {MODE_TITLES[mode]}, {cpus} CPU{'s' if cpus > 1 else ''}", "",
                      "MB/s (median of the repetitions; × = ratio to tiktoken on the same input).", "",
                      "| encoding | input | " + " | ".join(tools) + " |",
                      "|---|---|" + "---:|" * len(tools)]
            for (enc, inp), group in keys.items():
                lines.append(f"| {enc} | {inp} | " + " | ".join(cell_text(r, enc, inp, mode, cpus, t) for t in tools) + " |")
            lines.append("")


def long_table(r: Results, lines: list[str]) -> None:
    lines += ["### Corpora in detail", "",
              "| encoding | input | mode | CPUs | tool | MB/s | Mtok/s | × tiktoken | spread | cold MB/s |",
              "|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for c in r.cells:
        if c["group"] not in ("corpus", "text", "user") or c["status"] != "ok" or not c["mb_s"]:
            continue
        mtok = c["tokens"] / c["median"] / 1e6 if c["median"] else None
        cold = c.get("cold_mb_s")
        ratio = r.ratio(c["encoding"], c["input"], c["mode"], c["cpus"], c["tool"])
        lines.append(f"| {c['encoding']} | {c['input']} | {c['mode']} | {c['cpus']} | {c['tool']} | {fmt(c['mb_s'])} | "
                     f"{fmt(mtok, 2)} | {fmt(ratio)} | {spread(c)} | {fmt(cold)} |")
    lines.append("")


def paired_ratio(single: list[float], multi: list[float]) -> float | None:
    """Median over repetitions of (one-thread time / multi-thread time): sample i of each side
    comes from repetition i, taken seconds apart in the same worker, so drift of the machine's
    speed over the run cancels out."""
    pairs = [s / m for s, m in zip(single, multi) if m]
    return statistics.median(pairs) if pairs else None


def batch_scaling(r: Results) -> list[tuple[str, str, str, float, str]]:
    """(encoding, input, tool, 2-CPU batch over 1-CPU batch, how). tokcount has paired
    samples (one and two threads interleaved in the 2-CPU phase: "paired"); peers, whose thread
    count cannot always be set per call, are compared across the two phases ("phases")."""
    rows = []
    for c in r.cells:
        if c["mode"] == "batch" and c["cpus"] == 2 and c["status"] == "ok":
            single = r.get(c["encoding"], c["input"], "batch_1t", 2, c["tool"])
            if single and single["status"] == "ok" and (x := paired_ratio(single["samples"], c["samples"])):
                rows.append((c["encoding"], c["input"], c["tool"], x, "paired"))
                continue
            one = r.mb_s(c["encoding"], c["input"], "batch", 1, c["tool"])
            if one and c["mb_s"]:
                rows.append((c["encoding"], c["input"], c["tool"], c["mb_s"] / one, "phases"))
    return rows


def write_csv(r: Results, path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["encoding", "input", "group", "mode", "cpus", "tool", "status", "bytes", "tokens", "mb_s",
                    "mtok_s", "ratio_to_tiktoken", "median_s", "min_s", "max_s", "samples", "cold_s", "note"])
        for c in r.cells:
            s = c.get("samples") or []
            mtok = c["tokens"] / c["median"] / 1e6 if c.get("median") else None
            ratio = r.ratio(c["encoding"], c["input"], c["mode"], c["cpus"], c["tool"])
            w.writerow([c["encoding"], c["input"], c["group"], c["mode"], c["cpus"], c["tool"], c["status"], c["bytes"],
                        c["tokens"], f"{c['mb_s']:.3f}" if c.get("mb_s") else "", f"{mtok:.4f}" if mtok else "",
                        f"{ratio:.3f}" if ratio else "", f"{c['median']:.6g}" if c.get("median") else "",
                        f"{min(s):.6g}" if s else "", f"{max(s):.6g}" if s else "", len(s),
                        f"{c['cold']:.6g}" if c.get("cold") else "", c.get("note", "")])


# ---- the README block -----------------------------------------------------------------------

def summary(r: Results) -> str:
    d = r.data
    m = d["machine"]
    args = d["args"]
    encs = r.encodings()
    rows: list[tuple[str, str, str, str]] = []  # measure, target, measured, met

    def ratios(inputs, mode="encode", tool=CPP):
        out = []
        for enc in encs:
            for inp in inputs:
                x = r.ratio(enc, inp, mode, 1, tool)
                if x:
                    out.append((x, f"{enc.split('_')[0]} {inp}"))
        return out

    def ratio_row(label, inputs, target, mode="encode"):
        for tool, name in ((CPP, "C++"), (PY, "Python")):
            got = ratios(inputs, mode, tool)
            if got:
                worst = min(got)
                text = ", ".join(f"{w} ×{x:.1f}" for x, w in got)
                rows.append((f"{label} ({name})", f"≥ {target}×", text, "yes" if worst[0] >= target else "no"))

    en = [i for i in ("en_prose", "gen_en") if any(c["input"] == i for c in r.cells)]
    code = [i for i in ("code_python", "gen_code") if any(c["input"] == i for c in r.cells)]
    multi = [i for i in ("zh", "ru", "de", "gen_zh", "gen_ru", "gen_de") if any(c["input"] == i for c in r.cells)]
    ratio_row("encode, English prose", en, 20)
    ratio_row("encode, source code", code, 15)
    ratio_row("encode, CJK / multilingual", multi, 10)
    ratio_row("count only vs tiktoken's encode", en + code + multi, 25, mode="count")
    # The same targets on text not seen before (the rows above: text whose pieces the memos hold).
    ratio_row("unseen text: encode, English prose", en, 20, mode="unseen")
    ratio_row("unseen text: encode, source code", code, 15, mode="unseen")
    ratio_row("unseen text: encode, CJK / multilingual", multi, 10, mode="unseen")

    giga = []
    for enc in encs:
        for inp in en + code + multi:
            a, b = r.mb_s(enc, inp, "encode", 1, CPP), r.mb_s(enc, inp, "encode", 1, "gigatoken")
            if a and b:
                giga.append((a / b, f"{enc.split('_')[0]} {inp}"))
    if giga:
        rows.append(("vs gigatoken, encode (C++)", "> 1×", ", ".join(f"{w} ×{x:.2f}" for x, w in giga),
                     "yes" if min(giga)[0] > 1 else "no"))
    else:
        rows.append(("vs gigatoken", "faster", "gigatoken not measured (not installed, or ids differed)", "–"))

    adv = [(c["mb_s"], f"{c['encoding'].split('_')[0]} {c['input']}") for c in r.cells
           if c["group"] == "adversarial" and c["tool"] == CPP and c["mode"] == "encode" and c["cpus"] == 1 and c["mb_s"]]
    if adv:
        worst = sorted(adv)[:3]
        rows.append(("adversarial single-piece inputs, encode (C++)", "≥ 100 MB/s each",
                     "slowest: " + ", ".join(f"{w} {x:.1f} MB/s" for x, w in worst), "yes" if worst[0][0] >= 100 else "no"))

    st = {x["what"]: x for x in d.get("startup", {}).get("results", [])}
    for enc in encs:
        c = st.get(f"C++: start + {enc} + first encode")
        if c and "o200k" in enc:
            floor = st.get("C++: process floor (driver noop)", {}).get("ms_median", 0)
            rows.append(("process start to first o200k encode (C++)", "≤ 5 ms",
                         f"{c['ms_median']:.2f} ms median (process floor {floor:.2f} ms)", "yes" if c["ms_median"] <= 5 else "no"))
            py = st.get(f"Python tokcount: import + {enc} + first encode")
            tk = st.get(f"Python tiktoken: import + {enc} + first encode")
            pf = st.get("Python: interpreter floor (-c pass)", {}).get("ms_median", 0)
            if py:
                rows.append(("… in Python (import + load + encode)", "–",
                             f"tokcount {py['ms_median']:.1f} ms, tiktoken {tk['ms_median']:.1f} ms (interpreter {pf:.1f} ms)"
                             if tk else f"tokcount {py['ms_median']:.1f} ms", "–"))

    mem = d.get("memory", {}).get("rows", [])
    for row in mem:
        if "after_load" in row and "o200k" in row["encoding"] and row["tool"] in (CPP, PY, REF):
            added = (row["after_first_encode"] - row["after_import"]) / 2**20
            text = (row["after_text"] - row["after_import"]) / 2**20
            label = {CPP: "C++", PY: "Python", REF: "tiktoken"}[row["tool"]]
            rows.append((f"RSS added by loading o200k + first encode ({label})", "≤ 20 MB" if row["tool"] != REF else "(~100 MB)",
                         f"{added:.1f} MiB (after encoding 1 MB of prose: {text:.1f} MiB)",
                         ("yes" if added <= 20 else "no") if row["tool"] != REF else "–"))

    for tool, name in ((CPP, "C++"), (PY, "Python")):
        sc = [(x, f"{e.split('_')[0]} {i}") for e, i, t, x, _ in batch_scaling(r) if t == tool and i.endswith("docs_1.7KB")]
        if sc:
            rows.append((f"batch on 2 threads vs 1 ({name})", "≥ 1.8×", ", ".join(f"{w} ×{x:.2f}" for x, w in sc),
                         "yes" if min(sc)[0] >= 1.8 else "no"))

    ov = {(o["tool"], o["encoding"]): o for o in d.get("overhead", []) if "calls" in o}
    for enc in encs:
        a, b = ov.get((PY, enc)), ov.get((REF, enc))
        if a and b:
            parts, ok = [], True
            for call in ("encode", "encode_ordinary", "count"):
                if call in a["calls"] and call in b["calls"]:
                    x, y = a["calls"][call]["ns_median"], b["calls"][call]["ns_median"]
                    parts.append(f"{call} {x:.0f} vs {y:.0f} ns")
                    ok = ok and x <= y
            rows.append((f"Python call on a 10-byte string, {enc} (tokcount vs tiktoken)", "no slower",
                         "; ".join(parts), "yes" if ok else "no"))

    lines = [MARK_START, "",
             f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {system.machine_line(m)}.",
             f"Command: `bench/compare.sh {' '.join(args.get('argv_echo', []))}`".rstrip() + " — "
             f"{args['reps']} interleaved repetitions, median; full tables and plots in `bench/results/`.", ""]
    if args.get("quick"):
        lines += ["> **Quick run** (`--quick`): it checks the harness; its numbers are not representative.", ""]
    lines += ["| target | goal | measured | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d_} |" for a, b, c, d_ in rows]
    lines += ["", "Encode throughput, 1 CPU, MB/s (× tiktoken):", ""]
    tools = [t for t in r.tools]
    keys = [(e, i) for (e, i), g in r.keys("encode", 1).items() if g in ("corpus", "text")]
    if keys:
        lines += ["| encoding | input | " + " | ".join(tools) + " |", "|---|---|" + "---:|" * len(tools)]
        lines += [f"| {e} | {i} | " + " | ".join(cell_text(r, e, i, "encode", 1, t) for t in tools) + " |" for e, i in keys]
    lines += ["", "![encode throughput](bench/results/throughput_1cpu.png)", "", MARK_END]
    return "\n".join(lines)


def update_readme(readme: Path, block: str) -> None:
    text = readme.read_text()
    a, b = text.find(MARK_START), text.find(MARK_END)
    if a < 0 or b < 0:
        raise SystemExit(f"{readme}: no {MARK_START} ... {MARK_END} markers")
    readme.write_text(text[:a] + block + text[b + len(MARK_END):])


# ---- plots ------------------------------------------------------------------------------------

def make_plots(r: Results, out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    # tokcount and the reference in fixed, strong colours; the peers from a qualitative map.
    fixed = {CPP: "#d62728", PY: "#ff7f0e", REF: "#222222"}
    peers = [t for t in r.tools if t not in fixed]
    colors = {t: fixed.get(t) or plt.cm.tab20((2 * peers.index(t) + 1) % 20) for t in r.tools}

    def bars(ax, groups, tools, value, log=True, ref_line=None):
        width = 0.8 / max(1, len(tools))
        for k, t in enumerate(tools):
            ys = [value(g, t) or 0 for g in groups]
            ax.bar([j + k * width for j in range(len(groups))], ys, width, label=t, color=colors[t])
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(groups))])
        ax.set_xticklabels([f"{e.split('_')[0]}\n{i}" for e, i in groups], fontsize=7, rotation=0)
        if log:
            ax.set_yscale("log")
        if ref_line:
            ax.axhline(ref_line[0], color="grey", linestyle="--", linewidth=1)
            ax.text(len(groups) - 0.5, ref_line[0], ref_line[1], fontsize=7, ha="right", va="bottom")
        ax.grid(axis="y", alpha=0.3)

    def legend(ax):
        ax.legend(fontsize=7, ncol=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)

    keys = [(e, i) for (e, i), g in r.keys("encode", 1).items() if g in ("corpus", "text", "user")]
    if keys:
        fig, ax = plt.subplots(figsize=(max(8, len(keys) * 1.4), 4.5))
        bars(ax, keys, r.tools, lambda g, t: r.mb_s(g[0], g[1], "encode", 1, t))
        ax.set_ylabel("MB/s (log)")
        ax.set_title("encode throughput, 1 CPU (higher is better)")
        legend(ax)
        fig.tight_layout()
        fig.savefig(out / "throughput_1cpu.png", dpi=110)
        plt.close(fig)
        made.append("throughput_1cpu.png")

        others = [t for t in r.tools if t != REF]
        fig, ax = plt.subplots(figsize=(max(8, len(keys) * 1.4), 4.5))
        bars(ax, keys, others, lambda g, t: r.ratio(g[0], g[1], "encode", 1, t), log=True, ref_line=(1, "tiktoken"))
        ax.set_ylabel("× tiktoken (log)")
        ax.set_title("encode speed relative to tiktoken 0.14, 1 CPU")
        legend(ax)
        fig.tight_layout()
        fig.savefig(out / "ratio_vs_tiktoken.png", dpi=110)
        plt.close(fig)
        made.append("ratio_vs_tiktoken.png")

    for group in ("adversarial", "pathological"):
        keys = [(e, i) for (e, i), g in r.keys("encode", 1).items() if g == group]
        if not keys:
            continue
        fig, ax = plt.subplots(figsize=(max(8, len(keys) * 0.9), 4.5))
        bars(ax, keys, r.tools, lambda g, t: r.mb_s(g[0], g[1], "encode", 1, t), ref_line=(100, "100 MB/s target"))
        ax.set_ylabel("MB/s (log)")
        ax.set_title(f"{group} inputs, encode, 1 CPU (missing bar: ids differ, timeout, or unsupported)")
        legend(ax)
        ax.tick_params(axis="x", labelsize=6)
        fig.tight_layout()
        fig.savefig(out / f"{group}.png", dpi=110)
        plt.close(fig)
        made.append(f"{group}.png")

    sc = batch_scaling(r)
    if sc:
        labels = sorted({(e, i) for e, i, _, _, _ in sc})
        tools = [t for t in r.tools if any(x[2] == t for x in sc)]
        val = {(e, i, t): x for e, i, t, x, _ in sc}
        fig, ax = plt.subplots(figsize=(max(8, len(labels) * 1.2), 4.5))
        bars(ax, labels, tools, lambda g, t: val.get((g[0], g[1], t)), log=False, ref_line=(1.8, "1.8× target"))
        ax.set_ylabel("batch throughput, 2 CPUs / 1 CPU")
        ax.set_title("batch scaling from 1 to 2 threads")
        legend(ax)
        fig.tight_layout()
        fig.savefig(out / "batch_scaling.png", dpi=110)
        plt.close(fig)
        made.append("batch_scaling.png")

    st = r.data.get("startup", {}).get("results", [])
    if st:
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(st) + 1.5))
        ax.barh([x["what"] for x in st], [x["ms_median"] for x in st], color="tab:blue")
        ax.set_xscale("log")
        ax.set_xlabel("ms, median over fresh processes (log)")
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title("process start to first encode")
        fig.tight_layout()
        fig.savefig(out / "startup.png", dpi=110)
        plt.close(fig)
        made.append("startup.png")
    return made


def write(data: dict, out: Path, plots: bool = True) -> str:
    r = Results(data)
    m = data["machine"]
    a = data["args"]
    lines = ["# tokcount benchmark results", "",
             "Written by `bench/compare.sh` (bench/harness/compare.py); do not edit by hand. "
             "MB = 10^6 bytes. Medians over interleaved repetitions; ratios are to tiktoken on the same input, "
             "encoding and CPU count.", ""]
    if a.get("quick"):
        lines += ["> **Quick run** (`--quick`): small inputs and few repetitions, to check the harness. "
                  "Its numbers are not representative.", ""]
    lines += [f"**Machine:** {system.machine_line(m)}", "",
              f"**Run:** encodings {', '.join(a['encodings'])}; {a['reps']} repetitions of ≥ {a['min_time']} s; "
              f"timeout {a['timeout']} s; generated sizes {', '.join(a['sizes'])}; took {m.get('seconds', '?')} s.", "",
              "## Tools", "", "| tool | version |", "|---|---|"]
    lines += [f"| {t} | {v} |" for t, v in data["versions"].items()]
    # The summary is written for the README (paths from the repo root); here it sits beside the plots.
    inner = summary(r).replace(MARK_START, "").replace(MARK_END, "").replace("](bench/results/", "](").strip()
    lines += ["", "## Summary", "", inner, ""]
    lines += ["## Throughput", ""]
    wide_tables(r, lines)
    long_table(r, lines)
    sc = batch_scaling(r)
    if sc:
        lines += ["## Batch scaling (2 CPUs over 1 CPU)", "",
                  "*paired*: one- and two-thread batch calls interleaved in the same 2-CPU worker, median of "
                  "the per-repetition ratios (tokcount); *phases*: the 2-CPU phase's median over the 1-CPU "
                  "phase's (peers whose thread count is fixed per process).", "",
                  "| encoding | input | tool | × | how |", "|---|---|---|---:|---|"]
        lines += [f"| {e} | {i} | {t} | {x:.2f} | {how} |" for e, i, t, x, how in sc]
        lines.append("")
    st = data.get("startup")
    if st:
        lines += [f"## Process start to first encode ({st['method']})", "", "| what | median ms | min ms | max ms | runs |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {x['what']} | {x['ms_median']:.2f} | {x['ms_min']:.2f} | {x['ms_max']:.2f} | {x['runs']} |"
                  for x in st["results"]]
        lines.append("")
    mem = data.get("memory")
    if mem:
        lines += [f"## Resident memory (MiB added after the import; text: {mem['text']})", "",
                  "| encoding | tool | import | load | + first encode | + 1 MB text | peak RSS |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for row in mem["rows"]:
            if "after_load" not in row:
                lines.append(f"| {row['encoding']} | {row['tool']} | {row.get('skip', '')[:80]} | | | | |")
                continue
            base = row["after_import"]
            mib = lambda k: f"{(row[k] - base) / 2**20:.1f}"  # noqa: E731
            imp = (row["after_import"] - row.get("start", row["after_import"])) / 2**20
            lines.append(f"| {row['encoding']} | {row['tool']} | {imp:.1f} | {mib('after_load')} | "
                         f"{mib('after_first_encode')} | {mib('after_text')} | {row['peak'] / 2**20:.1f} |")
        lines.append("")
    ov = data.get("overhead")
    if ov:
        lines += ["## Per call on a 10-byte string (Python, 1 CPU; ns, median of 9 timeit repeats)", "",
                  "| encoding | tool | call | median ns | min ns |", "|---|---|---|---:|---:|"]
        for o in ov:
            for call, v in o.get("calls", {}).items():
                lines.append(f"| {o['encoding']} | {o['tool']} | {call} | {v['ns_median']:.0f} | {v['ns_min']:.0f} |")
            if "skip" in o:
                lines.append(f"| {o['encoding']} | {o['tool']} | – | {o['skip'][:80]} | |")
        lines.append("")
    notes = list(data.get("notes", []))
    for c in data.get("cells", []):
        if c["status"] in ("mismatch", "timeout", "error"):
            notes.append(f"{c['tool']} on {c['encoding']} {c['input']} ({c['mode']}, {c['cpus']} CPU): "
                         f"{c['status']}: {c['note']}")
    if notes:
        lines += ["## Notes (skips, mismatches, timeouts)", ""] + [f"- {n}" for n in notes] + [""]
    made = make_plots(r, out) if plots else []
    if made:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in made] + [""]
    (out / "results.md").write_text("\n".join(lines))
    write_csv(r, out / "results.csv")
    block = summary(r)
    (out / "summary.md").write_text(block + "\n")
    return block
