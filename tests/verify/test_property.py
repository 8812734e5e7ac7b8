"""Property: on real Juliet C and BigCloneBench Java functions, no DEFAULT transformation's
follow-up adds a compiler error (gcc / javac). Skipped when the shared data is absent."""

from metacompress_eval.follow_ups import derive_seed
from metacompress_eval.transforms import DEFAULT_TRANSFORMS, get_transformation
from metacompress_eval.verify import compare_many

from ..conftest import BIGCLONEBENCH, JULIET, shared_rows


def _check(rows, language):
    pairs, labels = [], []
    for row in rows:
        for name in DEFAULT_TRANSFORMS:
            result = get_transformation(name).apply(row["code"], language, derive_seed(0, row["id"], name))
            if result.applied:
                pairs.append((row["code"], result.code))
                labels.append((name, row["id"]))
    results = compare_many(pairs, language)
    failures = [f"{name} on {rid}: {r.new_errors}" for (name, rid), r in zip(labels, results) if not r.ok]
    assert not failures, "\n".join(failures)
    assert all(r.verified for r in results)
    return {name for name, _ in labels}


def test_juliet_c_follow_ups_add_no_compiler_errors(need_gcc):
    applied = _check(shared_rows(JULIET, 40, max_chars=4000), "c")
    assert len(applied) >= 2


def test_bigclonebench_java_follow_ups_add_no_compiler_errors(need_javac):
    applied = _check(shared_rows(BIGCLONEBENCH, 30, max_chars=4000), "java")
    assert len(applied) >= 2
