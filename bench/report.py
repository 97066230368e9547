"""The benchmark's Markdown table (stdout) from the results that go into `build/bench.json`."""

from __future__ import annotations

import math
from typing import Any, Iterable

from .common import gflops, ratio_pairs, timing

Row = tuple[str, str, str, str, str]
HEADER: Row = ("", "measure", "value", "min – max", "note")


def num(x: float | None, digits: int = 3) -> str:
    """`digits` significant digits, no exponent for everyday sizes."""
    if x is None:
        return "–"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 10 ** digits:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(ax)))
    return f"{x:.{decimals}f}"


def span(t: dict[str, Any] | None, scale: float = 1.0, digits: int = 3) -> str:
    if not t or t.get("min") is None:
        return "–"
    return f"{num(t['min'] * scale, digits)} – {num(t['max'] * scale, digits)}"


def med(t: dict[str, Any] | None, scale: float = 1.0, digits: int = 3, key: str = "median") -> str:
    if not t or t.get(key) is None:
        return "–"
    return num(t[key] * scale, digits)


def rate(macs: float | None, seconds: float | None) -> str:
    g = gflops(macs, seconds) if macs else None
    return f"{num(g)} GFLOP/s" if g is not None else ""


def threads_label(k: str) -> str:
    return f"{k} thread" + ("" if k == "1" else "s")


def speed_rows(r: dict[str, Any]) -> list[Row]:
    s, rows = r.get("speed"), []
    if not s:
        return rows
    if "error" in s:
        return [("speed", "training speed", "failed", "", s["error"].splitlines()[-1][:120])]
    macs = s["macs_epoch"]["total"]
    for k, t in s["threads"].items():
        n = f"{s['rounds']} rounds × {s['epochs']} epochs, batch {s['batch_size']}"
        if t.get("runs_over_budget"):
            n += f"; {t['runs_over_budget']} runs cut short by the time budget"
        label = threads_label(k)
        rows.append(("speed", f"fine-tune epoch, aedemo numpy, {label} (s)", med(t["numpy"]),
                     span(t["numpy"]), f"{rate(macs, t['numpy']['median'])}; {n}"))
        rows.append(("speed", f"fine-tune epoch, PyTorch, {label} (s)", med(t["torch"]),
                     span(t["torch"]), f"{rate(macs, t['torch']['median'])}; same net, batches, "
                     f"Adam ({s.get('torch_adam', 'fused')}), schedule"))
        rows.append(("speed", f"ratio aedemo / PyTorch, {label}", num(t["ratio"]),
                     span(t["ratio_rounds"]), "< 1: aedemo faster; median and range over A B rounds"))
    for k, t in s["threads"].items():
        if t.get("profile", {}).get("products") and t["numpy"].get("median"):
            rows.append(profile_row(threads_label(k), t["profile"], t["numpy"]))
    for k, t in s["threads"].items():
        p = t.get("pretrain_seconds")
        if p and p.get("n"):
            rows.append(("speed", f"pretraining, aedemo, {threads_label(k)} (s)", med(p), span(p),
                         f"{len(r.get('train_config', {}).get('rbm_lr', [])) or 4} RBMs × "
                         f"{r.get('train_config', {}).get('rbm_epochs', '?')} epochs; "
                         f"the {p['n']} numpy processes of the speed rounds"))
    return rows


PARTS = (("backprop_rest", "rest of backprop"), ("adam", "Adam"), ("evaluate", "val/test MSE"),
         ("gather", "batch gathering"))


