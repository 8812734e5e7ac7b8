"""Follow-up inputs: source examples run through semantics-preserving transformations.

Each (source, transformation) gives at most one follow-up. For pair tasks (clone detection) the
transformation is applied to each function of the pair with its own derived seed; the follow-up
exists when at least one side changed, and is dropped as *rejected* when either side failed
validation. Seeds are derived from (run seed, source id, transformation, side), so a follow-up does
not depend on the order or the number of other examples — a rerun, or a run on a subset, yields the
same follow-ups.

That is also what makes generation parallel without changing a byte: sources are cut into chunks
of consecutive sources (:func:`iter_follow_up_chunks`), chunks run in worker processes, and they come
back in source order, so the follow-ups, their order and every count are the same for any number of
workers. Chunks are yielded as they are done, with a bounded number in flight, so a caller that
consumes them one by one (the evaluation pipeline streams them to the models) holds a bounded
amount of follow-up code in memory whatever the number of follow-ups. Under a multi-process launch
each process can take its shard of the chunks (``shard=(rank, processes)``).

A source may carry its context (the file it was cut from, ``SourceInput.contexts``); the
transformations then resolve macros, globals and siblings exactly. Per transformation the set counts
what was not applicable only for lack of such context, and per cause the inputs refused whole
because they do not parse (see :meth:`FollowUpSet.overview`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Sequence

from .data import SourceInput
from .errors import MetaCompressError, WorkerDied

DEFAULT_CHUNK_SOURCES = 64  # sources per chunk: big enough to amortise a task's overhead, small for memory


@dataclass
class FollowUpInput:
    """A follow-up input x′ derived from source ``source_id`` by ``transformation``."""

    source_id: str
    transformation: str
    inputs: tuple[str, ...]
    provenance: list[dict | None]

    def as_row(self) -> dict:
        row = {"source_id": self.source_id, "transformation": self.transformation}
        if len(self.inputs) == 1:
            row["code"] = self.inputs[0]
            row["provenance"] = self.provenance[0]
        else:
            for side, (code, prov) in enumerate(zip(self.inputs, self.provenance), start=1):
                row[f"code{side}"] = code
                row[f"provenance{side}"] = prov
        return row

    @classmethod
    def from_row(cls, row: dict) -> "FollowUpInput":
        """The follow-up a row of :meth:`as_row` describes (read back from JSON: provenance records are
        JSON values, which is what transformations make)."""
        if "code" in row:
            return cls(row["source_id"], row["transformation"], (row["code"],), [row["provenance"]])
        sides = range(1, sum(1 for key in row if key.startswith("code")) + 1)
        return cls(row["source_id"], row["transformation"], tuple(row[f"code{side}"] for side in sides),
                   [row[f"provenance{side}"] for side in sides])


@dataclass(frozen=True)
class FollowUpRef:
    """Which follow-up a row is, without its code (what the streamed pipeline keeps per row):
    :func:`remake_follow_up` makes the follow-up again, byte for byte."""

    source_id: str
    transformation: str


@dataclass
class FollowUpSet:
    """Follow-ups with per-transformation outcome counts (of a whole run, or of one chunk of it)."""

    items: list[FollowUpInput] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reasons: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    verified: bool = False  # whether the compiler filter ran (adds "unverified" to the summary)
    checker: str | None = None  # the compiler check that ran (gcc, javac, node, go, python-compile)
    checked: int = 0  # follow-ups compiled against their sources
    compiler_rejected: int = 0  # of those, dropped for adding compiler errors
    refused: Counter = field(default_factory=Counter)  # code inputs refused whole, by cause
    with_context: int = 0  # code inputs that came with their context
    unparsed: int = 0  # sources with an input that does not parse in the language (for language_warning)
    first_unparsed: str | None = None  # the id of the first of them

    def summary(self) -> dict:
        """Per transformation: applied / not_applicable / rejected counts, how many of the not
        applicable ones lacked only the context (``skipped_for_context``), and the top reasons."""
        out = {}
        for name, counter in self.counts.items():
            out[name] = {"applied": counter["applied"], "not_applicable": counter["not_applicable"],
                         "rejected": counter["rejected"], "skipped_for_context": counter["lacks_context"],
                         "reasons": dict(self.reasons[name].most_common(8))}
            if self.verified:
                # follow-ups kept without a real compiler check (no toolchain, checker timed out)
                out[name]["unverified"] = counter["unverified"]
        return out

    def overview(self) -> dict:
        """Run-level facts about the follow-ups: whether they were verified (compiled against their
        sources), how many code inputs came with a context, how many were refused whole because
        they do not parse (by cause: GNU extensions, K&R pointer parameters, preprocessor
        conditionals, ...), and how many follow-ups were skipped for lack of context in all."""
        verification = None
        if self.verified:
            verification = {"checker": self.checker, "checked": self.checked, "rejected": self.compiler_rejected,
                            "unverified": sum(c["unverified"] for c in self.counts.values())}
        return {"verified": self.verified, "verification": verification, "inputs_with_context": self.with_context,
                "refused_inputs": dict(sorted(self.refused.items())),
                "skipped_for_context": sum(c["lacks_context"] for c in self.counts.values())}

    def record(self, source: SourceInput, name: str, outcomes: list) -> FollowUpInput | None:
        """Count the outcomes of ``name`` on each side of ``source``; keep and return the follow-up if any."""
        rejected = [o for o in outcomes if o.status == "rejected"]
        applied = [o for o in outcomes if o.status == "applied"]
        if rejected:
            self.counts[name]["rejected"] += 1
            self.reasons[name][rejected[0].reason or "rejected"] += 1
            return None
        if not applied:
            self.counts[name]["not_applicable"] += 1
            self.reasons[name][outcomes[0].reason or "not applicable"] += 1
            if any(o.lacks_context for o in outcomes):
                self.counts[name]["lacks_context"] += 1
            return None
        self.counts[name]["applied"] += 1
        item = FollowUpInput(
            source_id=source.id, transformation=name,
            inputs=tuple(o.code if o.status == "applied" else code for o, code in zip(outcomes, source.inputs)),
            provenance=[o.provenance() if o.status == "applied" else None for o in outcomes])
        self.items.append(item)
        return item

    def add(self, chunk: "FollowUpChunk", *, keep_items: bool = True) -> None:
        """Merge a chunk's counts (and its follow-ups unless ``keep_items`` is false) into this set.

        Chunks must be added in order; reasons of follow-ups dropped by the compiler check are held
        back until :meth:`finish`, so that every generation reason is listed first, as one pass over
        all sources lists them.
        """
        if keep_items:
            self.items.extend(chunk.items)
        for name, counter in chunk.counts.items():
            self.counts[name].update(counter)
        for name, counter in chunk.reasons.items():
            self.reasons[name].update(counter)
        for name, counter in chunk.verify_reasons.items():
            self._late_reasons.setdefault(name, Counter()).update(counter)
        self.verified = self.verified or chunk.verified
        self.checked += chunk.checked
        self.compiler_rejected += chunk.compiler_rejected
        if chunk.checker:
            # chunks of one run may name different checkers (e.g. a compiler missing for some inputs)
            names = set(filter(None, (self.checker or "").split(", "))) | set(chunk.checker.split(", "))
            self.checker = ", ".join(sorted(names))
        self.refused.update(chunk.refused)
        self.with_context += chunk.with_context
        self.unparsed += chunk.unparsed
        if self.first_unparsed is None:
            self.first_unparsed = chunk.first_unparsed

    def finish(self) -> "FollowUpSet":
        """Append the held-back compiler-check reasons (see :meth:`add`); returns ``self``."""
        for name, counter in self._late_reasons.items():
            self.reasons[name].update(counter)
        self._late_reasons = {}
        return self

    def __post_init__(self) -> None:
        self._late_reasons: dict[str, Counter] = {}


def derive_seed(seed: int, *parts: object) -> int:
    """A 32-bit seed that depends only on ``seed`` and ``parts`` (stable across runs and platforms)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def verification_line(verification: dict | None) -> str:
    """One sentence on the compiler check of follow-ups (``follow_ups.verification`` of a report)."""
    if not verification:
        return "follow-ups not verified (no compiler check)"
    text = (f"verified with {verification['checker']}: {verification['checked']} follow-ups compiled against "
            f"their sources, {verification['rejected']} dropped for new compiler errors")
    if verification.get("unverified"):
        text += f", {verification['unverified']} kept unverified (the checker could not run on them)"
    return text


