"""Edit-distance alignment of unit sequences with S/D/I counts, on rapidfuzz's C implementation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from cstoolkit.text.scripts import script_of_unit

#: Alignment marks: "=" match, "S" substitution, "D" deletion, "I" insertion.
MATCH, SUB, DEL, INS = "=", "S", "D", "I"


@dataclass
class EditCounts:
    """Substitutions, deletions, insertions and the number of reference units."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    ref_units: int = 0

    @property
    def errors(self) -> int:
        """S + D + I."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def error_rate(self) -> float:
        """(S + D + I) / N; with N = 0 it is 0 when there is no error, else 1 (docs/SAER.md)."""
        if self.ref_units == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.ref_units

    def add(self, other: EditCounts) -> None:
        """Accumulate ``other`` into this object (corpus pooling)."""
        self.substitutions += other.substitutions
        self.deletions += other.deletions
        self.insertions += other.insertions
        self.ref_units += other.ref_units

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict with the counts and the error rate."""
        return {
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "ref_units": self.ref_units,
            "error_rate": self.error_rate,
        }


@dataclass
class Alignment:
    """A minimal-edit alignment of two unit sequences.

    ``opcodes`` are rapidfuzz-style blocks ``(tag, i1, i2, j1, j2)`` with tag in equal/replace/delete/insert.
    """

    ref: Sequence[str]
    hyp: Sequence[str]
    opcodes: list[tuple[str, int, int, int, int]]
    counts: EditCounts

    def pairs(self) -> list[tuple[str | None, str | None, str]]:
        """Aligned ``(ref_unit, hyp_unit, mark)`` triples; a deletion has no hyp unit, an insertion no ref unit."""
        out: list[tuple[str | None, str | None, str]] = []
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                out.extend((self.ref[i], self.hyp[j], MATCH) for i, j in zip(range(i1, i2), range(j1, j2)))
            elif tag == "replace":
                n = min(i2 - i1, j2 - j1)
                out.extend((self.ref[i1 + k], self.hyp[j1 + k], SUB) for k in range(n))
                out.extend((self.ref[i], None, DEL) for i in range(i1 + n, i2))
                out.extend((None, self.hyp[j], INS) for j in range(j1 + n, j2))
            elif tag == "delete":
                out.extend((self.ref[i], None, DEL) for i in range(i1, i2))
            else:
                out.extend((None, self.hyp[j], INS) for j in range(j1, j2))
        return out

    def breakdown(self, ref_labels: Sequence[str], insertion_labels: Sequence[str]) -> dict[str, EditCounts]:
        """S/D/I/N per label: N, S and D count toward the reference unit's label, I toward ``insertion_labels[j]``
        of the inserted hypothesis unit j."""
        result: dict[str, EditCounts] = {}
        for label, n in Counter(ref_labels).items():
            result[label] = EditCounts(ref_units=n)

        def bucket(label: str) -> EditCounts:
            return result.setdefault(label, EditCounts())

        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                continue
            n = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(n):
                bucket(ref_labels[i1 + k]).substitutions += 1
            for i in range(i1 + n, i2):
                bucket(ref_labels[i]).deletions += 1
            for j in range(j1 + n, j2):
                bucket(insertion_labels[j]).insertions += 1
        return result

    def per_script(self) -> dict[str, EditCounts]:
        """S/D/I/N per Unicode script (docs/SAER.md): an insertion counts toward the hypothesis unit's script."""
        return self.breakdown([script_of_unit(u) for u in self.ref], [script_of_unit(u) for u in self.hyp])

    def hyp_labels_from_ref(self, ref_labels: Sequence[str], default: str) -> list[str]:
        """Give every hypothesis unit the label of the reference unit it is aligned with or follows.

        Used for labels that only the reference carries (word-level language tags): an inserted unit takes the label
        of the nearest reference unit before it (or after it, at the start); ``default`` when the reference is empty.
        """
        labels = [default] * len(self.hyp)
        for tag, i1, i2, j1, j2 in self.opcodes:
            for offset, j in enumerate(range(j1, j2)):
                i = i1 + offset if tag in ("equal", "replace") and i1 + offset < i2 else i2 - 1 if i2 > 0 else i2
                if 0 <= i < len(ref_labels):
                    labels[j] = ref_labels[i]
        return labels


def align(ref: Sequence[str], hyp: Sequence[str]) -> Alignment:
    """Align two unit sequences with a minimal number of edits (rapidfuzz Levenshtein, unit weights 1/1/1)."""
    if not ref or not hyp or ref == hyp:
        return _trivial(ref, hyp)
    blocks = Levenshtein.opcodes(ref, hyp)
    counts = EditCounts(ref_units=len(ref))
    opcodes: list[tuple[str, int, int, int, int]] = []
    for block in blocks:
        tag, i1, i2, j1, j2 = block.tag, block.src_start, block.src_end, block.dest_start, block.dest_end
        opcodes.append((tag, i1, i2, j1, j2))
        if tag == "replace":
            n = min(i2 - i1, j2 - j1)
            counts.substitutions += n
            counts.deletions += (i2 - i1) - n
            counts.insertions += (j2 - j1) - n
        elif tag == "delete":
            counts.deletions += i2 - i1
        elif tag == "insert":
            counts.insertions += j2 - j1
    return Alignment(ref, hyp, opcodes, counts)


def _trivial(ref: Sequence[str], hyp: Sequence[str]) -> Alignment:
    """Alignment when one side is empty or both are equal (no C call needed)."""
    n, m = len(ref), len(hyp)
    if ref == hyp:
        return Alignment(ref, hyp, [("equal", 0, n, 0, m)] if n else [], EditCounts(ref_units=n))
    if not hyp:
        return Alignment(ref, hyp, [("delete", 0, n, 0, 0)], EditCounts(deletions=n, ref_units=n))
    return Alignment(ref, hyp, [("insert", 0, 0, 0, m)], EditCounts(insertions=m, ref_units=0))