def profile_row(label: str, prof: dict[str, Any], epoch: dict[str, Any]) -> Row:
    """Where a numpy epoch's time goes: its matrix products, then the other parts."""
    parts = {key: prof[key]["median"] for key in ("products", *dict(PARTS)) if key in prof}
    others = ", ".join(f"{name} {num(parts[key], 2)}" for key, name in PARTS if key in parts)
    rest = epoch["median"] - sum(parts.values())
    share = num(100 * parts["products"] / epoch["median"], 2)
    return ("speed", f"fine-tune epoch, aedemo numpy, {label}: matrix products (s)",
            med(prof["products"]), span(prof["products"]),
            f"{share} % of the epoch; {others}"
            + (f", loop and the rest {num(rest, 2)} (s)" if rest >= 0 else
               f" (s), together {num(-rest, 2)} s more than the whole epoch")
            + "; each part "
            f"timed alone, medians over the {prof['products']['n']} numpy processes")


def train_rows(r: dict[str, Any]) -> list[Row]:
    b = r.get("build")
    if not b:
        return []
    if "error" in b:
        return [("speed", "`aedemo build`", "failed", "", b["error"].splitlines()[-1][:120])]
    st = b.get("stages") or {}
    stages = ", ".join(f"{k} {num(v, 2)}" for k, v in st.items() if k != "total")
    return [("speed", "`aedemo build`, whole (s)", med(b["seconds"]), span(b["seconds"]),
             f"{b['seconds']['n']} run(s), aedemo's own threads; stages of the last (s): {stages}")]


METHODS = (("pca2", "PCA-2"), ("torch", "PyTorch, random init"),
           ("numpy_random", "aedemo, no pretraining"), ("numpy_pretrain", "aedemo, pretrained"))


def quality_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for q in r.get("quality", []):
        label = f"quality · {q.get('data', '?')}"
        if "error" in q:
            rows.append((label, "quality", "failed", "", q["error"].splitlines()[-1][:120]))
            continue
        for metric, name, digits in (("test_mse", "test MSE", 3), ("knn5", "kNN-5 on 2-D codes", 3)):
            for key, method in METHODS:
                m = q["methods"].get(key)
                if not m:
                    continue
                t = m[metric]
                note = (f"mean of {t['n']} seeds, sd {num(t['sd'], 2)}" if t["n"] > 1
                        else "deterministic" if key == "pca2" else "1 seed")
                if key != "pca2":
                    note += f"; {m['epochs']} epochs"
                rows.append((label, f"{name}, {method}", num(t["mean"], digits), span(t, digits=digits),
                             note))
            cmp = q["methods"].get("pretraining")
            if cmp:
                d = cmp[metric]["difference"]
                verdict = {True: "within the seeds' spread", False: "beyond the seeds' spread",
                           None: "one seed: no spread"}[cmp[metric]["within_spread"]]
                rows.append((label, f"{name}, pretrained − no pretraining", num(d["mean"], digits + 1),
                             span(d, digits=digits + 1),
                             f"per-seed difference over {cmp['seeds']} seeds, sd {num(d['sd'], digits + 1)}; "
                             f"{verdict} (the page's test: |mean| < √(sd² + sd²))"))
    return rows