def verify_follow_ups(result: FollowUpSet, sources: Sequence[SourceInput], language: str, *,
                      reasons: dict[str, Counter] | None = None, progress: bool = False) -> FollowUpSet:
    """Compiler-check every follow-up of ``result`` against its source; drop those adding errors.

    A dropped follow-up moves from "applied" to "rejected" with the reason
    ``"new compiler diagnostics: <first new error>"`` (counted in ``reasons``, default
    ``result.reasons``). For pairs, each changed side is compared with its own source side and the
    follow-up is dropped when either side adds an error. All checks run as one batch (see
    :func:`metacompress_eval.verify.compare_many`), with a progress bar when ``progress``. Modifies
    and returns ``result`` (``checker``, ``checked`` and ``compiler_rejected`` say what ran and what
    it dropped).
    """
    from .verify import compare_many
    from .verify.compilers import checker_name

    reasons = result.reasons if reasons is None else reasons
    by_id = {s.id: s for s in sources}
    pairs, owners = [], []
    for index, item in enumerate(result.items):
        source = by_id[item.source_id]
        for side, (code, prov) in enumerate(zip(item.inputs, item.provenance)):
            if prov is not None:  # None: this side was left unchanged
                pairs.append((source.inputs[side], code))
                owners.append(index)
    verdicts: dict[int, list] = defaultdict(list)
    for owner, verdict in zip(owners, compare_many(pairs, language, progress=progress)):
        verdicts[owner].append(verdict)
    kept = []
    for index, item in enumerate(result.items):
        bad = [v for v in verdicts[index] if not v.ok]
        result.checked += 1
        if bad:
            result.compiler_rejected += 1
            result.counts[item.transformation]["applied"] -= 1
            result.counts[item.transformation]["rejected"] += 1
            reasons.setdefault(item.transformation, Counter())
            reasons[item.transformation][f"new compiler diagnostics: {bad[0].new_errors[0]}"] += 1
            continue
        if any(not v.verified for v in verdicts[index]):
            result.counts[item.transformation]["unverified"] += 1
        kept.append(item)
    result.items = kept
    result.verified = True
    checkers = sorted({v.checker for vs in verdicts.values() for v in vs if v.checker})
    result.checker = ", ".join(checkers) if checkers else checker_name(language)
    return result


