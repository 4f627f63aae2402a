#!/usr/bin/env python3
"""Fits the story decision's trees (src/story/trees.rs) and measures them.

Usage:
    fit.py FILE.jsonl... [--write src/story/trees.rs] [--cross]
                        fit on all files together, measure on each, and write the trees as Rust;
                        with --cross, also fit on each file alone and measure on every file
    fit.py --half FILE.jsonl... [--write PATH]
                        fit on the first half (in time) of each file and measure on the second
                        halves, then the other way round: the out-of-sample check (with --write,
                        the two ensembles go to PATH.first and PATH.second, to replay them)

Each FILE holds {"id","story","title","text","published","url"} lines in publication order,
with gold story labels. The files are replayed with the gold stories: every (article, candidate
story) pair the clustering would score is one example, positive when the article belongs to
that story (positives weighed 1.3). Gradient-boosted trees (scikit-learn's
HistGradientBoostingClassifier: 200 trees of at most 15 leaves, learning rate 0.05, L2 1, no
early stopping, so the fit is deterministic) on the 15 features of `Features::vector` give the
ensemble, which is exported node by node, checked against the model's own scores, and written
as Rust (then rustfmt). The features mirror the Rust code (tokens, stopwords, full names, online
IDF, candidates from the two inverted indexes, the 30-day window and the 1,500-day archive
reached by names at most 10 articles carry); the IDF halving, the body-term cap and the
near-duplicate shortcut are left out, so the figures it prints run above
`flashpoint stories --replay`'s, which are the ones to report. Needs numpy and scikit-learn
(benches/stories/requirements.txt).
"""
import collections
import datetime
import json
import math
import os
import re
import subprocess
import sys

STOP = set("""a an the and or but if of to in on at by for with from as is was were be been being are
it its this that these those he she they we you i his her their our your them him who whom which
what when where why how not no so than then there here also after before over under into out up
down about said says say would could should will can may might has have had do does did just more
most some any all one two very new like told according police officials official news monday
tuesday wednesday thursday friday saturday sunday am pm mr mrs ms""".split())
URL = re.compile(r"https?://\S+|www\.\S+")
WORD = re.compile(r"\w+")
NAMETOK = re.compile(r"[^\W_][\w'’-]*|[^\w\s]")
WINDOW_DAYS = 30
# Positive pairs weigh more in the fit: an article has many candidates and one right one, so
# unweighted the loss is ruled by easy negatives, and a missed join (a story split in two,
# two alerts for one event) is weighed no more than one candidate of the dozens turned away.
POSITIVE_WEIGHT = 1.3
# The ensemble's size: trees of at most LEAVES leaves each.
TREES = 200
LEAVES = 15
# Stories stay reachable this many days after their last article through a shared full name
# at most ARCHIVE_MAX_DF articles carry.
ARCHIVE_DAYS = 1500
ARCHIVE_MAX_DF = 10
FIELDS = 4  # title, body, entities, names


def tokens(text):
    words, entities = [], []
    for m in WORD.finditer(URL.sub(" ", text)):
        w = m.group(0).replace("_", "")
        lw = w.lower()
        if not w or lw in STOP or (len(lw) < 2 and not lw[0].isdigit()):
            continue
        words.append(lw)
        if w[0].isupper() or w[0].isdigit():
            entities.append(lw)
    return words, entities


def _norm(t):
    t = t.lower()
    if t.endswith(("'s", "’s")):
        t = t[:-2]
    return t.rstrip("'’")


def names(text, aged=None):
    """Adjacent capitalised words (a single capital with a full stop, an initial, is skipped
    over), as lowercase bigrams: full names of people and places. With `aged` (a list), the
    bigrams directly followed by ", <1-3 digit number>" (AP style "Name, 22,": a person) are
    also put there."""
    out = []
    prev = None
    toks = NAMETOK.findall(URL.sub(" ", text))
    i = 0
    while i < len(toks):
        t = toks[i]
        if len(t) == 1 and t.isupper() and i + 1 < len(toks) and toks[i + 1] == "." and prev:
            i += 2  # an initial: keep the run going
            continue
        if t[0].isupper() and t[0].isalpha() and len(t) > 1 and t.lower() not in STOP:
            cur = _norm(t)
            if prev:
                out.append(prev + " " + cur)
                if aged is not None and i + 2 < len(toks) and toks[i + 1] == "," and toks[i + 2].isdigit() \
                        and len(toks[i + 2]) <= 3:
                    aged.append(prev + " " + cur)
            prev = None if t.endswith(("'s", "’s", "'", "’")) else cur
        else:
            prev = None
        i += 1
    return out