def browser_rows(r: dict[str, Any]) -> list[Row]:
    b, rows = r.get("browser"), []
    if not b:
        return rows
    if "error" in b or "skipped" in b:
        why = b.get("error") or b.get("skipped")
        return [("browser", "page", "skipped" if "skipped" in b else "failed", "",
                 str(why).splitlines()[-1][:120])]
    for mode, name in (("http", "http://127.0.0.1/aedemo/"), ("file", "file://")):
        t = b["loads"][mode]["first_image_ms"]
        rows.append(("browser", f"navigation → first decoded image, {name} (ms)", med(t, digits=4),
                     span(t, digits=4), f"{t['n']} cold loads; ready at {med(b['loads'][mode]['ready_ms'], digits=4)} ms"))
        w = b["loads"][mode].get("warm_first_image_ms")
        if w:
            rows.append(("browser", f"navigation → first decoded image, warm reload, {name} (ms)",
                         med(w, digits=4), span(w, digits=4),
                         f"{w['n']} reloads, the cache and compiled code kept"))
    bare = b["loads"].get("bare")
    if bare:
        t = bare["first_image_ms"]
        rows.append(("browser", "floor: navigation → first run, onnxruntime-web alone, http (ms)", med(t, digits=4),
                     span(t, digits=4), f"{t['n']} cold loads beside the page's: a bare page with the same "
                     f"onnxruntime-web files and decoder, nothing else; session at {med(bare['ready_ms'], digits=4)} ms"))
    rows += ratio_rows(b)
    v = b["loads"]["http"].get("visitor_gzip_bytes")
    if v:
        top = sorted(v.items(), key=lambda kv: -kv[1])[:4]
        rows.append(("browser", "bytes a visitor downloads over http, gzip -9", f"{sum(v.values()):,}", "",
                     f"{len(v)} files; largest: " + ", ".join(f"{k.rsplit('/', 1)[-1]} {n:,}" for k, n in top)))
    d = b["decode"]
    macs = r["floor"]["macs_decode"]
    clock = (f"{num(d['clock_resolution_us'], 2)} µs clock" if d.get("clock_resolution_us")
             else "coarse clock")
    s = d["single_us"]
    rows.append(("browser", "decode 1 point, p50 (µs)", num(s["p50"]), span(s),
                 f"{d['calls']} calls timed one by one ({clock}); {rate(macs, s['p50'] / 1e6)}"))
    rows.append(("browser", "decode 1 point, p99 (µs)", num(s["p99"]), "", ""))
    rm = d["run_mean_us"]
    rows.append(("browser", f"decode 1 point, mean of runs of {d['run_of']} (µs)", med(rm), span(rm),
                 f"p50 {num(rm['p50'])}, p99 {num(rm['p99'])} over {rm['n']} runs"))
    bt = b["batch"]
    rows.append(("browser", f"decode {bt['points']:,} points at once (ms)", med(bt["ms"]), span(bt["ms"]),
                 f"{rate(macs * bt['points'], bt['ms']['median'] / 1e3)}; {bt['how']}"))
    for name, label in (("smooth", "smoothness"), ("unfamiliar", "unfamiliar")):
        m = (b.get("maps") or {}).get(name)
        if m:
            rows.append(("browser", f"{label} map, one refresh of the default view (ms)", med(m["ms"]),
                         span(m["ms"]), f"{m['cells']} cells; of it the batched decode {med(m['decode_ms'])} ms; "
                         f"first refresh {num(m['first_ms'])} ms; {m['ms']['n']} more"))
    return rows


# Issue 26's targets, printed beside the figures (never a pass or fail of the run).
TARGETS = {"loopback": 1.25, "10mbit": (1000.0, 1.03), "1.6mbit": (3000.0, 1.03)}


def ratio_rows(b: dict[str, Any]) -> list[Row]:
    """The page against the floor over loopback (round by round) and on each emulated network."""
    rows: list[Row] = []
    bare = b["loads"].get("bare")
    if bare:
        pairs = ratio_pairs(b["loads"]["http"]["first_image_ms"].get("values") or [],
                            bare["first_image_ms"].get("values") or [])
        if pairs:
            t = timing(pairs)
            rows.append(("browser", "first decoded image, page / floor, http loopback", med(t), span(t),
                         f"{t['n']} rounds, each the page's cold load over its floor's; target ≤ "
                         f"{TARGETS['loopback']}"))
    for key, n in (b.get("networks") or {}).items():
        where = f"{n['label']}, gzip"
        pointer_target, ratio_target = TARGETS.get(key, (None, None))
        t = n["pointer_ms"]
        rows.append(("browser", f"{where}: navigation → first answer to the pointer (ms)", med(t, digits=4),
                     span(t, digits=4), f"{t['n']} cold loads; coordinates and nearest real images drawn"
                     + (f"; target ≤ {pointer_target:,.0f} ms" if pointer_target else "")))
        t = n["first_image_ms"]
        rows.append(("browser", f"{where}: navigation → first decoded image (ms)", med(t, digits=4),
                     span(t, digits=4), f"{t['n']} cold loads"))
        t = n["floor_ms"]
        rows.append(("browser", f"{where}: floor, onnxruntime-web alone (ms)", med(t, digits=4),
                     span(t, digits=4), f"{t['n']} cold loads, each beside one of the page's"))
        t = n["ratio"]
        rows.append(("browser", f"{where}: first decoded image, page / floor", med(t), span(t),
                     f"{t['n']} rounds" + (f"; target ≤ {ratio_target}" if ratio_target else "")))
    return rows