def language_warning(sources: Sequence[SourceInput], language: str | None,
                     follow_ups: FollowUpSet | None = None) -> str | None:
    """A warning when at least half of the sources do not parse as ``language``, else ``None``.

    Transformations leave code with syntax errors alone, so data in another language than the one
    named ends with "0 follow-ups" and nothing else to say why; this says it. ``follow_ups``: the
    follow-ups of all of ``sources`` made by :func:`iter_follow_up_chunks` (every chunk added), which
    counted the sources that do not parse as they were parsed for the transformations; without it,
    one parse per source here.
    """
    if not language or not sources:
        return None
    from .code.languages import SUPPORTED_LANGUAGES, parse

    if language not in SUPPORTED_LANGUAGES:
        return None
    if follow_ups is not None:
        broken, first = follow_ups.unparsed, follow_ups.first_unparsed
    else:
        ids = [s.id for s in sources if any(parse(code, language).error_count() for code in s.inputs)]
        broken, first = len(ids), (ids[0] if ids else None)
    if 2 * broken < len(sources):
        return None
    warning = (f"{broken} of {len(sources)} sources do not parse as {language} (first: id {first}); "
               f"sources with syntax errors get no follow-ups: ")
    if language == "go":
        # Go reads a lone CR as white space, so lines that end in one run together: such
        # sources fail inside statements, which no refusal cause names (code/refusals.py).
        from .code.refusals import go_cr_line_breaks

        cr_broken = [s.id for s in sources if any(go_cr_line_breaks(code) for code in s.inputs)]
        if cr_broken:
            return warning + (f"{len(cr_broken)} of them break lines with a lone CR (first: id {cr_broken[0]}), "
                              "which Go reads as white space, not as a line break: convert them to LF")
    return warning + f"is --language {language} right?"



