# Byte-level BPE in tiktoken's format with Kimi K2's pre-tokenizer: a trainer (merges learned by frequency over
# pre-tokenized chunks) and an encoder/decoder with tiktoken's exact semantics. Ranks are a list of token
# bytes, the index being the rank; ranks 0..255 are the single bytes 0..255. Special tokens and the files are
# in tokenizer_files.py. Tests: `cd tools/demo-model && python3 -m unittest discover -s tests -v`.
import heapq
from collections import Counter, defaultdict

from . import pretokenizer
from . import tokenizer_files
from .tokenizer_files import special_names, write  # noqa: F401 (write is part of this module's API)

# Pieces up to this many characters are cached by the encoder: short chunks repeat, long ones rarely do.
MAX_CACHED_PIECE = 64


def count_chunks(texts):
    """How often each pre-tokenized chunk occurs in texts (each text split on its own)."""
    counts = Counter()
    for text in texts:
        counts.update(pretokenizer.split(text))
    return counts


def train(texts, vocab_size):
    """Learns vocab_size ranks (256 single bytes, then merges) from an iterable of texts."""
    return train_from_counts(count_chunks(texts), vocab_size)


def train_from_counts(chunk_counts, vocab_size):
    """
    Learns ranks from {chunk: count}: repeatedly merges the most frequent adjacent pair (ties: the lowest pair of
    ids), counting pairs within chunks only. Pair counts are updated incrementally from the chunks that contain
    the merged pair. A merge whose bytes are already a token (the same bytes reached by another split) reuses
    that rank, so token bytes stay distinct as tiktoken.model requires.
    """
    if vocab_size < 256:
        raise ValueError(f"a byte-level vocabulary needs at least 256 ranks, got {vocab_size}")
    ranks = [bytes([b]) for b in range(256)]
    rank_of = {token: rank for rank, token in enumerate(ranks)}
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    freqs = list(chunk_counts.values())
    if any(not isinstance(f, int) or f <= 0 for f in freqs):
        raise ValueError("chunk counts must be positive integers")

    pair_counts = defaultdict(int)
    chunks_with = defaultdict(set)  # pair -> indices of words that contain it (or did: checked when used)
    for w, (word, freq) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += freq
            chunks_with[pair].add(w)
    # Every pair with a positive count has an entry whose count is at least its current one; a popped entry
    # that is out of date is pushed again with the current count.
    heap = [(-count, a, b) for (a, b), count in pair_counts.items()]
    heapq.heapify(heap)

    while len(ranks) < vocab_size:
        pair = None
        while heap:
            negative, a, b = heapq.heappop(heap)
            current = pair_counts.get((a, b), 0)
            if current == -negative:
                pair = (a, b)
                break
            if current > 0:
                heapq.heappush(heap, (-current, a, b))
        if pair is None:
            raise ValueError(f"every chunk of the corpus is a single token after {len(ranks)} ranks (asked for "
                             f"{vocab_size}): ask for at most {len(ranks)} ranks or give more varied text")
        merged = ranks[pair[0]] + ranks[pair[1]]
        token = rank_of.get(merged)
        if token is None:
            token = len(ranks)
            ranks.append(merged)
            rank_of[merged] = token
        grown = set()
        for w in chunks_with.pop(pair):
            word, freq = words[w], freqs[w]
            new = _merge_pair(word, pair, token)
            if new is None:
                continue
            for old_pair in zip(word, word[1:]):
                pair_counts[old_pair] -= freq
            for new_pair in zip(new, new[1:]):
                pair_counts[new_pair] += freq
                chunks_with[new_pair].add(w)
                grown.add(new_pair)
            words[w] = new
        for p in grown:
            if pair_counts[p] > 0:
                heapq.heappush(heap, (-pair_counts[p], p[0], p[1]))
        del pair_counts[pair]
    return ranks


def _merge_pair(word, pair, token):
    """word with every occurrence of pair (left to right, not overlapping) replaced by token; None if none."""
    a, b = pair
    out, i, n, found = [], 0, len(word), False
    while i < n:
        if i + 1 < n and word[i] == a and word[i + 1] == b:
            out.append(token)
            i += 2
            found = True
        else:
            out.append(word[i])
            i += 1
    return out if found else None


