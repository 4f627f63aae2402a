#!/usr/bin/env python3
"""Builds the relevance model's training files from public data (Python 3.11 stdlib only).

Usage:
    prepare.py --conflibert PATH --shared PATH --out DIR

--conflibert: a clone of eventdata/ConfliBERT (a work tree with data/, or a bare git directory,
read with `git show HEAD:data/...`). Only train splits are read.
--shared: the shared/ folder beside the project (bench/articles, bench/escalation).

Writes one JSONL file per source into DIR ({"id", "text", "label"}, label conflict/other), in a
fixed order, and all.jsonl, their concatenation with exact duplicate texts dropped (first kept).
Prints a count per file. The label mapping of each source is in benches/relevance/README.md.
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

# Transcription markers of the FBIS wire copy that MUC-4 is made of: they name the source, not
# the topic, so they must not reach the model.
MUC_MARKERS = re.compile(
    r"\((?:BEGIN|END) RECORDING\)|\(WORDS? INDISTINCT\)|\(PASSAGE OMITTED\)|\(CONTINUED\)"
    r"|\(SIGNED\)|\(REPORTER\)|\(ANNOUNCER\)|\((?:END )?QUOTE\)|\[TEXT\]|\(TEXT\)"
)
# IndiaPoliceEvents: a dateline every article starts with, and cp1252 quotes decoded as text.
IPE_DATELINE = re.compile(r"^This story is from \w+ \d+, \d{4}\s*")
IPE_MOJIBAKE = re.compile(r"aEUR(?:\(tm\)|oe|~|\"|TM|\x9d)?")


class Source:
    """Reads ConfliBERT files from a work tree or a bare git directory."""

    def __init__(self, root):
        self.root = Path(root)

    def read(self, rel):
        path = self.root / rel
        if path.exists():
            return path.read_text(encoding="utf8", errors="replace")
        out = subprocess.run(["git", "--git-dir", str(self.root), "show", f"HEAD:{rel}"],
                             capture_output=True, check=True)
        return out.stdout.decode("utf8", errors="replace")

    def tsv(self, rel):
        for line in self.read(rel).split("\n"):
            line = line.rstrip("\r")
            if line:
                cols = line.split("\t")
                yield cols[0], [int(c) for c in cols[1:]]


def clean_quotes(text):
    """Undoes the TSV's CSV quoting: a leading quote and doubled quotes."""
    text = text.replace('""', '"')
    return text[1:] if text.startswith('"') else text


def record(rid, text, conflict):
    return {"id": rid, "text": text.strip(), "label": "conflict" if conflict else "other"}


def shared_articles(shared):
    bbc, muc = [], []
    for line in open(shared / "bench/articles/dev_bbc_nonconflict.jsonl", encoding="utf8"):
        row = json.loads(line)
        bbc.append(record(f"bbc/{row['id']}", row["text"], False))
    for line in open(shared / "bench/articles/dev_muc4_incidents.jsonl", encoding="utf8"):
        row = json.loads(line)
        text = re.sub(r"[ \t]+", " ", MUC_MARKERS.sub(" ", row["text"]))
        muc.append(record(f"muc4/{row['id']}", text, True))
    return {"shared_bbc": bbc, "shared_muc4": muc}


def shared_sentences(shared):
    # dev_satp_violence.jsonl is ConfliBERT's SATP train split again: read once, from ConfliBERT.
    out = []
    for name in ("dev_petr2_gsr", "dev_plover_gsr"):
        for line in open(shared / f"bench/escalation/{name}.jsonl", encoding="utf8"):
            row = json.loads(line)
            out.append(record(f"{name}/{row['id']}", row["text"], row["label"] == "escalation"))
    return {"shared_sentences": out}


def conflibert(src):
    out = {}
    # SATP: every train record is a violent incident in South Asia.
    out["satp"] = [record(f"satp/train-{n}", clean_quotes(t), True)
                   for n, (t, _) in enumerate(src.tsv("data/satp_relevant/train.tsv"))]
    # IndiaPoliceEvents: KILL, ARREST, ANY_ACTION, FAIL, FORCE. Police killing or using force
    # is conflict; an article with no police event at all is other; the rest is left out.
    ipe = []
    for n, (t, cols) in enumerate(src.tsv("data/IndiaPoliceEvents_docs/train.tsv")):
        kill, force = cols[0], cols[4]
        if kill or force or not any(cols):
            text = IPE_MOJIBAKE.sub("'", IPE_DATELINE.sub("", clean_quotes(t)))
            ipe.append(record(f"ipe/train-{n}", text, bool(kill or force)))
    out["ipe"] = ipe
    # InsightCrime: drug trafficking, corruption, security policy, violence, kidnapping and
    # extortion, other illicit economies, criminal groups. Violence is conflict; articles only
    # about corruption or only about illicit economies are other; the rest is left out.
    crime = []
    for n, (t, cols) in enumerate(src.tsv("data/insightCrime/train.tsv")):
        corruption_only = cols == [0, 1, 0, 0, 0, 0, 0]
        economies_only = cols == [0, 0, 0, 0, 0, 1, 0]
        if cols[3] or corruption_only or economies_only:
            crime.append(record(f"insightcrime/train-{n}", clean_quotes(t), bool(cols[3])))
    out["insightcrime"] = crime
    # CAMEO quad classes of news sentences: material conflict (4) and verbal conflict (3:
    # threats, demands, ultimatums, protests between parties) are conflict, since a threat of
    # force is the first rung of escalation; verbal and material cooperation and concessions
    # (0, 1, 2) are other.
    out["cameo"] = [record(f"cameo/train-{n}", t, cols[0] in (3, 4))
                    for n, (t, cols) in enumerate(src.tsv("data/cameo_class/train.tsv"))]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conflibert", required=True)
    ap.add_argument("--shared", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    groups = {**shared_articles(args.shared), **shared_sentences(args.shared), **conflibert(Source(args.conflibert))}
    args.out.mkdir(parents=True, exist_ok=True)
    seen, everything = set(), []
    for name, rows in groups.items():
        kept = []
        for row in rows:
            key = " ".join(row["text"].lower().split())
            if key and key not in seen:
                seen.add(key)
                kept.append(row)
        write(args.out / f"{name}.jsonl", kept)
        everything.extend(kept)
        conflict = sum(r["label"] == "conflict" for r in kept)
        print(f"{name:18} {conflict:6} conflict {len(kept) - conflict:6} other  ({len(rows) - len(kept)} duplicates dropped)")
    write(args.out / "all.jsonl", everything)
    conflict = sum(r["label"] == "conflict" for r in everything)
    print(f"{'all':18} {conflict:6} conflict {len(everything) - conflict:6} other")


def write(path, rows):
    with open(path, "w", encoding="utf8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