# ------------------------------------------------------------------ chunks, workers and shards


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """``workers`` as a process count: ``None`` or 0 means this process's share of :func:`usable_cpus`
    (:func:`default_workers`), and a larger request is capped at them (more processes than CPUs only
    add start-up cost and memory; see :func:`workers_note`). An explicit count is per process, also
    under a multi-process launch.

    Raises:
        MetaCompressError: for a negative count.
    """
    if workers is None or workers == 0:
        return default_workers()
    if workers < 0:
        raise MetaCompressError(f"--workers must be 0 (= usable CPUs) or a positive number, not {workers}")
    return min(int(workers), usable_cpus())


def default_workers() -> int:
    """Worker processes when ``--workers`` is not given: the usable CPUs shared among the processes of a
    multi-process launch on this machine (:func:`~metacompress_eval.launch.local_processes`), at least
    one each; the first ones take the remainder. A plain run gets every usable CPU.

    Without the sharing, N processes of ``torchrun --nproc_per_node N`` would each start one worker per
    CPU, N times more processes than CPUs. (A launcher that pins each process to CPUs of its own leaves
    each an affinity mask of its own CPUs, which this divides again: pass ``--workers`` there.)
    """
    from .launch import local_processes

    rank, local = local_processes()
    cpus = usable_cpus()
    return max(1, cpus // local + (1 if rank < cpus % local else 0))


def workers_note(workers: int | None) -> str | None:
    """The one-line note for a ``--workers`` request :func:`resolve_workers` caps (``None`` when it does not)."""
    used = resolve_workers(workers)
    if workers and workers > used:
        return f"--workers {workers} is more than the {used} usable CPU(s); using {used}"
    return None


@dataclass
class FollowUpChunk:
    """The follow-ups of one chunk of consecutive sources, with the chunk's outcome counts.

    The follow-ups are held as objects (:attr:`items`), as the JSON lines a follow-up file holds for
    them (:attr:`lines`, one :meth:`FollowUpInput.as_row` per line), or both: each is made from the
    other when first asked for. A chunk made in a worker process travels as lines only (one bytes
    object instead of thousands of small objects to pickle and unpickle), so the rows a consumer
    writes (``transform``'s output, ``evaluate``'s ``follow_ups.jsonl``) are encoded by the workers,
    and only a consumer that needs the objects (the models' inputs) decodes them.

    ``verify_reasons``: reasons of follow-ups the compiler check dropped (see :meth:`FollowUpSet.add`).
    """

    index: int
    sources: list[SourceInput]
    counts: dict[str, Counter]
    reasons: dict[str, Counter]
    verify_reasons: dict[str, Counter] = field(default_factory=dict)
    verified: bool = False
    checker: str | None = None
    checked: int = 0
    compiler_rejected: int = 0
    refused: Counter = field(default_factory=Counter)
    with_context: int = 0
    unparsed: int = 0
    first_unparsed: str | None = None
    held_items: list[FollowUpInput] | None = field(default=None, repr=False)  # see items
    held_lines: bytes | None = field(default=None, repr=False)  # see lines
    lines_file: str | None = field(default=None, repr=False)  # lines on their way from a worker (_run_part)

    @property
    def items(self) -> list[FollowUpInput]:
        """The follow-ups, in order (decoded from :attr:`lines` on first use when the chunk has only those)."""
        if self.held_items is None:
            self.held_items = [FollowUpInput.from_row(json.loads(line))
                               for line in (self.held_lines or b"").split(b"\n")[:-1]]
        return self.held_items

    @items.setter
    def items(self, items: list[FollowUpInput]) -> None:
        self.held_items, self.held_lines = list(items), None

    @property
    def lines(self) -> bytes:
        """The follow-ups as JSON lines in UTF-8, the bytes a follow-up file holds for them
        (:func:`~metacompress_eval.fileio.json_line` of each :meth:`FollowUpInput.as_row`)."""
        if self.held_lines is None:
            from .fileio import json_line

            self.held_lines = b"".join(json_line(item.as_row()) for item in self.held_items or ())
        return self.held_lines

    @property
    def n_follow_ups(self) -> int:
        """How many follow-ups the chunk has (without decoding them)."""
        if self.held_items is not None:
            return len(self.held_items)
        return (self.held_lines or b"").count(b"\n")

    def packed(self) -> "FollowUpChunk":
        """This chunk with its follow-ups as :attr:`lines` only (how it travels between processes)."""
        self.held_lines, self.held_items = self.lines, None
        return self

    @property
    def inputs(self) -> list[tuple[str, ...]]:
        """The chunk's model inputs: its sources, then its follow-ups."""
        return [s.inputs for s in self.sources] + [f.inputs for f in self.items]

    def extend(self, part: "FollowUpChunk") -> None:
        """Append ``part``, the chunk of the sources that follow this chunk's (a chunk made in parts
        by several workers is joined back: the result is the chunk made in one go). Only unverified
        chunks are made in parts: the compiler check runs on whole chunks."""
        self.sources += part.sources
        if self.held_items is None and part.held_items is None:
            self.held_lines = (self.held_lines or b"") + (part.held_lines or b"")
        else:
            self.items = self.items + part.items
        for mine, theirs in ((self.counts, part.counts), (self.reasons, part.reasons)):
            for name, counter in theirs.items():
                mine.setdefault(name, Counter()).update(counter)
        self.refused.update(part.refused)
        self.with_context += part.with_context
        self.unparsed += part.unparsed
        if self.first_unparsed is None:
            self.first_unparsed = part.first_unparsed


@dataclass(frozen=True)
class ChunkJob:
    """One chunk's work, as sent to a worker process."""

    index: int
    sources: tuple[SourceInput, ...]
    language: str | None
    names: tuple[str, ...]
    seed: int
    verify: bool


def run_chunk(job: ChunkJob) -> FollowUpChunk:
    """Apply every transformation of ``job`` to each of its sources (in a worker or in this process).

    Each side of a source is parsed once, and every transformation works on that parse (they only
    read it), which saves a parse per transformation.
    """
    from .code.languages import parse
    from .transforms import get_transformation

    result = FollowUpSet()
    transforms = [get_transformation(n) for n in job.names]
    language = job.language
    unparsed, first_unparsed = 0, None
    for source in job.sources:
        contexts = source.contexts or (None,) * len(source.inputs)
        result.with_context += sum(1 for c in contexts if c is not None)
        if language is None:
            for name in job.names:
                result.counts[name]["not_applicable"] += 1
                result.reasons[name]["no language given for the data"] += 1
            continue
        parses = [parse(code, language) for code in source.inputs]
        if any(p.error_count() for p in parses):
            unparsed += 1
            if first_unparsed is None:
                first_unparsed = source.id
        refusals: dict[int, str] = {}
        for name, transform in zip(job.names, transforms):
            outcomes = [transform.apply(code, language, derive_seed(job.seed, source.id, name, side), context=context,
                                        parsed=parsed)
                        for side, (code, context, parsed) in enumerate(zip(source.inputs, contexts, parses))]
            for side, outcome in enumerate(outcomes):
                if outcome.refusal is not None:
                    refusals.setdefault(side, outcome.refusal)
            result.record(source, name, outcomes)
        result.refused.update(refusals.values())
    chunk = FollowUpChunk(job.index, list(job.sources), result.counts, result.reasons, refused=result.refused,
                          with_context=result.with_context, unparsed=unparsed, first_unparsed=first_unparsed,
                          held_items=result.items)
    if job.verify and language is not None:
        late: dict[str, Counter] = {}
        verify_follow_ups(result, job.sources, language, reasons=late)
        chunk.items, chunk.verify_reasons, chunk.verified = result.items, late, True
        chunk.checker, chunk.checked, chunk.compiler_rejected = result.checker, result.checked, result.compiler_rejected
    return chunk


def _pool(workers: int, lines_dir: str | None = None):
    """A process pool for :func:`run_chunk` (``lines_dir``: where workers write long follow-up lines,
    see :func:`_run_part`).

    Forked workers where the platform can fork (as PyTorch's ``DataLoader`` does): they start at once,
    need no re-import and work from any script. A forked child inherits only the forking thread, so the
    torch threads of the caller do not matter to it; it runs nothing but tree-sitter and Python.
    Elsewhere the platform's default start method is used (with it, a script calling this needs the
    usual ``if __name__ == "__main__":`` guard).

    Workers end with the process that started them (:func:`_start_worker`), also when it is killed, and
    their temporary folders are made in this process's run folder (:func:`~metacompress_eval.verify.
    lifetime.scratch_dir`), which this process removes whatever becomes of the workers.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .verify.lifetime import scratch_dir

    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else None)
    try:
        scratch = scratch_dir()
    except OSError:  # no usable temp folder: the workers make their own where they need one
        scratch = None
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(), scratch, lines_dir))


#: In a worker: the folder :func:`_run_part` writes long follow-up lines to (``None``: send them all
#: through the result pipe).
_LINES_DIR: str | None = None


def _start_worker(parent: int, scratch: str | None, lines_dir: str | None = None) -> None:
    """In a worker: leave interrupts to the parent, use its run folder, and exit as soon as it is gone.

    Ctrl-C reaches every process of the terminal's group; the parent stops the workers itself
    (:func:`_stop_pool`), and a worker interrupted while waiting for work would print a traceback.
    A parent killed outright (SIGKILL, the OOM killer) cannot shut its pool down, and a forked worker
    waiting for work would never see the end of its queue (it holds the queue's other end itself),
    so it would live on, idle, holding memory. A daemon thread notices the new parent and exits.
    """
    import signal
    import threading
    import time

    from .verify.lifetime import adopt_scratch_dir

    global _LINES_DIR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's SIGTERM handler (lifetime.terminate_as_interrupt), which
    # would turn _stop_pool's terminate() into a traceback here: a worker just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    adopt_scratch_dir(scratch)
    _LINES_DIR = lines_dir

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _stop_pool(pool, processes) -> None:
    """Stop ``pool`` now: drop the parts not started and end the workers (interrupted, or an error).

    ``shutdown(wait=True)`` would let every part already handed to a worker run to its end (with
    ``--verify`` that is many compiler calls, tens of seconds). The workers are ours and hold
    nothing that must be saved, so they are terminated; their compilers die with them.
    """
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)


def check_transformations(language: str | None, transformations: Iterable[str]) -> tuple[str, ...]:
    """The distinct transformation names, after checking them and the language (before any work starts).

    Raises:
        MetaCompressError: for an unknown language or transformation.
    """
    names = tuple(dict.fromkeys(transformations))
    if language is not None:
        from .code.languages import SUPPORTED_LANGUAGES

        if language not in SUPPORTED_LANGUAGES:
            raise MetaCompressError(f"unknown language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    from .transforms import get_transformation

    for name in names:
        get_transformation(name)
    return names


def iter_follow_up_chunks(sources: Sequence[SourceInput], language: str | None, transformations: Iterable[str], *,
                          seed: int = 0, verify: bool = False, workers: int | None = 1,
                          chunk_sources: int = DEFAULT_CHUNK_SOURCES, shard: tuple[int, int] | None = None,
                          progress: bool = False) -> Iterator[FollowUpChunk]:
    """The follow-ups of ``sources``, chunk by chunk in source order (see the module docstring).

    Args:
        sources, language, transformations, seed, verify: as for :func:`build_follow_ups`.
        workers: worker processes (``None`` or 0: one per usable CPU); 1 runs in this process.
        chunk_sources: sources per chunk.
        shard: ``(rank, processes)``: only the chunks ``rank, rank + processes, …`` (for multi-process
            launches; the chunks are the same in every process, so the shards partition them).
        progress: show a progress bar (sources done).
    """
    from tqdm.auto import tqdm

    names = check_transformations(language, transformations)
    if chunk_sources < 1:
        raise MetaCompressError("chunk_sources must be at least 1")
    workers = resolve_workers(workers)
    rank, processes = shard or (0, 1)
    jobs = [ChunkJob(index, tuple(sources[start:start + chunk_sources]), language, names, seed, verify)
            for index, start in enumerate(range(0, len(sources), chunk_sources)) if index % processes == rank]
    bar = tqdm(total=sum(len(j.sources) for j in jobs), desc="follow-ups", unit="source", disable=not progress,
               leave=False)
    parts = cut_parts(jobs, workers, verify)
    try:
        if workers <= 1 or len(parts) <= 1:
            for job in jobs:
                chunk = run_chunk(job)
                bar.update(len(job.sources))
                yield chunk
            return
        # At most 2 chunks' worth of sources per worker in flight (handed out or done and waiting to be
        # consumed in order): workers stay busy while the consumer holds results in order, and memory
        # stays bounded when the consumer is slower than the workers.
        window = 2 * workers * chunk_sources
        import multiprocessing
        from concurrent.futures.process import BrokenProcessPool

        from .verify.lifetime import scratch_dir

        # One folder per run for the lines workers write (_run_part), removed whatever becomes of the run.
        # A temp folder that cannot hold it (full, read-only) sends every part through the pipe instead.
        try:
            lines_dir = tempfile.mkdtemp(prefix="follow-up-lines-", dir=scratch_dir())
        except OSError:
            lines_dir = None
        before = set(multiprocessing.active_children())
        pool = _pool(min(workers, len(parts)), lines_dir)
        finished, processes = False, []
        pending: deque = deque()
        in_flight = submitted = 0

        def submit_more() -> None:
            nonlocal in_flight, submitted
            while submitted < len(parts) and (not pending or in_flight + len(parts[submitted][0].sources) <= window):
                job, last = parts[submitted]
                pending.append((job, last, pool.submit(_run_part, job)))
                in_flight += len(job.sources)
                submitted += 1

        try:
            submit_more()
            # The pool's processes (public API only: they are this process's new children).
            processes = [p for p in multiprocessing.active_children() if p not in before]
            chunk = None
            while pending:
                job, last, future = pending.popleft()
                part = _received(future.result())
                part.sources = list(job.sources)
                in_flight -= len(job.sources)
                submit_more()
                bar.update(len(part.sources))
                if chunk is None:
                    chunk = part
                else:
                    chunk.extend(part)
                if last:
                    done, chunk = chunk, None
                    yield done
            finished = True
        except BrokenProcessPool:
            raise WorkerDied("a follow-up worker process died (killed, out of memory?)") from None
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted, an error, or the consumer stopped early (the generator was closed)
                _stop_pool(pool, processes)
            if lines_dir is not None:
                shutil.rmtree(lines_dir, ignore_errors=True)
    finally:
        bar.close()


#: How finely the last parts of a run are cut (see :func:`cut_parts`): a part is at most the work left
#: divided by this many times the workers, and at least the whole run's work divided by
#: ``PART_FLOOR`` times the workers.
PART_SHARE, PART_FLOOR = 4, 64


def source_weight(source: SourceInput) -> int:
    """A source's expected cost to transform: the length of its code (what a transformation's time
    follows, within a few percent on the shared corpora), plus a parse's fixed cost."""
    return sum(len(code) for code in source.inputs) + 200


def cut_parts(jobs: list[ChunkJob], workers: int, verify: bool) -> list[tuple[ChunkJob, bool]]:
    """The parts of ``jobs`` handed to the workers, in order, each with whether it ends its chunk.

    Without ``--verify`` (whose compiler calls are batched per chunk) and with more than one worker,
    chunks are cut by the length of their code, not their number of sources, into parts that shrink
    as the run nears its end ("guided" scheduling): whole chunks while much work is left, then
    smaller and smaller parts, so that the workers finish together instead of one waiting for the
    other's last big part, with few round trips over the run; the first chunk is shared among the
    workers, so that the consumer gets it as soon as it can. Parts are joined back into their chunk
    in order (:meth:`FollowUpChunk.extend`), so the chunks are the same for any cut.
    """
    if verify or workers <= 1:
        return [(job, True) for job in jobs]
    weights = [[source_weight(s) for s in job.sources] for job in jobs]
    left = sum(map(sum, weights))
    floor = left / (PART_FLOOR * workers)
    parts = []
    for number, (job, weight) in enumerate(zip(jobs, weights)):
        # The consumer waits for the first chunk (the models start on it): every worker makes a share.
        first = sum(weight) / workers if number == 0 else left
        start, acc = 0, 0
        for end, w in enumerate(weight, start=1):
            acc += w
            if acc >= min(first, max(floor, left / (PART_SHARE * workers))) and end < len(weight):
                parts.append((replace(job, sources=job.sources[start:end]), False))
                start, left, acc = end, left - acc, 0
        parts.append((replace(job, sources=job.sources[start:]), True))
        left -= acc
    return parts


#: Follow-up lines of a part at least this long go from a worker to the main process through a file
#: (see :func:`_run_part`); shorter ones through the result pipe.
FILE_LINES_BYTES = 1 << 16


def _run_part(job: ChunkJob) -> FollowUpChunk:
    """:func:`run_chunk` in a worker: its follow-ups as JSON lines (:meth:`FollowUpChunk.packed`), the
    sources not sent back (the caller has them).

    Long lines are written to a file in the run's folder for them (``_LINES_DIR``) and only its name is
    sent (:func:`_received` reads it back and removes it). Through the result pipe, a worker sending a part's megabyte of follow-ups waits for
    the main process to read it, 64 KiB at a time, and while two workers hold both cores the main
    process gets a core only now and then; into a file (the page cache) the worker writes at memory
    speed and goes on with the next part.
    """
    chunk = run_chunk(job).packed()
    chunk.sources = []
    if _LINES_DIR is not None and len(chunk.held_lines) >= FILE_LINES_BYTES:
        chunk.lines_file = _write_part_file(chunk.held_lines)
        if chunk.lines_file is not None:
            chunk.held_lines = None
    return chunk


def _write_part_file(lines: bytes) -> str | None:
    """Write a part's ``lines`` to a file in ``_LINES_DIR``; ``None`` when it cannot be written.

    The file is only a faster way than the pipe: a temp folder that is full, over quota, read-only or
    out of file handles (any ``OSError``) must not fail the run, so the lines then go through the pipe.
    """
    path = None
    try:
        fd, path = tempfile.mkstemp(prefix="part-", suffix=".jsonl", dir=_LINES_DIR)
        with os.fdopen(fd, "wb") as fh:
            fh.write(lines)
        return path
    except OSError:
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                pass
        return None


def _received(part: FollowUpChunk) -> FollowUpChunk:
    """A part from :func:`_run_part` with its lines read back (and their file removed)."""
    if part.lines_file is not None:
        # Not an error of the output: name the temp folder, where the fault is (and TMPDIR sets it).
        try:
            with open(part.lines_file, "rb") as fh:
                part.held_lines = fh.read()
            os.unlink(part.lines_file)
        except OSError as exc:
            raise MetaCompressError(f"cannot read a follow-up worker's part file in the temp folder "
                                    f"{os.path.dirname(part.lines_file)}: {exc.strerror or exc} "
                                    "(TMPDIR chooses the temp folder)") from None
        part.lines_file = None
    return part


def remake_follow_up(source: SourceInput, language: str, transformation: str, seed: int = 0) -> FollowUpInput | None:
    """The follow-up of ``source`` by ``transformation`` in a run with ``seed`` (``None`` when there is
    none): the same as the run made, since its seeds depend only on these."""
    chunk = run_chunk(ChunkJob(0, (source,), language, (transformation,), seed, False))
    return chunk.items[0] if chunk.items else None


def build_follow_ups(sources: Sequence[SourceInput], language: str | None, transformations: Iterable[str],
                     *, seed: int = 0, progress: bool = False, verify: bool = False,
                     workers: int | None = 1) -> FollowUpSet:
    """Apply every named transformation to every source.

    Args:
        sources: the source examples.
        language: programming language of the code; ``None`` → no follow-ups (all not applicable).
        transformations: registry names (see :func:`metacompress_eval.transforms.list_transformations`).
        seed: run seed; per-follow-up seeds are derived from it.
        verify: also compile every follow-up and its source and count the follow-up as rejected
            when it adds compiler errors (see :func:`verify_follow_ups`; off by default: it costs
            compiler calls).
        workers: worker processes (``None`` or 0: one per usable CPU; default 1, this process); the
            result is the same for any number.
    """
    result = FollowUpSet()
    for chunk in iter_follow_up_chunks(sources, language, transformations, seed=seed, verify=verify,
                                       workers=workers, progress=progress):
        result.add(chunk)
    return result.finish()
