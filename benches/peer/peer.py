#!/usr/bin/env python3
"""The peer pipeline of the load harness (benches/load.rs): what a user would otherwise run.

feedparser reads each feed, trafilatura extracts each article page, the lexicon of the config the
harness wrote becomes one regex per term, each article is stored in SQLite and each alert POSTed
as JSON to the config's webhooks, all on a pool of threads (16, like Flashpoint's
page_concurrency and poll_concurrency). Scores follow Flashpoint's rule: a term adds its weight
for its first occurrence and half as much again for each repeat (at most twice its weight).

    pip install -r benches/peer/requirements.txt
    python3 benches/peer/peer.py --config DIR/flashpoint.toml --db DIR/peer.db [--threads 16]

Prints one JSON line: feeds read, articles stored, alerts raised, pages that failed.
"""

import argparse
import json
import re
import sqlite3
import sys
import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed

try:
    import feedparser
    import trafilatura
    import urllib3
except ImportError as err:
    sys.exit(
        f"peer: the Python module {err.name!r} is missing; "
        "install the peer's modules with: pip install -r benches/peer/requirements.txt"
    )

USER_AGENT = "peer/1.0 (flashpoint load harness)"
TAGS = re.compile(r"<[^>]+>")


class Lexicon:
    """The config's [scoring] terms as whole-word, case-insensitive regexes: a phrase (where `*`
    stands for one word), or `near` words that must all occur within `within` words of the first.
    A term without a weight takes its category's (Flashpoint's built-in category weights, which
    [scoring.categories.NAME] may override)."""

    CATEGORY_WEIGHTS = {"threaten": 6.0, "mobilize": 5.0, "coerce": 3.0, "assault": 7.0, "fight": 7.0}

    def __init__(self, scoring):
        self.threshold = float(scoring["threshold"])
        weights = dict(self.CATEGORY_WEIGHTS)
        for name, category in scoring.get("categories", {}).items():
            if "weight" in category:
                weights[name] = float(category["weight"])
        self.terms = []
        for term in scoring["terms"]:
            weight = float(term.get("weight", weights.get(term.get("category"), 0.0)))
            if "phrase" in term:
                label = term["phrase"]
                words = [r"\w+" if w == "*" else re.escape(w) for w in term["phrase"].split()]
                body = r"\s+".join(words)
            else:
                parts = [re.escape(p) for p in term["near"]]
                within = int(term.get("within", 8))
                label = " ~ ".join(term["near"])
                gap = r"(?:\W+\w+){0,%d}?\W+" % max(within - 1, 0)
                body = parts[0] + "".join(gap + p for p in parts[1:])
            self.terms.append((label, weight, re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)))

    def score(self, title, body):
        text = f"{title}\n{body}"
        total, matches = 0.0, []
        for phrase, weight, pattern in self.terms:
            count = len(pattern.findall(text))
            if count:
                contribution = weight * 2 * (1 - 0.5**count)
                total += contribution
                matches.append({"term": phrase, "count": count, "contribution": contribution})
        matches.sort(key=lambda m: -m["contribution"])
        return total, matches


class Store:
    """Articles and alerts in SQLite, one transaction per article."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS articles (
                url TEXT PRIMARY KEY, feed TEXT, title TEXT, body TEXT, score REAL);
            CREATE TABLE IF NOT EXISTS alerts (
                url TEXT PRIMARY KEY, score REAL, matches TEXT);
            """
        )

    def insert(self, feed, url, title, body, score, matches, alert):
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?)", (url, feed, title, body, score)
            )
            if alert:
                self.db.execute(
                    "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?)", (url, score, json.dumps(matches))
                )


def poll(http, feed):
    response = http.request("GET", feed["url"])
    if response.status != 200:
        return feed["name"], []
    return feed["name"], feedparser.parse(response.data).entries


def process(http, lexicon, store, hooks, feed, entry):
    """Fetches, extracts, scores, stores and alerts one entry; returns 1 if its page failed."""
    url, title = entry.link, entry.get("title", "")
    failed, body = 0, None
    try:
        response = http.request("GET", url)
        if response.status == 200:
            body = trafilatura.extract(response.data, url=url, include_comments=False)
        else:
            failed = 1
    except urllib3.exceptions.HTTPError:
        failed = 1
    if not body:
        body = TAGS.sub(" ", entry.get("summary", ""))
    score, matches = lexicon.score(title, body)
    alert = score >= lexicon.threshold
    store.insert(feed, url, title, body, score, matches, alert)
    if alert:
        payload = json.dumps(
            {"score": score, "article": {"url": url, "title": title, "feed": feed}, "matches": matches}
        ).encode()
        for hook in hooks:
            try:
                http.request("POST", hook, body=payload, headers={"Content-Type": "application/json"})
            except urllib3.exceptions.HTTPError as err:
                print(f"peer: webhook {hook}: {err}", file=sys.stderr)
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the TOML config the harness wrote")
    parser.add_argument("--db", required=True, help="SQLite file to create")
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    with open(args.config, "rb") as file:
        config = tomllib.load(file)
    lexicon = Lexicon(config["scoring"])
    hooks = [hook["url"] for hook in config.get("webhooks", [])]
    http = urllib3.PoolManager(
        num_pools=256,
        maxsize=args.threads,
        retries=False,
        timeout=urllib3.Timeout(connect=10, read=30),
        headers={"User-Agent": USER_AGENT},
    )
    store = Store(args.db)
    seen, articles, failed = set(), 0, 0
    with ThreadPoolExecutor(args.threads) as pool:
        polls = [pool.submit(poll, http, feed) for feed in config["feeds"]]
        pages = []
        for done in as_completed(polls):
            feed, entries = done.result()
            for entry in entries:
                if entry.get("link") and entry.link not in seen:
                    seen.add(entry.link)
                    pages.append(pool.submit(process, http, lexicon, store, hooks, feed, entry))
        for done in as_completed(pages):
            articles += 1
            failed += done.result()
    alerts = store.db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    print(json.dumps({"feeds": len(polls), "articles": articles, "alerts": alerts, "failed": failed}))


if __name__ == "__main__":
    main()
