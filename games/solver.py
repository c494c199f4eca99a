"""Code-breaking for Mastermind: consistent codes and a best next guess. Pure Python, no Django.

The design, the limits and the measured results are in docs/solver.md. In short:

* Feedback of one guess against many codes is computed at C speed. A set of
  codes is stored column-wise (`_Block`): one byte per code for each peg. A
  column translated by a 256-byte table and read as a big integer becomes an
  indicator vector, and such vectors add up byte by byte without carries as long
  as every byte stays below 256. The feedback of a guess against the whole set is
  then about 2·code_length big-integer additions, and the key of every code is
  one byte: `exact * (code_length + 1) + misplaced` (at most 72).
* The consistent set is enumerated in blocks: every code is a prefix followed by
  a suffix from a cached block of at most SUFFIX_LIMIT suffixes (for spaces up to
  SUFFIX_LIMIT codes the prefix is empty and the block is the whole space).
  Prefixes that cannot fit the feedback are discarded at once; each remaining
  prefix costs a handful of big-integer operations over the suffix block.
  Prefixes are checked in a random order; when the work runs past WORK_BUDGET
  the ones checked so far are a random sample, and the count becomes an
  estimate scaled up from them (`Consistent.exact` / `Hint.exact` say which).
* Spaces up to EXHAUSTIVE_LIMIT codes are searched exhaustively: every code is a
  candidate guess, scored against every consistent code — Knuth's algorithm.
  Larger spaces score a bounded sample of candidates against a bounded sample of
  the consistent set.
* The first guess depends only on the settings and the strategy, and is cached.
"""

from __future__ import annotations

import bisect
import enum
import functools
import hashlib
import itertools
import math
import operator
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from games import rules
from games.exceptions import InvalidMove

Code = tuple[int, ...]

# Spaces up to this size are searched exhaustively (every code a candidate guess,
# scored against every consistent code): every space of 2 or 3 pegs, 4 pegs up
# to 8 colours (4×8 = 4096), 5×5 (3125), 6×4 (4096), 7×3 and the like.
EXHAUSTIVE_LIMIT = 4096
# Largest block of suffixes the enumeration keeps; a space no larger than this
# is one block, enumerated whole.
SUFFIX_LIMIT = 16384
# Enumeration work allowed per request, in (code, past guess) checks: about
# 5–7 ns each on the reference machine (docs/solver.md), so ~0.25 s.
WORK_BUDGET = 40_000_000
# Bounds of the sampled guess search used past EXHAUSTIVE_LIMIT.
GUESS_SAMPLE = 250  # consistent candidates, and as many random codes
SCORE_SAMPLE = 1000  # consistent codes each candidate is scored against
# Consistent sets up to this size are listed in full; larger ones keep KEEP_BLOCKS
# randomly chosen blocks (prefixes) and draw their sample from those.
LIST_LIMIT = 20_000
KEEP_BLOCKS = 400
FIRST_GUESS_SAMPLE = 20_000  # codes the first guess of a sampled space is scored against

_rng = secrets.SystemRandom()


class Strategy(enum.StrEnum):
    """How the next guess is chosen."""

    KNUTH = "knuth"  # smallest worst case: minimise the largest feedback class (Knuth 1977)
    EXPECTED = "expected"  # smallest expected class: minimise the sum of squared class sizes
    PARTS = "parts"  # most feedback classes (Kooi 2005)
    RANDOM = "random"  # any consistent code, drawn at random


@dataclass(frozen=True)
class Consistent:
    """The codes still consistent with a history.

    `count` is exact when `exact`, otherwise an estimate (at least 1). `codes`
    holds every consistent code (in lexicographic order) when `complete`,
    otherwise a random sample of up to SCORE_SAMPLE of them (sorted; empty if
    the budget found none).
    """

    count: int
    exact: bool
    complete: bool
    codes: list[Code]


@dataclass(frozen=True)
class Hint:
    """What the hint endpoint shows: how many codes remain (exactly, or an estimate), and a next guess."""

    possible: int
    exact: bool
    suggestion: Code


class SpaceTooLarge(ValueError):
    """The consistent set is too large to list: more than LIST_LIMIT codes, or past the work budget."""


# --- byte tables ------------------------------------------------------------


@functools.cache
def _equal_table(value: int) -> bytes:
    """Translation table: `value` → 1, anything else → 0."""
    return bytes(int(b == value) for b in range(256))