def site_rows(r: dict[str, Any]) -> list[Row]:
    s = r.get("site")
    if not s:
        return []
    where = "built by this run" if s.get("built") else f"{s.get('path')} (not built by this run)"
    return [("site", "total bytes, raw", f"{s['bytes']:,}", "", f"{s['files']} files; {where}"),
            ("site", "total bytes, gzip -9", f"{s['gzip9_bytes']:,}", "", "each file compressed")]


def floor_rows(r: dict[str, Any]) -> list[Row]:
    f = r.get("floor")
    if not f:
        return []
    rows: list[Row] = [
        ("floor", "multiply-accumulates per decode", f"{f['macs_decode']:,}", "", "matrix products only"),
    ]
    if f.get("macs_epoch"):
        e = f["macs_epoch"]
        rows.append(("floor", "multiply-accumulates per fine-tune epoch", f"{e['total']:,}", "",
                     f"backprop on {f['n_train']:,} images {e['train']:,} + "
                     f"val/test MSE on {f['n_eval']:,} images {e['evaluate']:,}"))
    for k, by_impl in (f.get("gemm") or {}).items():
        if not isinstance(by_impl, dict):
            continue
        for impl, name in (("numpy", "numpy"), ("torch", "PyTorch")):
            g = by_impl.get(impl)
            if not g:
                continue
            note = ""
            if f.get("macs_epoch") and g.get("median"):
                floor_s = 2 * f["macs_epoch"]["total"] / (g["median"] * 1e9)
                note = f"an epoch's MACs at this rate: {num(floor_s)} s"
                epoch = (((r.get("speed") or {}).get("threads") or {}).get(k) or {}).get(impl)
                if epoch and epoch.get("median"):
                    note += f"; the measured epoch takes {num(epoch['median'] / floor_s, 2)} × that"
            rows.append(("floor", f"float32 GEMM {g['size']}³, {name}, {threads_label(k)} (GFLOP/s)",
                         med(g), span(g), note))
    return rows


def table(rows: Iterable[Row]) -> str:
    rows = [HEADER, *rows]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "|".join(["---"] * 2 + ["---:"] * 2 + ["---"]) + "|")
    return "\n".join(lines)


def header(r: dict[str, Any]) -> str:
    m, rt = r["machine"], r.get("runtime", {})
    load = r.get("load_average", {})
    lines = [
        f"aedemo bench, {r['date']}{' (--quick)' if r['plan'].get('quick') else ''}: "
        f"{m['cpu']}, {m['cores']} cores; the same thread count on both sides "
        f"({' and '.join(str(t) for t in r['threads'])}); "
        f"load average {load.get('start')} at the start, {load.get('end')} at the end.",
    ]
    libs = []
    if rt.get("numpy"):
        libs.append(f"numpy {m['numpy']} ({rt['numpy']})")
    if rt.get("torch"):
        libs.append(f"torch {rt['torch']}")
    if r.get("browser", {}).get("chromium"):
        libs.append(f"chromium {r['browser']['chromium']}")
    if libs:
        lines.append("; ".join(libs) + ".")
    if m.get("kernel_vars"):
        lines.append("Kernel settings: " + ", ".join(f"{k}={v}" for k, v in m["kernel_vars"].items()) + ".")
    return "\n".join(lines)


def markdown(r: dict[str, Any]) -> str:
    rows = (speed_rows(r) + train_rows(r) + quality_rows(r) + browser_rows(r) + site_rows(r)
            + floor_rows(r))
    return header(r) + "\n\n" + table(rows) + "\n"
