"""``carebot faq suggest``: learn from the questions the bot escalated.

1. **Collect** resolved tickets (outcome ``resolved``: an agent answered) that escalated for
   ``low_confidence``, ``ambiguous`` or ``out_of_scope``: the follower's question (the
   ticket's escalating message) and the agents' replies. Messages already in the review
   list (any status) or already a training example are skipped.
2. **Cluster** the questions: TF-IDF (words 1-2 + characters 2-4 of the model's normalised
   text); the similarity of two questions is their cosine, averaged with the cosine of the
   agents' replies to them (agents answer one question alike, however followers phrase it);
   average-linkage agglomerative clustering cut at ``min_similarity``.
3. **Match** each cluster against the FAQ: how close its questions are to each FAQ's examples
   (nearest example), and how close the agents' replies are to each FAQ's answer. A cluster
   that matches (score >= ``match_threshold``) proposes its questions as **new examples** for
   that FAQ (so does a cluster whose questions are nearly examples of one FAQ already:
   question score >= 0.5); one that matches nothing and has at least ``min_cluster``
   questions proposes a **new FAQ** (key from its most distinctive words, answer = the most
   typical agent reply, to be vetted). Lone unmatched questions wait for company in a later run.
4. **Propose**: proposals go to the review list (:mod:`bot.faq.review`) as ``pending``. Nothing
   is written to ``data/``: a trainer accepts, edits or rejects each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from bot.escalation.reasons import UNANSWERED
from bot.faq.review import ReviewStore
from bot.faq.review_keys import fingerprint
from bot.faq.schema import FAQ_PREFIX, KEY_PATTERN, FaqError, clean_example
from bot.faq.store import FaqStore

if TYPE_CHECKING:
    import scipy.sparse as sp

    from bot.queue import AgentQueue

REASONS: tuple[str, ...] = tuple(sorted(UNANSWERED))
MIN_SIMILARITY = 0.2
QUESTION_MATCH = 0.5
MATCH_THRESHOLD = 0.42
MIN_CLUSTER = 2

_GREETING = re.compile(r"^(hi|hey|hello|hiya|thanks|thank you)\b[^.!?\n]{0,30}[.!,]\s*", re.I)


@dataclass
class Escalated:
    text: str
    ticket: str
    reasons: list[str]
    replies: list[str]
    resolved_at: float
    nlu: dict[str, Any] = field(default_factory=dict)

    def message(self) -> dict[str, Any]:
        return {"text": self.text, "ticket": self.ticket, "reasons": self.reasons,
                "replies": self.replies, "source": "escalation"}


def collect(queue: AgentQueue, *, since: float | None = None, limit: int = 2000,
            reasons: Sequence[str] = REASONS) -> list[Escalated]:
    """Resolved tickets that escalated for ``reasons``, newest first."""
    out = []
    for ticket in queue.list("resolved", limit=limit):
        if since is not None and (ticket.resolved_at or 0) < since:
            break
        if ticket.outcome != "resolved" or not set(ticket.reasons) & set(reasons):
            continue
        replies = [str(m.get("text", "")) for m in ticket.transcript if m.get("role") == "agent"]
        try:
            text = clean_example(ticket.text)
        except FaqError:
            continue
        out.append(Escalated(text, ticket.id, list(ticket.reasons), replies,
                             float(ticket.resolved_at or 0), dict(ticket.nlu or {})))
    return out


# -- vectors -----------------------------------------------------------------------------------


class _Space:
    """TF-IDF words 1-2 + chars 2-4 over normalised text; rows are L2-normalised. Agents'
    replies are compared without English stop words (what they say, not how)."""

    def __init__(self, corpus: Sequence[str], stop_words: bool = False) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from bot.nlu.text_model import normalise

        self._normalise = normalise
        self.word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                    token_pattern=r"(?u)\b\w+\b", lowercase=False,
                                    stop_words="english" if stop_words else None)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                    lowercase=False)
        texts = [normalise(t) for t in corpus] or [""]
        self.word.fit(texts)
        self.char.fit(texts)

    def vectors(self, texts: Sequence[str]) -> sp.csr_matrix:
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        norm = [self._normalise(t) for t in texts]
        both = sp.hstack([self.word.transform(norm), self.char.transform(norm)], format="csr")
        return normalize(both)


def similarity(texts: Sequence[str], space: _Space, replies: Sequence[str] | None = None,
               reply_space: _Space | None = None) -> np.ndarray:
    """Pairwise similarity of escalated questions: the questions' cosine, averaged with the
    cosine of the agents' replies when both have replies (agents answer one question the
    same way, however differently followers ask it)."""
    vectors = space.vectors(texts)
    sim = np.asarray((vectors @ vectors.T).toarray())
    if replies is not None and reply_space is not None:
        has = np.array([bool(r.strip()) for r in replies])
        if has.any():
            r_vectors = reply_space.vectors([r or " " for r in replies])
            r_sim = np.asarray((r_vectors @ r_vectors.T).toarray())
            both = np.outer(has, has)
            sim = np.where(both, 0.5 * sim + 0.5 * r_sim, sim)
    return sim


def cluster(similarities: np.ndarray, min_similarity: float = MIN_SIMILARITY) -> list[list[int]]:
    """Groups of indices (average linkage on ``1 - similarity``, cut at ``min_similarity``)."""
    n = len(similarities)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    import inspect

    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - np.asarray(similarities, dtype=float), 0.0, 2.0)
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    params = inspect.signature(AgglomerativeClustering).parameters
    metric = {"metric": "precomputed"} if "metric" in params else {"affinity": "precomputed"}
    labels = AgglomerativeClustering(
        n_clusters=None, distance_threshold=1.0 - min_similarity, linkage="average", **metric
    ).fit_predict(distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _key_from(texts: Sequence[str], taken: set[str]) -> str:
    """A readable FAQ key from the cluster's most frequent content words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from bot.nlu.text_model import normalise

    extra = {"u", "ur", "pls", "please", "hi", "hey", "hello", "thanks", "im", "dont", "can",
             "do", "does", "did", "get", "got", "just", "want", "need", "know", "like",
             "ridgeline", "0"}
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(re.findall(r"[a-z]+", normalise(text))):
            if len(word) > 2 and word not in ENGLISH_STOP_WORDS and word not in extra:
                counts[word] = counts.get(word, 0) + 1
    words: list[str] = []
    for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if all(word[:4] != w[:4] for w in words):  # "rent" and "rental": one is enough
            words.append(word)
        if len(words) == 2:
            break
    key = "_".join(words) or "new_question"
    if not KEY_PATTERN.match(key):
        key = "new_question"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _typical(replies: Sequence[str], space: _Space) -> str:
    """The reply most similar to the others (the medoid), without a leading greeting."""
    replies = [r for r in replies if r.strip()]
    if not replies:
        return ""
    if len(replies) > 2:
        vectors = space.vectors(replies)
        scores = np.asarray((vectors @ vectors.T).sum(axis=1)).ravel()
        best = replies[int(scores.argmax())]
    else:
        best = max(replies, key=len)
    return _GREETING.sub("", best.strip(), count=1).strip() or best.strip()