@functools.cache
def _shift_clamp_table(shift: int, cap: int) -> bytes:
    """Translation table: v → min(v + shift, cap)."""
    return bytes(min(b + shift, cap) for b in range(256))


@functools.cache
def _range_table(low: int, high: int) -> bytes:
    """Translation table: 1 where low <= v <= high, else 0."""
    return bytes(int(low <= b <= high) for b in range(256))


def _int(data: bytes) -> int:
    return int.from_bytes(data, "big")


# --- column-wise code sets --------------------------------------------------


class _Cache(dict):
    """A dict that builds a missing value with `build(key)`, so lookups can go through map()."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[Any], Any]) -> None:
        super().__init__()
        self.build = build

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.build(key)
        return value


class _Block:
    """A list of codes stored column-wise, so one guess is scored against all of them at C speed.

    Built on first use and kept: `exact[peg, colour]`, the big-integer indicator
    vector of the codes with that colour on that peg; `counts[colour]`, how many
    times each code uses it (bytes); `clamped[colour, k]`, min(that count, k).
    """

    __slots__ = ("codes", "size", "length", "columns", "exact", "counts", "clamped")

    def __init__(self, codes: Sequence[Code], length: int) -> None:
        self.codes = codes
        self.size = len(codes)
        self.length = length
        self.columns = [bytes(column) for column in zip(*codes, strict=True)] if codes else []
        self.exact = _Cache(self._exact)
        self.counts = _Cache(self._counts)
        self.clamped = _Cache(self._clamped)

    def _exact(self, key: tuple[int, int]) -> int:
        peg, colour = key
        return _int(self.columns[peg].translate(_equal_table(colour)))

    def _counts(self, colour: int) -> bytes:
        total = sum(self.exact[peg, colour] for peg in range(self.length))
        return total.to_bytes(self.size, "big")

    def _clamped(self, key: tuple[int, int]) -> int:
        colour, cap = key
        return _int(self.counts[colour].translate(_shift_clamp_table(0, cap)))

    def exact_row(self, pegs: Iterable[tuple[int, int]]) -> int:
        """Per code, how many of the given (peg, colour) pairs it matches."""
        return sum(map(self.exact.__getitem__, pegs))

    def common_row(self, multiplicities: Iterable[tuple[int, int]]) -> int:
        """Per code, sum over (colour, k) of min(count of colour in the code, k)."""
        return sum(map(self.clamped.__getitem__, multiplicities))

    def keys(self, profile: _Profile) -> bytes:
        """Feedback key of the profiled guess against every code, one byte per code."""
        exact = sum(map(self.exact.__getitem__, profile.pegs))
        common = sum(map(self.clamped.__getitem__, profile.multiplicities))
        return (self.length * exact + common).to_bytes(self.size, "big")


@dataclass(frozen=True, slots=True)
class _Profile:
    """A guess pre-digested for `_Block.keys`."""

    code: Code
    pegs: tuple[tuple[int, int], ...]
    multiplicities: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, code: Code) -> _Profile:
        return cls(code, tuple(enumerate(code)), tuple(Counter(code).items()))


def _feedback_key(length: int, exact: int, misplaced: int) -> int:
    return exact * (length + 1) + misplaced


# --- the space of codes, cached per settings --------------------------------


def _codes(colors: int, length: int, duplicates: bool) -> Iterator[Code]:
    """All codes of `length` pegs in lexicographic order (as rules.all_codes)."""
    if duplicates:
        return itertools.product(range(colors), repeat=length)
    return itertools.permutations(range(colors), length)


def _count(colors: int, length: int, duplicates: bool) -> int:
    return colors**length if duplicates else math.perm(colors, length)


class _Space:
    """Everything about one (code_length, colors, allow_duplicates) that requests share."""

    def __init__(self, length: int, colors: int, duplicates: bool, block_size: int = SUFFIX_LIMIT) -> None:
        self.length = length
        self.colors = colors
        self.duplicates = duplicates
        self.size = _count(colors, length, duplicates)
        self.win = _feedback_key(length, length, 0)
        self.keys = [
            _feedback_key(length, exact, misplaced)
            for exact in range(length + 1)
            for misplaced in range(length + 1 - exact)
            if (exact, misplaced) != (length - 1, 1)
        ]
        fits = [k for k in range(1, length + 1) if _count(colors, k, duplicates) <= block_size]
        suffix_length = max(fits, default=1)
        self.prefix_length = length - suffix_length
        self.suffixes = list(_codes(colors, suffix_length, duplicates))
        self.suffix_block = _Block(self.suffixes, suffix_length)
        n = len(self.suffixes)
        self.ones = _int(b"\x01" * n)
        self.high = 0x80 * self.ones
        # Without repeats: per colour, which suffixes use it.
        self.uses = [] if duplicates else [_int(self.suffix_block.counts[c]) for c in range(colors)]
        self.prefixes = list(_codes(colors, self.prefix_length, duplicates))
        self.prefix_block = _Block(self.prefixes, self.prefix_length) if self.prefix_length else None
        # Only spaces that are one block keep the list of every code.
        self.codes = self.suffixes if not self.prefix_length else None
        exhaustive = self.codes is not None and self.size <= EXHAUSTIVE_LIMIT
        self.profiles = [_Profile.of(code) for code in self.codes] if self.codes and exhaustive else None
        self.exhaustive = self.profiles is not None

    def random_codes(self, count: int) -> list[Code]:
        """Codes drawn uniformly from the space."""
        if self.duplicates:
            return [tuple(_rng.randrange(self.colors) for _ in range(self.length)) for _ in range(count)]
        return [tuple(_rng.sample(range(self.colors), self.length)) for _ in range(count)]


@functools.lru_cache(maxsize=32)
def _space(length: int, colors: int, duplicates: bool) -> _Space:
    return _Space(length, colors, duplicates)


# --- enumeration of the consistent set ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Clue:
    """One past guess and the feedback key it got."""

    code: Code
    key: int
    exact: int
    common: int  # exact + misplaced


def _clues(
    history: Iterable[tuple[Sequence[int], Sequence[int]]], settings: rules.GameSettings
) -> list[_Clue]:
    """Validate a history of (guess, feedback) pairs; raise InvalidMove on field "history"."""
    clues = []
    length = settings.code_length
    for guess, feedback in history:
        code = rules.validate_code(guess, settings, field="history")
        try:
            exact, misplaced = feedback
        except (TypeError, ValueError):
            raise InvalidMove("Feedback must be a pair (exact, misplaced).", field="history") from None
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (exact, misplaced)):
            raise InvalidMove("Feedback must be non-negative integers.", field="history")
        if exact + misplaced > length:
            raise InvalidMove(f"Feedback cannot exceed {length} pegs.", field="history")
        clues.append(_Clue(code, _feedback_key(length, exact, misplaced), exact, exact + misplaced))
    return clues


def _enumerate(space: _Space, clues: list[_Clue], budget: int, list_limit: int = LIST_LIMIT) -> Consistent:
    """The consistent set: exact when the work fits the budget, else a sampled estimate; listed up to list_limit."""
    if not clues:
        if space.size <= list_limit:
            return Consistent(
                space.size, True, True, list(_codes(space.colors, space.length, space.duplicates))
            )
        return Consistent(space.size, True, False, space.random_codes(SCORE_SAMPLE))
    survivors, prefix_exact = _surviving_prefixes(space, clues)
    return _collect(space, _PrefixCheck(space, clues, prefix_exact), survivors, budget, list_limit)


def _surviving_prefixes(space: _Space, clues: list[_Clue]) -> tuple[list[int], list[bytes]]:
    """The prefixes that could still fit every clue, and per clue each prefix's exact pegs.

    A suffix adds at most len(suffix) exact pegs and as many common colours,
    so a prefix outside those bounds for any clue can be dropped at once.
    """
    p = space.prefix_length
    if not p:
        return [0], []
    block = space.prefix_block
    assert block is not None, "a space with a prefix has a prefix block"
    count = len(space.prefixes)
    alive = (1 << (8 * count)) - 1
    k = space.length - p
    prefix_exact: list[bytes] = []
    for clue in clues:
        exact_bytes = block.exact_row(enumerate(clue.code[:p])).to_bytes(count, "big")
        prefix_exact.append(exact_bytes)
        alive &= _int(exact_bytes.translate(_range_table(max(0, clue.exact - k), clue.exact)))
        common_bytes = block.common_row(Counter(clue.code).items()).to_bytes(count, "big")
        alive &= _int(common_bytes.translate(_range_table(max(0, clue.common - k), clue.common)))
    return list(itertools.compress(range(count), alive.to_bytes(count, "big"))), prefix_exact


class _PrefixCheck:
    """Which suffixes complete a prefix into a code consistent with every clue, at C speed.

    Per clue: the suffix's exact pegs (times length, as in the key), and the
    common-colour vectors min(prefix count + suffix count, guess count), built
    lazily per (colour, prefix count) and kept.
    """

    def __init__(self, space: _Space, clues: list[_Clue], prefix_exact: list[bytes]) -> None:
        self.space, self.clues, self.prefix_exact = space, clues, prefix_exact
        p = space.prefix_length
        self.bases = [space.length * space.suffix_block.exact_row(enumerate(c.code[p:])) for c in clues]
        self.multiplicities = [tuple(Counter(c.code).items()) for c in clues]
        self.commons: list[dict[tuple[int, int], int]] = [{} for _ in clues]
        self.equal_to: dict[int, tuple[int, int]] = {}

    def common_vector(self, j: int, colour: int, already: int, cap: int) -> int:
        cache = self.commons[j]
        value = cache.get((colour, already))
        if value is None:
            table = _shift_clamp_table(already, cap)
            value = cache[colour, already] = _int(self.space.suffix_block.counts[colour].translate(table))
        return value

    def equality_masks(self, target: int) -> tuple[int, int]:
        # key + (128 - t) has its high bit set iff key >= t; key + (127 - t) iff key > t.
        masks = self.equal_to.get(target)
        if masks is None:
            ones = self.space.ones
            masks = self.equal_to[target] = ((128 - target) * ones, (127 - target) * ones)
        return masks

    def __call__(self, index: int) -> tuple[int, int]:
        """High-bit mask of the suffixes that complete prefix `index` into a consistent code, and the work spent."""
        space, length, p = self.space, self.space.length, self.space.prefix_length
        n, prefix = len(space.suffixes), space.prefixes[index]
        common_vector, bases, multiplicities = self.common_vector, self.bases, self.multiplicities
        acc = space.high
        work = 0
        if not space.duplicates and prefix:
            # Without repeats a suffix may not reuse a prefix colour.
            clash = sum(space.uses[colour] for colour in prefix)
            acc &= (clash + 0x7F * space.ones) ^ space.high
            work += n
        for j, clue in enumerate(self.clues):
            target = clue.key - length * (self.prefix_exact[j][index] if p else 0)
            if target < 0:
                return 0, work
            row = bases[j] + sum(common_vector(j, c, prefix.count(c), cap) for c, cap in multiplicities[j])
            at_least, above = self.equality_masks(target)
            acc &= (row + at_least) ^ (row + above)
            work += n
            if not acc:
                return 0, work
        return acc & space.high, work


def _collect(
    space: _Space, check: _PrefixCheck, survivors: list[int], budget: int, list_limit: int
) -> Consistent:
    """Check the surviving prefixes within the budget: the consistent set, exact or estimated.

    Blocks are checked in a random order (a random start and a random stride
    coprime to their number: every block is equally likely to come early), so
    when the budget runs out the blocks checked so far are a random sample of
    them. If the budget finds nothing, a second one looks for at least one
    consistent code, which a suggestion needs.
    """
    n = len(space.suffixes)
    found = checked = work = 0
    listed: list[Code] | None = []
    kept: list[tuple[Code, int, int]] = []
    for index in _shuffled(survivors):
        if work >= budget and (found or work >= 2 * budget):
            break
        checked += 1
        mask, cost = check(index)
        work += cost
        if not mask:
            continue
        hits = mask.bit_count()
        found += hits
        prefix = space.prefixes[index]
        if listed is not None:
            if found <= list_limit:
                suffixes = itertools.compress(space.suffixes, mask.to_bytes(n, "big"))
                listed.extend(prefix + suffix for suffix in suffixes)
            else:
                listed = None
        if len(kept) < KEEP_BLOCKS:
            kept.append((prefix, mask, hits))
    exact = checked == len(survivors)
    if exact and listed is not None:
        return Consistent(found, True, True, sorted(listed))
    sample = _draw(space, kept, SCORE_SAMPLE)
    if exact:
        return Consistent(found, True, False, sample)
    estimate = round(found * len(survivors) / checked)
    # A real game's history always admits its secret, so never report zero.
    return Consistent(max(estimate, len(sample), 1), False, False, sample)


def _shuffled(items: list[int]) -> Iterator[int]:
    """items in a random order: a random start and a random stride coprime to len(items)."""
    count = len(items)
    if count <= 1:
        yield from items
        return
    start = _rng.randrange(count)
    stride = _rng.randrange(1, count)
    while math.gcd(stride, count) != 1:
        stride = _rng.randrange(1, count)
    for i in range(count):
        yield items[(start + i * stride) % count]


def _draw(space: _Space, blocks: list[tuple[Code, int, int]], count: int) -> list[Code]:
    """Up to count codes drawn uniformly without replacement from the hits of the kept blocks, sorted."""
    n = len(space.suffixes)
    total = sum(hits for _, _, hits in blocks)
    if total > count:
        # How many of the draws fall in each block, then which hits.
        ends = list(itertools.accumulate(hits for _, _, hits in blocks))
        per_block = Counter(bisect.bisect_right(ends, rank) for rank in _rng.sample(range(total), count))
    else:
        per_block = Counter({i: hits for i, (_, _, hits) in enumerate(blocks)})
    codes: list[Code] = []
    for i, need in per_block.items():
        prefix, mask, hits = blocks[i]
        data = mask.to_bytes(n, "big")
        if hits * 32 < n:
            # Sparse: list the hits one find() at a time.
            positions = []
            position = data.find(0x80)
            while position >= 0:
                positions.append(position)
                position = data.find(0x80, position + 1)
        elif need * 2 <= hits:
            # Dense, and few wanted: draw positions until `need` distinct hits.
            chosen: set[int] = set()
            while len(chosen) < need:
                position = _rng.randrange(n)
                if data[position]:
                    chosen.add(position)
            codes.extend(prefix + space.suffixes[position] for position in chosen)
            continue
        else:
            positions = list(itertools.compress(range(n), data))
        chosen_positions = positions if need == hits else _rng.sample(positions, need)
        codes.extend(prefix + space.suffixes[position] for position in chosen_positions)
    return sorted(codes)


# --- choosing a guess -------------------------------------------------------


def _measure(strategy: Strategy, keys: list[int]) -> Callable[[bytes], int]:
    """How a strategy rates the feedback keys of a guess against the consistent codes; lower is better."""
    if strategy is Strategy.KNUTH:
        # The largest class.
        return lambda row: max(map(row.count, keys))
    if strategy is Strategy.EXPECTED:
        # |S| times the expected size of the class the secret falls in.
        def expected(row: bytes) -> int:
            sizes = list(map(row.count, keys))
            return sum(map(operator.mul, sizes, sizes))

        return expected
    # The number of non-empty classes, negated.
    return lambda row: -len(set(row))


def _best(
    space: _Space,
    candidates: Iterable[tuple[_Profile, bool]],
    targets: Sequence[Code],
    strategy: Strategy,
) -> Code:
    """The candidate with the best score against targets; ties prefer a consistent guess, then the smallest code."""
    block = _Block(targets, space.length)
    measure = _measure(strategy, space.keys)
    # Candidates come in lexicographic order, so once a consistent one reaches
    # the best score any guess could have, no later one can beat it.
    floor = _floor(strategy, len(targets), len(space.keys))
    best: tuple[int, bool, Code] | None = None
    for profile, consistent in candidates:
        score = measure(block.keys(profile))
        if best is not None and score > best[0]:
            continue
        rank = (score, not consistent, profile.code)
        if best is None or rank < best:
            best = rank
            if consistent and score == floor:
                break
    assert best is not None
    return best[2]


def _floor(strategy: Strategy, size: int, classes: int) -> int:
    """The best score any guess could reach: `size` codes spread as evenly as possible over `classes` keys."""
    if strategy is Strategy.KNUTH:
        return -(-size // classes)
    if strategy is Strategy.EXPECTED:
        share, extra = divmod(size, classes)
        return extra * (share + 1) ** 2 + (classes - extra) * share**2
    return -min(size, classes)


def _choose(space: _Space, state: Consistent, clues: list[_Clue], strategy: Strategy) -> Code:
    """The next guess for this consistent set."""
    pool = state.codes
    if strategy is Strategy.RANDOM:
        if pool:
            return _rng.choice(pool)
        return space.random_codes(1)[0]
    if state.complete and len(pool) <= 2:
        # One code: play it. Two: either one splits them, and a consistent
        # guess wins every tie-break, so the smaller one.
        return min(pool)
    if space.profiles is not None and state.complete:
        members = set(pool)
        candidates = ((profile, profile.code in members) for profile in space.profiles)
        return _best(space, candidates, pool, strategy)
    # Sampled search: some consistent codes and as many random ones, scored
    # against a sample of the consistent set.
    picks = pool if len(pool) <= GUESS_SAMPLE else _rng.sample(pool, GUESS_SAMPLE)
    extra = space.random_codes(GUESS_SAMPLE)
    unique = sorted(set(picks) | set(extra))
    targets = pool if len(pool) <= SCORE_SAMPLE else _rng.sample(pool, SCORE_SAMPLE)
    if not targets:
        # The budget found no consistent code: no information to score with.
        return _rng.choice(extra)
    flags = _consistency(space, unique, clues)
    candidates = ((_Profile.of(code), flag) for code, flag in zip(unique, flags, strict=True))
    return _best(space, candidates, targets, strategy)


def _consistency(space: _Space, codes: list[Code], clues: list[_Clue]) -> list[bool]:
    """For each code, whether it fits every clue (feedback is symmetric, so score the clues against the codes)."""
    block = _Block(codes, space.length)
    mask = (1 << (8 * len(codes))) - 1
    for clue in clues:
        row = block.keys(_Profile.of(clue.code))
        mask &= _int(row.translate(_equal_table(clue.key)))
    return [bool(b) for b in mask.to_bytes(len(codes), "big")]


def _symmetric_first_guesses(space: _Space) -> list[Code]:
    """One code per pattern of colour multiplicities, the smallest of its class.

    Before any feedback, permuting colours or pegs maps the space onto itself,
    so every code of a pattern scores alike; the smallest code with
    multiplicities m1 >= m2 >= ... is 0^m1 1^m2 ...
    """
    if not space.duplicates:
        return [tuple(range(space.length))]
    found = []

    def partitions(rest: int, largest: int) -> Iterator[list[int]]:
        if rest == 0:
            yield []
            return
        for part in range(min(rest, largest), 0, -1):
            for tail in partitions(rest - part, part):
                yield [part, *tail]

    for parts in partitions(space.length, space.length):
        if len(parts) <= space.colors:
            found.append(tuple(colour for colour, part in enumerate(parts) for _ in range(part)))
    return sorted(found)


def _deterministic_sample(space: _Space, count: int) -> list[Code]:
    """A fixed pseudo-random sample of the space (duplicates allowed), so the cached first guess is reproducible."""
    label = f"mastermind first guess {space.length}x{space.colors}".encode()
    keep = 256 - 256 % space.colors
    table = bytes(b % space.colors for b in range(256))
    stream = hashlib.shake_256(label).digest(2 * count * space.length)
    digits = stream.translate(table, bytes(range(keep, 256)))[: count * space.length]
    return list(zip(*[iter(digits)] * space.length, strict=False))


@functools.lru_cache(maxsize=256)
def _first_guess(length: int, colors: int, duplicates: bool, strategy: Strategy) -> Code:
    """The opening guess, the same as a full search would find: by symmetry only one code per pattern needs scoring.

    Enumerable spaces score the patterns against every code (exact); larger ones
    against a fixed pseudo-random sample of FIRST_GUESS_SAMPLE codes.
    """
    space = _space(length, colors, duplicates)
    candidates = [(_Profile.of(code), True) for code in _symmetric_first_guesses(space)]
    if len(candidates) == 1:
        return candidates[0][0].code
    targets = space.codes if space.codes is not None else _deterministic_sample(space, FIRST_GUESS_SAMPLE)
    return _best(space, candidates, targets, strategy)


# --- public API -------------------------------------------------------------


History = Iterable[tuple[Sequence[int], Sequence[int]]]


class Solver:
    """Code-breaking help for one game's settings. Cheap to build: what it needs is cached per settings."""

    def __init__(
        self, settings: rules.GameSettings, *, budget: int = WORK_BUDGET, block_size: int = SUFFIX_LIMIT
    ) -> None:
        """budget bounds the enumeration work per call; block_size the suffix blocks (tests shrink both)."""
        self.settings = settings
        self.budget = budget
        key = (settings.code_length, settings.colors, settings.allow_duplicates)
        self._space = _space(*key) if block_size == SUFFIX_LIMIT else _Space(*key, block_size)

    def consistent(self, history: History) -> Consistent:
        """The codes consistent with history: exact when enumerable within the budget, else estimated."""
        return _enumerate(self._space, _clues(history, self.settings), self.budget)

    def possible(self, history: History) -> list[Code]:
        """Every code consistent with history, in lexicographic order; raise SpaceTooLarge past the budget."""
        state = self.consistent(history)
        if not state.complete:
            raise SpaceTooLarge(f"About {state.count} codes remain; too many to list.")
        return state.codes

    def suggest(self, history: History, strategy: Strategy | str = Strategy.KNUTH) -> Code:
        """The next guess by strategy; raise InvalidMove when no code fits the history."""
        return self.hint(history, strategy).suggestion

    def hint(self, history: History, strategy: Strategy | str = Strategy.KNUTH) -> Hint:
        """How many codes remain (exact or estimated) and the next guess; raise InvalidMove when none fits."""
        strategy = Strategy(strategy)
        clues = _clues(history, self.settings)
        space = self._space
        if not clues and strategy is not Strategy.RANDOM:
            return Hint(
                space.size, True, _first_guess(space.length, space.colors, space.duplicates, strategy)
            )
        # A hint only needs a sample of a large set, not the list of it.
        list_limit = SCORE_SAMPLE if space.prefix_length else LIST_LIMIT
        state = _enumerate(space, clues, self.budget, list_limit)
        if state.exact and state.count == 0:
            raise InvalidMove("No code is consistent with this feedback.", field="history")
        return Hint(state.count, state.exact, _choose(space, state, clues, strategy))


