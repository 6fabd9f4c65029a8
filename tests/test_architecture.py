"""The floor plan of the package, checked: which room may import which, no private names across rooms, inference
never pulls in a training stage, no file over the size a reader can hold in mind (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cstoolkit"
#: rooms in import order: a room imports only from rooms of a lower rank (and from itself)
RANK = {
    "core": 0,
    "text": 1,
    "data": 2,
    "metrics": 3,
    "train": 4,
    "asr": 5,
    "tokenizer": 6,
    "tts": 7,
    "cli": 8,
}
#: the package's top-level modules belong to ``core``
TOP_LEVEL_CORE = {"errors", "config", "progress", "lazy"}
#: the training stages (what a model's ``cstk train-*`` runs) and the modules that synthesise, decode or judge
TRAINING = {"cstoolkit.asr.train", "cstoolkit.tokenizer.train", "cstoolkit.tts.flow.train", "cstoolkit.tts.t2s.train"}
INFERENCE = (
    "cstoolkit.asr.inference",
    "cstoolkit.asr.decode",
    "cstoolkit.asr.whisper",
    "cstoolkit.asr.robustness",
    "cstoolkit.tokenizer.extract",
    "cstoolkit.tokenizer.decode",
    "cstoolkit.tokenizer.report",
    "cstoolkit.tts.api",
    "cstoolkit.tts.speak_dir",
    "cstoolkit.tts.frontend",
    "cstoolkit.tts.flow.synthesis",
    "cstoolkit.tts.t2s.infer",
    "cstoolkit.tts.t2s.align",
    "cstoolkit.tts.eval.evaluate",
    "cstoolkit.tts.eval.samples",
)
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports_of(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``(module, imported names)`` of every import statement of ``name`` (module level or inside functions)."""
    path = modules()[name]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base) if node.level else node.module or ""
            found.append((target, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found += [(a.name, ()) for a in node.names]
    return tuple((t, n) for t, n in found if t.startswith("cstoolkit"))


def room(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return ""
    return "core" if parts[1] in TOP_LEVEL_CORE else parts[1]


def resolve(target: str, names: tuple[str, ...]) -> list[str]:
    """The modules an import statement loads: ``from pkg import mod`` names a module, else the package itself."""
    out = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules()]
    return out or ([target] if target in modules() else [])


def test_every_room_has_a_rank() -> None:
    rooms = {room(n) for n in modules() if n != "cstoolkit"}
    assert rooms <= set(RANK), f"rooms without a rank: {sorted(rooms - set(RANK))}"


def test_rooms_import_only_lower_rooms() -> None:
    wrong = []
    for name in modules():
        if name == "cstoolkit":  # the package's facade re-exports the public API lazily
            continue
        for target, _ in imports_of(name):
            here, there = room(name), room(target)
            if there and here != there and RANK[there] >= RANK[here]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, "imports against the floor plan:\n" + "\n".join(wrong)


def test_no_private_name_crosses_a_room() -> None:
    wrong = [
        f"{name} imports {n} from {target}"
        for name in modules()
        for target, names in imports_of(name)
        for n in names
        if n.startswith("_") and not n.startswith("__") and room(target) != room(name)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("start", INFERENCE)
def test_inference_never_loads_a_training_stage(start: str) -> None:
    seen, todo, parent = {start}, [start], {start: ""}
    while todo:
        name = todo.pop()
        for target, names in imports_of(name):
            for mod in resolve(target, names):
                if mod not in seen:
                    seen.add(mod)
                    parent[mod] = name
                    todo.append(mod)
    reached = sorted(seen & TRAINING)
    chains = []
    for mod in reached:
        chain = [mod]
        while parent[chain[-1]]:
            chain.append(parent[chain[-1]])
        chains.append(" <- ".join(chain))
    assert not reached, "\n".join(chains)


def test_no_file_over_the_limit() -> None:
    long = {n: len(p.read_text().splitlines()) for n, p in modules().items()}
    assert not {n: k for n, k in long.items() if k > MAX_LINES}, sorted(long.items(), key=lambda x: -x[1])[:5]