class Frequencies:
    def __init__(self):
        self.n, self.df = 0, collections.Counter()

    def add(self, bag):
        self.n += 1
        self.df.update(set(bag))

    def idf(self, t):
        return math.log((self.n + 1) / (self.df.get(t, 0) + 1)) + 1


def weigh(bag, freq):
    v = {t: (1 + math.log(n)) * freq.idf(t) for t, n in bag.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1
    return {t: x / norm for t, x in v.items()}


def cosine(a, b):
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0) for t, x in a.items())


def outlet(url):
    host = url.split("/")[2] if "//" in url else url
    host = host.split(":")[0].lower()
    return host[4:] if host.startswith("www.") else host


def day(s):
    return datetime.date.fromisoformat(s[:10]).toordinal()


def features(doc, story, freqs, now):
    if story["vectors"] is None or story["weighed_at"] + 50 <= freqs[0].n:
        story["vectors"] = [weigh(story["bags"][k], freqs[k]) for k in range(FIELDS)]
        story["weighed_at"] = freqs[0].n
    f = [cosine(doc["vectors"][k], story["vectors"][k]) for k in range(3)]
    shared = [freqs[2].idf(t) for t in doc["bags"][2] if t in story["bags"][2]]
    rare = max(shared, default=0) / math.log(freqs[2].n + 2)
    gap = abs(now - story["last"])
    f += [rare, math.log1p(gap)]
    f.append(float((doc["outlet"], now) in story["seen"]))
    f += [cosine(doc["vectors"][k], story["latest"][k]) for k in range(2)]
    # Full names: the rarest shared one, how much the shared ones are the story's own.
    sn = [freqs[3].idf(t) for t in doc["bags"][3] if t in story["ndocs"]]
    nr = max(sn, default=0) / math.log(freqs[3].n + 2)
    f.append(nr)
    exs = [story["ndocs"][t] / max(1.0, freqs[3].df.get(t, 0) - 1) for t in doc["bags"][3] if t in story["ndocs"]]
    ex = min(1.0, max(exs, default=0.0))
    f.append(ex)
    f.append(float(doc["outlet"] in story["outlets"]))
    f.append(math.log1p(sum(1 for e in exs if e >= 0.5)))
    f.append(len(exs) / max(1, len(doc["bags"][3])))
    f.append(max((min(1.0, story["edocs"][t] / max(1.0, freqs[2].df.get(t, 0) - 1))
                  for t in doc["bags"][2] if t[0].isdigit() and t in story["edocs"]), default=0.0))
    f.append(max((min(1.0, story["ndocs"][t] / max(1.0, freqs[3].df.get(t, 0) - 1))
                  for t in doc["bags"][4] if t in story["ndocs"]), default=0.0))
    return f


def doc_bags(r):
    tw, te = tokens(r["title"])
    bw, be = tokens(r["text"])
    aged = []
    nm = names(r["text"], aged)
    return [collections.Counter(tw), collections.Counter(bw), collections.Counter(te + be), collections.Counter(nm),
            set(aged)]


_BAGS = {}


