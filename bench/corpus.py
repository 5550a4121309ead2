"""The benchmark corpus: the real FRUS documents, topped up with seeded cable-shaped records.

Everything here is deterministic for a given seed and size, so two runs (or two machines)
measure the same documents. The generated text draws its words from the real corpus's own
word frequencies, which keeps the vocabulary Zipf-shaped like real prose: a few words are in
almost every document, most are rare. That shape is what decides posting-list lengths and
therefore search cost, so it matters more than the words making sense.

Outputs, all under one work folder:

- ``records-<size>.jsonl``: the native import file (dialogues first, then records);
- ``items-<size>.jsonl``: commitments and actions in the native format, imported separately
  because that object type may not exist yet in the cablemgr under test;
- ``docs-<size>/``: one text file per document for the grep baseline.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# Dates of generated records span ten years up to this day; every cablemgr command in the
# benchmark runs with CABLEMGR_TODAY set to it, so `due` and `digest --since 30d` see the
# same items on every run, whatever the calendar says.
TODAY = dt.date(2026, 6, 30)
FIRST_DAY = TODAY - dt.timedelta(days=3652)
# Bump when the generator's output changes, so cached corpus files are not reused.
FORMAT = 3
_NS = uuid.UUID("6f1d7c1e-7a51-4d43-9a1e-0b3c2a0e5b11")

# (post, host-country party code): embassies and missions that report to a cyber unit.
POSTS = [
    ("Geneva", "CH"), ("New York", "US"), ("Washington", "US"), ("Brussels", "BE"),
    ("Berlin", "DE"), ("Paris", "FR"), ("London", "GB"), ("Beijing", "CN"), ("Moscow", "RU"),
    ("Tokyo", "JP"), ("Vienna", "AT"), ("New Delhi", "IN"), ("Seoul", "KR"),
    ("Singapore", "SG"), ("Canberra", "AU"), ("Ottawa", "CA"), ("The Hague", "NL"),
    ("Tallinn", "EE"), ("Brasilia", "BR"), ("Pretoria", "ZA"), ("Nairobi", "KE"),
    ("Jakarta", "ID"), ("Warsaw", "PL"), ("Kyiv", "UA"), ("Ankara", "TR"), ("Riyadh", "SA"),
    ("Abu Dhabi", "AE"), ("Cairo", "EG"), ("Mexico City", "MX"), ("Buenos Aires", "AR"),
    ("Stockholm", "SE"), ("Madrid", "ES"), ("Rome", "IT"), ("Bangkok", "TH"),
    ("Hanoi", "VN"), ("Addis Ababa", "ET"), ("Abuja", "NG"), ("Santiago", "CL"),
]
VENUES = ["Palais des Nations, Geneva", "UN Headquarters, New York", "Hofburg, Vienna",
          "Ministry, conference room 2", "Video conference", "Embassy residence",
          "ASEAN Secretariat, Jakarta", "Council of Europe, Strasbourg"]
# (name, format, parties)
DIALOGUES = [
    ("UN OEWG on ICT security", "multilateral", ["UN"]),
    ("OSCE informal working group on cyber CBMs", "multilateral", ["OSCE"]),
    ("ARF inter-sessional meeting on ICT security", "multilateral", ["ASEAN"]),
    ("Budapest Convention Committee", "multilateral", ["CoE"]),
    ("Internet Governance Forum", "multilateral", ["UN"]),
    ("Paris Call working group", "multilateral", ["FR"]),
    ("G7 cyber expert group", "multilateral", ["G7"]),
    ("US bilateral cyber dialogue", "bilateral", ["US"]),
    ("China bilateral cyber dialogue", "bilateral", ["CN"]),
    ("Germany bilateral cyber consultations", "bilateral", ["DE"]),
    ("Japan cyber policy dialogue", "bilateral", ["JP"]),
    ("India cyber dialogue", "bilateral", ["IN"]),
    ("Brazil cyber dialogue", "bilateral", ["BR"]),
    ("Kenya capacity-building partnership", "bilateral", ["KE"]),
]
TAGS = ["cybersecurity", "cybercrime", "confidence-building", "internet-freedom",
        "internet-governance", "capacity-building", "norms", "attribution",
        "critical-infrastructure"]
PARTIES = ["US", "CN", "RU", "DE", "FR", "GB", "JP", "IN", "BR", "KR", "AU", "CA", "NL",
           "EE", "UN", "EU", "OSCE", "ASEAN", "AFU", "OAS", "NATO", "ICANN", "IETF"]
# Words of the field, sprinkled into generated text so that cyber queries find something;
# everything else comes from the FRUS vocabulary.
DOMAIN_PHRASES = [
    "ransomware", "attribution", "critical infrastructure", "confidence-building measures",
    "points of contact", "norms of responsible state behaviour", "supply chain security",
    "capacity building", "incident response", "hotline", "cybercrime convention",
    "state-sponsored intrusion", "vulnerability disclosure", "internet governance",
    "data localisation", "election interference", "submarine cables", "due diligence",
]
CLASSES = [("UNCLASSIFIED", 60), ("RESTRICTED", 25), ("CONFIDENTIAL", 12), ("SECRET", 3)]
CATEGORIES = ["norm", "confidence-building", "cooperation", "capacity-building",
              "information-sharing", "other"]
COMMITMENT_STATUS = [("open", 45), ("in_progress", 25), ("fulfilled", 15),
                     ("partially_fulfilled", 7), ("not_fulfilled", 5), ("withdrawn", 3)]
ACTION_STATUS = [("open", 55), ("done", 40), ("cancelled", 5)]
OWNERS = ["maria", "jonas", "aiko", "ravi", "lena", "tomas", "amara", "chen"]
_FRUS_CLASSES = {"confidential": "CONFIDENTIAL", "secret": "SECRET",
                 "strictly confidential": "CONFIDENTIAL",
                 "personal and confidential": "CONFIDENTIAL", "personal": "RESTRICTED"}
_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]", re.I)
# Words seen fewer times than this are mostly OCR slips and names; leaving them out keeps the
# sampling table small without changing the shape of the distribution.
_MIN_COUNT = 3
INBOX = 50


def load_frus(corpus_dir: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """Every FRUS document, in a stable order (volume file name, then line)."""
    docs = []
    for path in sorted(corpus_dir.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            docs.extend(json.loads(line) for line in fh if line.strip())
    return docs


class Vocabulary:
    """Words of the real corpus with their counts, sampled in proportion to their frequency."""

    def __init__(self, texts: Iterator[str]) -> None:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w.lower() for w in _WORD.findall(text))
        ranked = [(w, c) for w, c in counts.most_common() if c >= _MIN_COUNT]
        self.words = [w for w, _ in ranked]
        self.cum = list(itertools.accumulate(c for _, c in ranked))
        # title words: frequent enough to be real words, rare enough to carry meaning
        self.title_words = [w for w, c in ranked[200:6000] if len(w) > 3]

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _zipf_pick(rng: random.Random, items: list, s: float = 1.0) -> Any:
    """An item with probability ∝ 1/rank^s: a few posts file most of the reports."""
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def _body_words(rng: random.Random) -> int:
    # log-normal around ~450 words, clipped to the 150–1,500 the issue asks for
    return int(min(1500, max(150, rng.lognormvariate(6.1, 0.55))))


def _sentence(rng: random.Random, vocab: Vocabulary, n: int) -> str:
    words = vocab.sample(rng, n)
    if rng.random() < 0.12:
        words.insert(rng.randrange(len(words)), rng.choice(DOMAIN_PHRASES))
    return " ".join(words).capitalize() + "."


def _paragraphs(rng: random.Random, vocab: Vocabulary, total: int) -> str:
    paragraphs, sentences, count = [], [], 0
    while count < total:
        n = min(rng.randint(8, 30), total - count) or 1
        sentences.append(_sentence(rng, vocab, n))
        count += n
        if len(sentences) >= rng.randint(3, 6):
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def _title(rng: random.Random, vocab: Vocabulary, post: str | None) -> str:
    n = rng.randint(5, 15)
    words = [rng.choice(vocab.title_words) for _ in range(n - 2)]
    words.insert(rng.randrange(len(words) + 1), rng.choice(DOMAIN_PHRASES))
    text = " ".join(words)
    return f"{post}: {text}" if post and rng.random() < 0.5 else text.capitalize()


def _date(rng: random.Random) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=rng.randrange((TODAY - FIRST_DAY).days + 1))


def frus_record(doc: dict[str, Any]) -> dict[str, Any]:
    """A FRUS document as a native record object."""
    kind = "meeting" if doc.get("doc_type") == "minutes" else "report"
    marking = (doc.get("classification") or "").strip().lower()
    place = doc.get("place")
    return {
        "type": "record", "uid": str(uuid.uuid5(_NS, doc["id"])), "kind": kind,
        "title": (doc.get("subject") or "").strip() or f"[Untitled] {doc['id']}",
        "body": doc.get("body") or "", "date": doc.get("date"),
        "post": place if kind == "report" else None,
        "venue": place if kind == "meeting" else None,
        "classification": _FRUS_CLASSES.get(marking, "UNCLASSIFIED"),
        "reference": doc.get("file_ref") or doc["id"], "author": doc.get("origin"),
        "tags": [], "parties": [],
    }


def generated_record(rng: random.Random, vocab: Vocabulary, n: int) -> dict[str, Any]:
    """Record number ``n`` of the generated part: a report from a post or a meeting."""
    date = _date(rng)
    meeting = rng.random() < 0.3
    post, country = _zipf_pick(rng, POSTS, 0.8)
    dialogue = _zipf_pick(rng, DIALOGUES, 0.7) if meeting or rng.random() < 0.4 else None
    parties = sorted(set(rng.sample(PARTIES, rng.randint(0, 3)) + ([] if meeting else
                                                                   [country])))
    return {
        "type": "record", "uid": str(uuid.uuid5(_NS, f"gen/{n}")),
        "kind": "meeting" if meeting else "report",
        "title": _title(rng, vocab, None if meeting else post),
        "body": _paragraphs(rng, vocab, _body_words(rng)),
        "date": date.isoformat(),
        "post": None if meeting else post,
        "venue": rng.choice(VENUES) if meeting else None,
        "dialogue": dialogue[0] if dialogue else None,
        "classification": _weighted(rng, CLASSES),
        "reference": None if meeting else
        f"{post.upper().replace(' ', '')}-{date.year}-{n % 10000:04d}",
        "tags": rng.sample(TAGS, rng.choice([0, 1, 1, 2, 2, 3])),
        "parties": parties,
    }


def _assessments(rng: random.Random, made: dt.date, status: str) -> list[dict[str, Any]]:
    """A history ending in ``status``: work started, then the verdict (G7/G20 scores)."""
    if status == "open":
        return []
    days = max(1, (TODAY - made).days)
    first = made + dt.timedelta(days=rng.randint(1, days))
    history = [{"date": first.isoformat(), "status": "in_progress", "score": None}]
    if status != "in_progress":
        last = first + dt.timedelta(days=rng.randint(0, max(0, (TODAY - first).days)))
        score = {"fulfilled": 1, "partially_fulfilled": 0, "not_fulfilled": -1}.get(status)
        history.append({"date": last.isoformat(), "status": status, "score": score,
                        "note": "Assessed at the review meeting."})
    return history


def _commitment(rng: random.Random, vocab: Vocabulary, n: int | str,
                meeting: dict[str, Any]) -> dict[str, Any]:
    made = dt.date.fromisoformat(meeting["date"]) if meeting.get("date") else _date(rng)
    due = made + dt.timedelta(days=rng.randint(14, 400)) if rng.random() < 0.85 else None
    dialogue = next((d for d in DIALOGUES if d[0] == meeting.get("dialogue")),
                    None) or _zipf_pick(rng, DIALOGUES, 0.7)
    status = _weighted(rng, COMMITMENT_STATUS)
    return {
        "type": "commitment", "uid": str(uuid.uuid5(_NS, f"commitment/{n}")),
        "text": f"{rng.choice(['Both sides will', 'The parties will', 'Each side will'])} "
                f"{rng.choice(DOMAIN_PHRASES)} " + " ".join(vocab.sample(rng, rng.randint(6, 20))),
        "dialogue": dialogue[0], "by": rng.sample(PARTIES, rng.randint(1, 2)),
        "to": rng.choice([None, "EU", "UN", None]), "record": meeting["uid"],
        "made_on": made.isoformat(), "due": due.isoformat() if due else None,
        "category": rng.choice(CATEGORIES), "classification": "UNCLASSIFIED",
        "assessments": _assessments(rng, made, status),
    }


def _action(rng: random.Random, vocab: Vocabulary, n: int | str, record: dict[str, Any],
            commitment: dict[str, Any] | None) -> dict[str, Any]:
    start = dt.date.fromisoformat(record["date"]) if record.get("date") else _date(rng)
    due = start + dt.timedelta(days=rng.randint(3, 120)) if rng.random() < 0.9 else None
    return {
        "type": "action", "uid": str(uuid.uuid5(_NS, f"action/{n}")),
        "text": f"{rng.choice(['Send', 'Draft', 'Brief', 'Circulate', 'Follow up on'])} "
                + " ".join(vocab.sample(rng, rng.randint(5, 15))),
        "owner": rng.choice(OWNERS), "due": due.isoformat() if due else None,
        "status": _weighted(rng, ACTION_STATUS),
        # cablemgr files an action under its commitment's dialogue when it names none; say
        # so here, so the baselines index the same words
        "dialogue": (commitment or record).get("dialogue"),
        "record": record["uid"], "commitment": commitment["uid"] if commitment else None,
        # an action is dated by its creation; make that the meeting's day, not the import's
        "created_at": f"{start.isoformat()}T12:00:00.000000Z",
    }


def _items(rng: random.Random, vocab: Vocabulary, records: list[dict],
           prefix: str = "") -> list[dict]:
    """≈ 1 commitment and 2 actions per 10 records, hung on the records they came from."""
    items: list[dict] = []
    for n, record in enumerate(records[::10]):
        commitment = _commitment(rng, vocab, f"{prefix}{n}", record)
        items.append(commitment)
        items.append(_action(rng, vocab, f"{prefix}{2 * n}", record, commitment))
        items.append(_action(rng, vocab, f"{prefix}{2 * n + 1}", record, None))
    return items


def build(size: int, seed: int, frus: list[dict[str, Any]],
          vocab: Vocabulary) -> tuple[list[dict], list[dict]]:
    """Records (real first, then generated) and items (commitments, actions) for ``size``.

    Below the size of the real corpus the real documents are thinned evenly across volumes,
    so every size keeps the same mix of periods and document types.
    """
    rng = random.Random(seed)
    if size <= len(frus):
        step = len(frus) / size
        real = [frus[int(i * step)] for i in range(size)]
    else:
        real = frus
    records = [frus_record(doc) for doc in real]
    for n in range(size - len(records)):
        records.append(generated_record(rng, vocab, n))
    return records, _items(rng, vocab, records)


def inbox(seed: int, vocab: Vocabulary) -> list[dict]:
    """A week's intake for an existing database: 50 new reports and meetings, their items."""
    rng = random.Random(seed + 1)
    # numbered far beyond any corpus size, so their uids and references are new
    records = [generated_record(rng, vocab, 900_000 + n) for n in range(INBOX)]
    return records + _items(rng, vocab, records, prefix="inbox/")