# -- proposals ---------------------------------------------------------------------------------


def propose(
    escalated: Sequence[Escalated],
    store: FaqStore,
    *,
    min_similarity: float = MIN_SIMILARITY,
    match_threshold: float = MATCH_THRESHOLD,
    min_cluster: int = MIN_CLUSTER,
) -> list[dict[str, Any]]:
    """Proposals (dicts for :meth:`ReviewStore.merge`) from escalated messages; pure."""
    from bot.nlu.text_model import normalise

    faqs = store.faqs()
    examples = store.all_examples()
    known = {normalise(e.text) for items in examples.values() for e in items}
    items = [e for e in escalated if normalise(e.text) not in known]
    if not items:
        return []
    keys = [k for k, f in faqs.items() if f.examples]
    example_texts = [e.text for k in keys for e in faqs[k].examples]
    example_keys = np.array([k for k in keys for _ in faqs[k].examples], dtype=object)
    questions = [e.text for e in items]
    space = _Space(example_texts + questions)
    answers = [faqs[k].answer for k in keys]
    replies_all = [r for e in items for r in e.replies]
    reply_space = _Space(answers + replies_all, stop_words=True)

    q_vectors = space.vectors(questions)
    e_vectors = space.vectors(example_texts) if example_texts else None
    # per question: nearest example of each FAQ key
    q_to_key = np.zeros((len(items), len(keys)))
    if e_vectors is not None:
        sims = (q_vectors @ e_vectors.T).toarray()
        for j, key in enumerate(keys):
            q_to_key[:, j] = sims[:, example_keys == key].max(axis=1)
    a_vectors = reply_space.vectors(answers) if answers else None

    proposals: list[dict[str, Any]] = []
    taken = set(faqs)
    joined = [" ".join(e.replies) for e in items]
    groups = cluster(similarity(questions, space, joined, reply_space), min_similarity)
    for group in groups:
        members = [items[i] for i in group]
        q_score = q_to_key[group].mean(axis=0) if keys else np.zeros(0)
        replies = [r for m in members for r in m.replies if r.strip()]
        if replies and a_vectors is not None:
            r_vectors = reply_space.vectors(replies)
            r_score = np.asarray((r_vectors @ a_vectors.T).toarray()).mean(axis=0)
            score = 0.5 * q_score + 0.5 * r_score
        else:
            r_score = np.zeros(len(keys))
            score = q_score
        order = np.argsort(-score) if len(keys) else np.array([], dtype=int)
        alternatives = [{"key": keys[j], "score": round(float(score[j]), 3),
                         "questions": round(float(q_score[j]), 3),
                         "replies": round(float(r_score[j]), 3)} for j in order[:3]]
        messages = [m.message() for m in members]
        texts = list(dict.fromkeys(m.text for m in members))
        q_best = int(np.argmax(q_score)) if len(keys) else -1
        if len(order) and (score[order[0]] >= match_threshold
                           or q_score[q_best] >= QUESTION_MATCH):
            if score[order[0]] < match_threshold:
                order = np.concatenate([[q_best], [j for j in order if j != q_best]])
            best = keys[int(order[0])]
            proposals.append({"kind": "examples", "key": best, "examples": texts,
                              "messages": messages, "alternatives": alternatives,
                              "score": round(float(score[order[0]]), 3), "source": "suggest",
                              "answer": faqs[best].answer})
        elif len(members) >= min_cluster:
            answer = _typical(replies, reply_space)
            key = _key_from(texts, taken)
            taken.add(key)
            source = next((m.ticket for m in members if answer and any(
                answer in r for r in m.replies)), "")
            proposals.append({"kind": "new_faq", "key": key, "examples": texts,
                              "messages": messages, "alternatives": alternatives,
                              "score": round(float(score[order[0]]), 3) if len(order) else 0.0,
                              "source": "suggest", "answer": answer,
                              "answer_source": f"agent reply on {source}" if source else ""})
    return proposals


def suggest(
    queue: AgentQueue,
    review: ReviewStore,
    store: FaqStore,
    *,
    since: float | None = None,
    limit: int = 2000,
    min_similarity: float = MIN_SIMILARITY,
    match_threshold: float = MATCH_THRESHOLD,
    min_cluster: int = MIN_CLUSTER,
    dry_run: bool = False,
    actor: str = "carebot suggest",
) -> list[dict[str, Any]]:
    """Collect, cluster, match; store the proposals as pending (unless ``dry_run``)."""
    escalated = collect(queue, since=since, limit=limit)
    prints = {fingerprint(e.ticket, e.text): e for e in escalated}
    seen = review.seen(prints)
    fresh = [e for p, e in prints.items() if p not in seen]
    proposals = propose(fresh, store, min_similarity=min_similarity,
                        match_threshold=match_threshold, min_cluster=min_cluster)
    if dry_run:
        return proposals
    return [review.merge(p, actor=actor) for p in proposals]


__all__ = ["Escalated", "collect", "cluster", "propose", "suggest", "FAQ_PREFIX"]