def replay(rows, model=None):
    """With `model`, clusters and returns {id: story}; without, returns training pairs."""
    freqs = [Frequencies() for _ in range(FIELDS)]
    stories, index, assigned, pairs, gold_slot = {}, {}, {}, [], {}
    nindex = {}
    keep = max(WINDOW_DAYS, ARCHIVE_DAYS)
    for r in rows:
        now = day(r["published"])
        key = r["id"]
        if key not in _BAGS:
            _BAGS[key] = doc_bags(r)
        bags = _BAGS[key]
        for k in range(FIELDS):
            freqs[k].add(bags[k])
        doc = {"bags": bags, "vectors": [weigh(bags[k], freqs[k]) for k in range(FIELDS)],
               "outlet": outlet(r["url"])}
        for slot in [s for s, st in stories.items() if now - st["last"] > keep]:
            del stories[slot]
        limit = 0.05 * freqs[0].n + 3
        slots = set()
        for t in set(bags[0]) | set(bags[2]):
            if freqs[0].df.get(t, 0) + freqs[2].df.get(t, 0) < limit:
                slots |= index.get(t, set())
        slots = {s for s in slots if s in stories and now - stories[s]["last"] <= WINDOW_DAYS}
        for t in set(bags[3]):
            df = freqs[3].df.get(t, 0)
            if df < limit:
                for s in nindex.get(t, ()):
                    if s in stories and (now - stories[s]["last"] <= WINDOW_DAYS or df <= ARCHIVE_MAX_DF):
                        slots.add(s)
        cands = sorted((s, features(doc, stories[s], freqs, now)) for s in slots)
        if model is None:
            pairs += [(f, int(stories[s]["gold"] == r["story"])) for s, f in cands]
            target = gold_slot.get(r["story"]) if gold_slot.get(r["story"]) in stories else None
        else:
            scored = [(model.score(f), s) for s, f in cands]
            best = max(scored, default=(0, None), key=lambda p: p[0])
            target = best[1] if best[0] > 0 else None
        if target is None:
            target = len(assigned)
            stories[target] = {"bags": [collections.Counter() for _ in range(FIELDS)], "last": now,
                               "gold": r.get("story"), "vectors": None, "weighed_at": 0, "seen": set(),
                               "ndocs": collections.Counter(), "outlets": set(), "edocs": collections.Counter()}
            gold_slot[r.get("story")] = target
        st = stories[target]
        for k in range(FIELDS):
            st["bags"][k].update(bags[k])
        st["last"], st["vectors"], st["latest"] = max(st["last"], now), None, doc["vectors"]
        st["seen"].add((doc["outlet"], now))
        st["outlets"].add(doc["outlet"])
        for t in set(bags[0]) | set(bags[2]):
            index.setdefault(t, set()).add(target)
        st["edocs"].update(set(bags[2]))
        st["ndocs"].update(set(bags[3]))
        for t in set(bags[3]):
            nindex.setdefault(t, set()).add(target)
        assigned[r["id"]] = target
    return assigned if model is not None else pairs


class Trees:
    """The fitted ensemble as the Rust code holds it: a baseline and, for each tree, its nodes
    (feature, threshold, left, right) and leaves (value); a feature at or below a node's
    threshold goes left."""

    def __init__(self, baseline, trees):
        self.baseline, self.trees = baseline, trees

    def score(self, f):
        z = self.baseline
        for nodes in self.trees:
            i = 0
            while nodes[i][0] is not None:
                feature, threshold, left, right = nodes[i]
                i = left if f[feature] <= threshold else right
            z += nodes[i][1]
        return z