# --- analysis of a finished game ------------------------------------------------

# Exact minimax work allowed per guess, in (candidate, consistent code) pairs:
# every code of the space scored against every consistent code. 4×6's worst
# (1296 × 1296) fits; larger spaces are exact once the consistent set is small
# (5×8: up to 128 codes), and only spaces up to FULL_SEARCH_LIMIT codes are
# ever searched in full (6×9's 531,441 candidates would take seconds each).
MINIMAX_BUDGET = 1 << 22
FULL_SEARCH_LIMIT = 32768


@dataclass(frozen=True)
class GuessAnalysis:
    """One guess of a game, judged: how many codes it left, and the fewest any guess could have guaranteed."""

    possible_before: int
    possible_after: int
    best_worst_case: int
    exact_counts: bool  # False when any of the three is an estimate (a space too large to count)


def analyse(
    settings: rules.GameSettings, history: History, *, budget: int = WORK_BUDGET
) -> list[GuessAnalysis]:
    """For each guess of a history (in order): the consistent codes before and after it, and the
    smallest worst case (Knuth's minimax) any guess could have guaranteed from the same position."""
    space = _space(settings.code_length, settings.colors, settings.allow_duplicates)
    clues = _clues(history, settings)
    states = [_enumerate(space, clues[:i], budget) for i in range(len(clues) + 1)]
    result = []
    for before, after in itertools.pairwise(states):
        best, best_exact = _minimax(space, before)
        exact = before.exact and after.exact and best_exact
        result.append(GuessAnalysis(before.count, after.count, best, exact))
    return result