def byte_pair_merge(rank_of, piece):
    """
    tiktoken's byte_pair_merge: repeatedly joins the adjacent parts whose concatenation has the lowest rank (the
    leftmost on a tie) until no concatenation is a token. A heap keyed on (rank, start offset) picks the same
    pair as tiktoken's linear scan in O(n log n), so a megabyte-long chunk stays fast.
    """
    n = len(piece)
    if n == 1:
        return [rank_of[piece]]
    # Heap keys pack (rank, start) into one int, which compares faster than a tuple.
    shift = n.bit_length()
    mask = (1 << shift) - 1
    get, pop, push = rank_of.get, heapq.heappop, heapq.heappush
    # Parts are linked by start offsets; a part ends where the next one starts. pair_rank[i] is the rank of
    # part i joined with its successor (None when that is no token, or when part i was merged away).
    next_start = list(range(1, n + 1))
    prev_start = list(range(-1, n - 1))
    pair_rank = [get(piece[i:i + 2]) for i in range(n - 1)] + [None]
    heap = [(r << shift) | i for i, r in enumerate(pair_rank) if r is not None]
    heapq.heapify(heap)
    while heap:
        key = pop(heap)
        i = key & mask
        if pair_rank[i] != key >> shift:
            continue  # an entry from before a merge changed this part or removed it
        gone = next_start[i]
        pair_rank[gone] = None
        end = next_start[gone]
        next_start[i] = end
        if end < n:
            prev_start[end] = i
            r = pair_rank[i] = get(piece[i:next_start[end]])
            if r is not None:
                push(heap, (r << shift) | i)
        else:
            pair_rank[i] = None
        before = prev_start[i]
        if before >= 0:
            r = pair_rank[before] = get(piece[before:end])
            if r is not None:
                push(heap, (r << shift) | before)
    out, i = [], 0
    while i < n:
        out.append(rank_of[piece[i:next_start[i]]])
        i = next_start[i]
    return out


class Tokenizer:
    """Encodes and decodes as tiktoken does with these ranks, K2's pattern and K2's 256 special ids."""

    def __init__(self, ranks, specials=None):
        self.ranks = list(ranks)
        self.rank_of = {token: rank for rank, token in enumerate(self.ranks)}
        if len(self.rank_of) != len(self.ranks):
            raise ValueError("token bytes are not distinct")
        missing = [b for b in range(256) if bytes([b]) not in self.rank_of]
        if missing:
            raise ValueError(f"byte 0x{missing[0]:02X} has no rank (not a byte-level vocabulary)")
        names = special_names(len(self.ranks)) if specials is None else specials
        self.special_tokens = {name: len(self.ranks) + i for i, name in enumerate(names)}
        self._special_bytes = [name.encode("utf-8") for name in names]
        self._special_finder = self._finder(self.special_tokens)
        self._cache = {}

    @property
    def n_vocab(self):
        return len(self.ranks) + len(self._special_bytes)

    @staticmethod
    def _finder(names):
        # The leftmost name, the longest one at that position (no K2 name is a prefix of another).
        if not names:
            return None
        ordered = sorted(names, key=lambda name: (-len(name), name))
        return pretokenizer.regex.compile("|".join(pretokenizer.regex.escape(name) for name in ordered))

    def encode(self, text, allowed_special="all"):
        """Token ids. allowed_special: "all" or a collection of special-token names; other names are plain text."""
        text = pretokenizer.without_lone_surrogates(text)
        out, start, search_from = [], 0, 0
        while self._special_finder is not None and allowed_special:
            match = self._special_finder.search(text, search_from)
            if match is None:
                break
            if allowed_special != "all" and match.group() not in allowed_special:
                search_from = match.start() + 1  # as tiktoken: look again just after a name not allowed
                continue
            self._encode_ordinary(text[start:match.start()], out)
            out.append(self.special_tokens[match.group()])
            start = search_from = match.end()
        self._encode_ordinary(text[start:], out)
        return out

    def encode_ordinary(self, text):
        """Token ids with special-token names encoded as plain text."""
        out = []
        self._encode_ordinary(pretokenizer.without_lone_surrogates(text), out)
        return out

    def _encode_ordinary(self, text, out):
        for piece in pretokenizer.split(text):
            ids = self._cache.get(piece)
            if ids is None:
                data = piece.encode("utf-8")
                rank = self.rank_of.get(data)
                ids = [rank] if rank is not None else byte_pair_merge(self.rank_of, data)
                if len(piece) <= MAX_CACHED_PIECE:
                    self._cache[piece] = ids
            out.extend(ids)

    def token_bytes(self, token):
        """A token's bytes; a special id gives its name in UTF-8."""
        if 0 <= token < len(self.ranks):
            return self.ranks[token]
        if len(self.ranks) <= token < self.n_vocab:
            return self._special_bytes[token - len(self.ranks)]
        raise ValueError(f"token id {token} is outside the vocabulary [0, {self.n_vocab})")

    def decode_bytes(self, ids):
        return b"".join(self.token_bytes(t) for t in ids)

    def decode(self, ids):
        """The tokens' bytes joined and decoded as UTF-8, invalid sequences becoming U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", "replace")


def load(directory):
    """The Tokenizer of a directory with tiktoken.model and tokenizer_config.json."""
    ranks = tokenizer_files.read_ranks(directory)
    return Tokenizer(ranks, tokenizer_files.read_special_names(directory, len(ranks)))