def fit(pairs):
    """Gradient-boosted trees on the pairs; returns them as `Trees`."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.array([f for f, _ in pairs], dtype=np.float64)
    y = np.array([v for _, v in pairs])
    model = HistGradientBoostingClassifier(max_iter=TREES, learning_rate=0.05, max_leaf_nodes=LEAVES,
                                           min_samples_leaf=20, l2_regularization=1.0, early_stopping=False,
                                           random_state=0)
    model.fit(x, y, sample_weight=np.where(y > 0, POSITIVE_WEIGHT, 1.0))
    trees = []
    for (predictor,) in model._predictors:  # noqa: SLF001 (the fitted trees have no public accessor)
        nodes = []
        for n in predictor.nodes:
            if n["is_leaf"]:
                nodes.append((None, float(n["value"])))
            else:
                nodes.append((int(n["feature_idx"]), float(n["num_threshold"]), int(n["left"]), int(n["right"])))
        trees.append(nodes)
    baseline = float(np.ravel(model._baseline_prediction)[0])  # noqa: SLF001
    out = Trees(baseline, trees)
    check = model.decision_function(x[:2000])
    worst = max(abs(out.score(list(r)) - c) for r, c in zip(x[:2000], check))
    assert worst < 1e-6, f"exported trees disagree with the model by {worst}"
    return out


def rust(model):
    """The ensemble as `src/story/trees.rs`."""
    import numpy as np

    f32 = lambda v: str(np.float32(v))  # the shortest text that reads back as the same f32
    lines = ["//! The join decision's trees, written by `benches/stories/fit.py`; do not edit.",
             "//! Long because it is data: a line a node.", "",
             "#![allow(clippy::unreadable_literal, clippy::approx_constant)]", "",
             "use super::Node;", "",
             f"/// The log-odds before any tree.\npub(super) const BASELINE: f32 = {f32(model.baseline)};", "",
             "/// Where each tree starts in [`NODES`].",
             f"pub(super) static ROOTS: [u16; {len(model.trees)}] = ["]
    roots, flat = [], []
    for nodes in model.trees:
        roots.append(len(flat))
        start = len(flat)

        def walk(i):
            # Preorder: a split's left child is the next node, its right child `right` further.
            n = nodes[i]
            if n[0] is None:
                flat.append(f"Node::leaf({f32(n[1])})")
                return
            at = len(flat)
            flat.append(None)
            walk(n[2])
            right = len(flat) - at
            assert right < 256, "a tree too large for the node layout"
            flat[at] = f"Node::split({n[0]}, {f32(n[1])}, {right})"
            walk(n[3])

        walk(0)
        assert len(flat) - start == len(nodes)
    lines += [f"    {r}," for r in roots] + ["];", "", "/// Every tree's nodes.", f"pub(super) static NODES: [Node; {len(flat)}] = ["]
    lines += [f"    {n}," for n in flat] + ["];", ""]
    return "\n".join(lines)


def scores(rows, pred, only=None):
    gold = {r["id"]: r["story"] for r in rows if only is None or r["id"] in only}
    gm, pm = collections.defaultdict(set), collections.defaultdict(set)
    for k in gold:
        gm[gold[k]].add(k)
        pm[pred[k]].add(k)
    bp = sum(len(gm[gold[k]] & pm[pred[k]]) / len(pm[pred[k]]) for k in gold) / len(gold)
    br = sum(len(gm[gold[k]] & pm[pred[k]]) / len(gm[gold[k]]) for k in gold) / len(gold)
    cells = collections.Counter((gold[k], pred[k]) for k in gold)
    tp = sum(c * (c - 1) // 2 for c in cells.values())
    pp = sum(len(m) * (len(m) - 1) // 2 for m in pm.values()) or 1
    gp = sum(len(m) * (len(m) - 1) // 2 for m in gm.values()) or 1
    f1 = lambda p, r: 2 * p * r / (p + r) if p + r else 0.0
    return f1(bp, br), f1(tp / pp, tp / gp), tp / pp, tp / gp


def report(label, model, sets, short, only=None):
    for f, rows in sets.items():
        keep = only[f] if only else None
        b, p, pp, pr = scores(rows, replay(rows, model), keep)
        print(f"  {label} {short[f]}: bcubed_f1={b:.3f} pairwise_f1={p:.3f} P={pp:.3f} R={pr:.3f}", flush=True)


def main():
    args = sys.argv[1:]
    out = args[args.index("--write") + 1] if "--write" in args else None
    files = [a for a in args if not a.startswith("--") and a != out]
    if not files:
        sys.exit(__doc__)
    sets = {f: [json.loads(line) for line in open(f, encoding="utf8") if line.strip()] for f in files}
    short = {f: os.path.basename(f).split("_")[1] for f in files}
    if "--half" in args:
        firsts = {f: rows[: len(rows) // 2] for f, rows in sets.items()}
        seconds = {f: rows[len(rows) // 2:] for f, rows in sets.items()}
        for name, fit_on, measure in [("first", firsts, seconds), ("second", seconds, firsts)]:
            model = fit([p for rows in fit_on.values() for p in replay(rows)])
            if out:
                with open(f"{out}.{name}", "w", encoding="utf8") as w:
                    w.write(rust(model))
            print(f"fitted on the {name} halves, measured on the others:")
            report("other half of", model, sets, short, {f: {r["id"] for r in rows} for f, rows in measure.items()})
        return
    pairs = {f: replay(rows) for f, rows in sets.items()}
    model = fit([p for ps in pairs.values() for p in ps])
    print(f"fitted on all: {len(model.trees)} trees, {sum(len(t) for t in model.trees)} nodes")
    report("", model, sets, short)
    if out:
        with open(out, "w", encoding="utf8") as w:
            w.write(rust(model))
        repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        subprocess.run(["rustfmt", "--edition", "2024", "--config-path", repo, out], check=True)
    if "--cross" in args:
        for f in files:
            print(f"fitted on {short[f]} alone:")
            report("", fit(pairs[f]), sets, short)


if __name__ == "__main__":
    main()