def _minimax(space: _Space, state: Consistent) -> tuple[int, bool]:
    """The smallest largest feedback class any guess makes of the consistent set, and whether it is exact."""
    if state.complete and not state.codes:
        return 0, state.exact
    if state.complete and len(state.codes) <= 2:
        return 1, True  # one code: play it; two: either one tells them apart
    if state.complete and space.size <= FULL_SEARCH_LIMIT and len(state.codes) * space.size <= MINIMAX_BUDGET:
        return _minimax_exact(space, tuple(state.codes)), True
    # Too large to score every guess against every code: the best of a sample
    # of guesses against a sample of the codes, scaled to the whole set.
    pool = state.codes
    if not pool:
        return state.count, False
    picks = pool if len(pool) <= GUESS_SAMPLE else _rng.sample(pool, GUESS_SAMPLE)
    candidates = sorted(set(picks) | set(space.random_codes(GUESS_SAMPLE)))
    targets = pool if len(pool) <= SCORE_SAMPLE else _rng.sample(pool, SCORE_SAMPLE)
    block = _Block(targets, space.length)
    largest = _measure(Strategy.KNUTH, space.keys)
    sampled = min(largest(block.keys(_Profile.of(code))) for code in candidates)
    return max(1, round(sampled * state.count / len(targets))), False