def dialogue_objects() -> list[dict[str, Any]]:
    return [{"type": "dialogue", "uid": str(uuid.uuid5(_NS, f"dialogue/{name}")),
             "name": name, "format": fmt, "parties": parties}
            for name, fmt, parties in DIALOGUES]


def item_date(obj: dict[str, Any]) -> str:
    """The date cablemgr indexes for a commitment (made on) or an action (created)."""
    if obj["type"] == "commitment":
        return obj.get("made_on") or ""
    return (obj.get("created_at") or "")[:10]


def doc_text(obj: dict[str, Any], post: dict[str, str | None]) -> str:
    """One document as a plain file, headers first, the way a shared drive of cables looks.

    An action carries the post of the record it follows up, as in cablemgr's index.
    """
    if obj["type"] == "record":
        head = [f"Title: {obj['title']}", f"Date: {obj.get('date') or ''}",
                f"Kind: {obj['kind']}", f"Post: {obj.get('post') or ''}",
                f"Dialogue: {obj.get('dialogue') or ''}", f"Tags: {', '.join(obj['tags'])}",
                f"Parties: {', '.join(obj['parties'])}", f"Reference: {obj.get('reference') or ''}"]
        return "\n".join(head) + "\n\n" + obj["body"] + "\n"
    item_post = post.get(obj.get("record")) if obj["type"] == "action" else None
    return (f"Title: {obj['text'][:90]}\nDate: {item_date(obj)}\nKind: {obj['type']}\n"
            f"Post: {item_post or ''}\nDialogue: {obj.get('dialogue') or ''}\n\n"
            f"{obj['text']}\n")