@functools.lru_cache(maxsize=4)
def _all_profiles(space: _Space) -> list[_Profile]:
    """Every code of a space, profiled (the exhaustive spaces keep theirs already)."""
    return space.profiles or [
        _Profile.of(code) for code in _codes(space.colors, space.length, space.duplicates)
    ]


@functools.lru_cache(maxsize=64)
def _minimax_exact(space: _Space, pool: tuple[Code, ...]) -> int:
    """Knuth's minimax over every code of the space (cached: a game's opening is everyone's opening)."""
    block = _Block(pool, space.length)
    largest = _measure(Strategy.KNUTH, space.keys)
    floor = _floor(Strategy.KNUTH, len(pool), len(space.keys))
    best = len(pool)
    # The consistent codes first: a small set is often split perfectly by one
    # of its own, and reaching the floor ends the search early.
    for profile in itertools.chain(map(_Profile.of, pool), _all_profiles(space)):
        best = min(best, largest(block.keys(profile)))
        if best == floor:
            break
    return best


# --- playing every code ------------------------------------------------------


def play(
    settings: rules.GameSettings, secret: Sequence[int], strategy: Strategy | str = Strategy.KNUTH
) -> list[Code]:
    """The guesses the strategy makes against secret, the last one being the secret."""
    solver = Solver(settings)
    secret = tuple(secret)
    history: list[tuple[Code, rules.Feedback]] = []
    limit = solver._space.size
    while len(history) < limit:
        guess = solver.suggest(history, strategy)
        history.append((guess, rules.score(secret, guess)))
        if guess == secret:
            return [g for g, _ in history]
    raise RuntimeError("The solver made no progress.")  # pragma: no cover - a bug if reached


def guesses_needed(
    settings: rules.GameSettings, strategy: Strategy | str = Strategy.KNUTH
) -> dict[Code, int]:
    """For every code of the space, how many guesses the strategy needs to find it.

    Walks the strategy's decision tree once: every secret in a feedback class
    sees the same next guess, so the class is solved together rather than
    playing one game per secret. The space must be one block (SUFFIX_LIMIT).
    """
    strategy = Strategy(strategy)
    key = (settings.code_length, settings.colors, settings.allow_duplicates)
    space = _space(*key)
    if space.codes is None:
        raise SpaceTooLarge(f"{space.size} codes: too many to play them all.")
    if space.exhaustive and strategy is not Strategy.RANDOM:
        # Deterministic: the same tree every time.
        return dict(_walk_cached(*key, strategy))
    return _walk(space, strategy)


@functools.lru_cache(maxsize=32)
def _walk_cached(length: int, colors: int, duplicates: bool, strategy: Strategy) -> dict[Code, int]:
    return _walk(_space(length, colors, duplicates), strategy)


def _walk(space: _Space, strategy: Strategy) -> dict[Code, int]:
    needed: dict[Code, int] = {}
    if space.codes is None:
        raise ValueError("only a space of one block can be walked in full")
    stack: list[tuple[list[Code], list[_Clue]]] = [(list(space.codes), [])]
    while stack:
        pool, clues = stack.pop()
        if not clues and strategy is not Strategy.RANDOM:
            guess = _first_guess(space.length, space.colors, space.duplicates, strategy)
        else:
            guess = _choose(space, Consistent(len(pool), True, True, pool), clues, strategy)
        row = _Block(pool, space.length).keys(_Profile.of(guess))
        classes: dict[int, list[Code]] = {}
        for code, key in zip(pool, row, strict=True):
            classes.setdefault(key, []).append(code)
        for key, members in classes.items():
            if key == space.win:
                needed[guess] = len(clues) + 1
                continue
            if len(members) == len(pool):
                raise RuntimeError("The strategy made no progress.")  # pragma: no cover - a bug if reached
            exact, misplaced = divmod(key, space.length + 1)
            stack.append((members, [*clues, _Clue(guess, key, exact, exact + misplaced)]))
    return needed


def distribution(settings: rules.GameSettings, strategy: Strategy | str = Strategy.KNUTH) -> dict[int, int]:
    """How many codes the strategy solves in 1, 2, ... guesses (see guesses_needed)."""
    return dict(sorted(Counter(guesses_needed(settings, strategy).values()).items()))