def write(work: Path, size: int, seed: int, sources: Sources) -> dict[str, Any]:
    """Write the outputs for ``size`` (reused when already there for this seed).

    - ``all-…jsonl``: dialogues, records, then commitments and actions (one import, the way
      a unit's full export is moved between databases);
    - ``records-…jsonl``: dialogues and records only, for a cablemgr without commitments;
    - ``inbox-…jsonl``: a week's new records and items, for the incremental import;
    - ``docs-…/``: one text file per record, commitment and action, for grep.
    """
    stem = f"{size}-s{seed}-f{FORMAT}"
    paths = {"all_path": work / f"all-{stem}.jsonl",
             "records_path": work / f"records-{stem}.jsonl",
             "inbox_path": work / f"inbox-{stem}.jsonl", "docs_dir": work / f"docs-{stem}"}
    done = work / f".done-{stem}"
    if not done.exists():
        work.mkdir(parents=True, exist_ok=True)
        records, items = build(size, seed, sources.frus, sources.vocab)
        _write_jsonl(paths["all_path"], dialogue_objects() + records + items)
        _write_jsonl(paths["records_path"], dialogue_objects() + records)
        _write_jsonl(paths["inbox_path"], inbox(seed, sources.vocab))
        docs_dir = paths["docs_dir"]
        docs_dir.mkdir(parents=True, exist_ok=True)
        post = {r["uid"]: r.get("post") for r in records}
        # 1,000 files a folder, as a drive shared by many posts would be split anyway
        for i, obj in enumerate(records + items):
            folder = docs_dir / f"{i // 1000:03d}"
            if i % 1000 == 0:
                folder.mkdir(exist_ok=True)
            (folder / f"{i:06d}.txt").write_text(doc_text(obj, post), encoding="utf-8")
        done.write_text(json.dumps({"records": len(records), "items": len(items)}))
    counts = json.loads(done.read_text())
    return {**{k: str(v) for k, v in paths.items()}, **counts}


def _write_jsonl(path: Path, objects: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for obj in objects:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def read_objects(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


class Sources:
    """The real corpus and its vocabulary, read only when a corpus file must be (re)written:
    a rerun with the files in place starts measuring at once."""

    def __init__(self, corpus_dir: Path = CORPUS_DIR) -> None:
        self.corpus_dir = corpus_dir
        self._frus: list[dict[str, Any]] | None = None
        self._vocab: Vocabulary | None = None

    @property
    def frus(self) -> list[dict[str, Any]]:
        if self._frus is None:
            self._frus = load_frus(self.corpus_dir)
        return self._frus

    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary(doc.get("body") or "" for doc in self.frus)
        return self._vocab
