"""The listening page of the TTS evaluation: ``exp/tts/samples.html``.

From the comparison table ``cstk evaluate-tts --table`` wrote (its rows name their folders: ground truth, copy
synthesis, resynthesis, TTS), :func:`write_samples_page` writes one self-contained HTML file: the table of numbers
(overall and per language pair, each number with its bootstrap interval below it; the paired comparisons of the
table: each system against the row it builds on, with differences, intervals and p-values) at the top, then, for a
few sentences of every language pair (``utt2lang``), the text and one ``<audio controls>`` player per system with
what the CS-ASR heard (``hyp.txt``).

Audio is linked by paths relative to the page. WAV files (what the synthesis folders hold) are linked as they are;
any other format (the real audio is FLAC under ``data/audio``) is converted to 16-bit WAV into ``<page>_audio/``
beside the page: every browser plays PCM WAV in ``<audio>``, while FLAC needs a recent one (Chrome 56+, Firefox 51+,
Safari 11+). Sentences are picked deterministically: those every system has first, then different speakers, then
by utterance id.
"""

from __future__ import annotations

import html
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cstoolkit.core.atomic import atomic_write_text
from cstoolkit.data.kaldi_dir import read_kaldi_file
from cstoolkit.errors import InputFileError
from cstoolkit.tts.eval.stats import TEST
from cstoolkit.tts.eval.table import format_interval

log = logging.getLogger(__name__)

#: metric columns of the page's tables: (row key, header, number format)
COLUMNS = [
    ("utterances", "utts", "{}"),
    ("mer", "MER", "{:.3f}"),
    ("saer", "SAER", "{:.3f}"),
    ("e_sem", "E<sub>sem</sub>", "{:.3f}"),
    ("similarity_own", "spk sim (own)", "{:.3f}"),
    ("similarity_best_other", "spk sim (best other)", "{:.3f}"),
    ("own_first", "own first (of N)", "{:.0%}"),
    ("margin", "margin", "{:+.3f}"),
    ("rtf", "RTF", "{:.3f}"),
]
#: the page reports how many of its audio files this browser can decode (loads each file's metadata); a headless
#: browser run (``chromium --headless --dump-dom``) reads the count from ``#audio-check``'s data attributes
AUDIO_CHECK = """(function(){var a=document.querySelectorAll('audio'),ok=0,bad=0,
o=document.getElementById('audio-check');
function show(){o.textContent='Audio check: '+ok+' of '+a.length+' files playable in this browser'+(bad?', '+bad+
' not':'')+'.';o.dataset.ok=ok;o.dataset.bad=bad;o.dataset.total=a.length;}
a.forEach(function(e){var t=new Audio();t.preload='metadata';t.addEventListener('loadedmetadata',function(){
if(t.duration>0){ok++;}else{bad++;}show();});t.addEventListener('error',function(){bad++;show();});
t.src=e.getAttribute('src');});show();})();"""
PAIR_KEYS = ("utterances", "mer", "saer", "e_sem", "similarity_own", "own_first", "margin")
#: figures of the paired-comparisons table
COMPARED = ("mer", "saer", "similarity_own", "own_first", "margin")
STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
.sentence{border:1px solid #ddd;border-radius:6px;padding:0.6em 1em;margin:0.8em 0}
.text{font-size:1.15em;margin:0.2em 0 0.5em}.meta{color:#777;font-size:0.85em}.hyp{color:#555;font-size:0.9em}
audio{height:2.2em;vertical-align:middle}.ci,.p,.note{color:#777;font-size:0.8em}"""


@dataclass
class System:
    """One row of the comparison table and the files of its folder."""

    row: dict[str, Any]
    folder: Path
    wavs: dict[str, str]
    texts: dict[str, str]
    hyps: dict[str, str]
    utt2lang: dict[str, str]
    utt2spk: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.row.get("system") or self.folder.name)


def _table(folder: Path, name: str) -> dict[str, str]:
    path = folder / name
    return read_kaldi_file(path, allow_empty_value=True) if path.is_file() else {}


def read_systems(table_json: str | Path) -> list[System]:
    """The systems of a comparison table (``cstk evaluate-tts --table``) with their folders' tables."""
    table_json = Path(table_json)
    try:
        rows = json.loads(table_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        why = f"not readable ({type(err).__name__}): run cstk evaluate-tts --table"
        raise InputFileError(table_json, why) from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InputFileError(table_json, "not a comparison table (a JSON list of rows): run cstk evaluate-tts --table")
    systems = []
    for i, row in enumerate(rows):
        if not row.get("folder"):
            raise InputFileError(
                table_json,
                f"row {i + 1} ({row.get('system')}) names no folder: written by an "
                f"older cstk evaluate-tts, run it again",
            )
        folder = Path(row["folder"])
        if not (folder / "wav.scp").is_file():
            raise InputFileError(folder / "wav.scp", f"missing: the folder of {row.get('system')} has no audio list")
        tables = [_table(folder, name) for name in ("wav.scp", "text", "hyp.txt", "utt2lang", "utt2spk")]
        systems.append(System(row, folder, *tables))
    return systems


def pick_sentences(systems: list[System], per_pair: int) -> dict[str, list[str]]:
    """Up to ``per_pair`` utterance ids per language pair: those most systems have audio of first, then ones of
    speakers not picked yet, then by id."""
    utt2lang: dict[str, str] = {}
    utt2spk: dict[str, str] = {}
    for s in reversed(systems):  # the first system's tables win
        utt2lang.update(s.utt2lang)
        utt2spk.update(s.utt2spk)
    have: dict[str, int] = {}
    for s in systems:
        for utt in s.wavs:
            have[utt] = have.get(utt, 0) + 1
    by_pair: dict[str, list[str]] = {}
    for utt in sorted(have, key=lambda u: (-have[u], u)):
        by_pair.setdefault(utt2lang.get(utt, "unknown"), []).append(utt)
    out: dict[str, list[str]] = {}
    for pair, utts in sorted(by_pair.items()):
        best = have[utts[0]]
        pool = [u for u in utts if have[u] == best]
        picked: list[str] = []
        for utt in pool:  # a new speaker first
            if len(picked) < per_pair and utt2spk.get(utt) not in {utt2spk.get(p) for p in picked}:
                picked.append(utt)
        for utt in [*pool, *utts]:
            if len(picked) < per_pair and utt not in picked:
                picked.append(utt)
        out[pair] = picked
    return out


def audio_link(path: str, system: str, utt: str, page: Path, audio_dir: Path) -> str | None:
    """The relative link from ``page`` to the audio of ``utt``: WAV as it is, anything else converted to WAV into
    ``audio_dir/<system>/``. None (logged) when the audio is not a readable file."""
    from cstoolkit.data.audio import load_audio, write_audio

    src = Path(path)
    if path.rstrip().endswith("|") or not src.is_file():
        log.warning("%s: %s: audio %r is not a file: no player on the page", system, utt, path)
        return None
    target = src.resolve()
    if src.suffix.lower() != ".wav":
        target = audio_dir / system / f"{utt}.wav"
        if not target.is_file() or target.stat().st_mtime < src.stat().st_mtime:
            try:
                wave, rate = load_audio(src)
            except Exception as err:
                log.warning("%s: %s: %s unreadable (%s): no player on the page", system, utt, src, err)
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            write_audio(target, wave, rate, "wav")
        target = target.resolve()
    return quote(os.path.relpath(target, page.parent.resolve()).replace(os.sep, "/"))


def _num(value: Any, fmt: str) -> str:
    if value is None:
        return "&ndash;"
    return html.escape(fmt.format(value)) if isinstance(value, int | float) else html.escape(str(value))


def _figure(group: dict[str, Any], key: str, fmt: str) -> str:
    """A number with its interval below it (``group["ci"][key]``) when it has one."""
    bounds = format_interval((group.get("ci") or {}).get(key), fmt)
    text = _num(group.get(key), fmt)
    return f'{text}<br><span class="ci">{html.escape(bounds)}</span>' if bounds and group.get(key) is not None else text


def _speakers(systems: list[System]) -> int | None:
    """N, the speakers each output's own speaker is ranked among, when every row of the table has the same."""
    found = {s.row.get("speakers") for s in systems}
    return found.pop() if len(found) == 1 else None


def _headers(systems: list[System]) -> dict[str, tuple[str, str]]:
    """Row key -> (header, number format) of :data:`COLUMNS`, N of "own first (of N)" filled in when every row has
    the same (else each cell says its N)."""
    out = {key: (header, fmt) for key, header, fmt in COLUMNS}
    n = _speakers(systems)
    if n is not None:
        out["own_first"] = (f"own first (of {n})", out["own_first"][1])
    return out


def _cell(group: dict[str, Any], key: str, fmt: str, n_each: bool) -> str:
    """:func:`_figure` in a table cell; the own-first share with its N when the header has none."""
    text = _figure(group, key, fmt)
    if key == "own_first" and n_each and group.get("speakers") is not None and group.get(key) is not None:
        text += f'<br><span class="note">of {_num(group["speakers"], "{}")}</span>'
    return f'<td class="num">{text}</td>'


def _intervals_note(systems: list[System]) -> str:
    """What the brackets are: level, resamples, seed of the first interval of the table."""
    first = next((i for s in systems for i in (s.row.get("ci") or {}).values() if isinstance(i, dict)), None)
    if first is None:
        return ""
    return (
        f'<p class="note">Below each number: its {first["level"] * 100:g}% percentile-bootstrap interval over '
        f"utterances ({first['resamples']} resamples, seed {first['seed']}).</p>"
    )


def _comparisons(systems: list[System]) -> list[str]:
    """The paired comparisons: B - A of each figure, its interval and p-value, B the row and A the one it is
    compared with."""
    found = [(s, c) for s in systems for c in s.row.get("comparisons") or []]
    if not found:
        return []
    headers = _headers(systems)
    head = "".join(f"<th>&Delta; {headers[k][0]}</th>" for k, _, _ in COLUMNS if k in COMPARED)
    lines = [
        "<h3>Paired comparisons</h3>",
        "<p>Each system against the row it builds on, over the utterances both have: the difference (system "
        f"&minus; compared with), its interval, and the p-value of a {html.escape(TEST)}: how often chance alone "
        "would give a difference at least this large if the two were equally good.</p>",
        '<table class="comparisons">',
        f"<tr><th>system</th><th>compared with</th><th>utts</th>{head}</tr>",
    ]
    for s, c in found:
        cells = []
        for key, _, fmt in COLUMNS:
            if key not in COMPARED:
                continue
            diff = c.get("differences", {}).get(key)
            if diff is None:
                cells.append('<td class="num">&ndash;</td>')
                continue
            signed = fmt if "{:+" in fmt else fmt.replace("{:", "{:+")
            bounds = format_interval(diff.get("ci"), fmt) or ""
            cells.append(
                f'<td class="num">{_num(diff.get("delta"), signed)}<br><span class="ci">{html.escape(bounds)}</span>'
                f'<br><span class="p">p = {_num(diff.get("p_value"), "{:.3f}")}</span></td>'
            )
        vs = html.escape(str(c.get("vs")))
        lines.append(
            f'<tr><td>{html.escape(s.name)}</td><td>{vs}</td><td class="num">{_num(c.get("utterances"), "{}")}</td>'
            + "".join(cells)
            + "</tr>"
        )
    lines.append("</table>")
    return lines


def _numbers(systems: list[System]) -> list[str]:
    """The overall table (numbers with their intervals), the paired comparisons and the per-language-pair table."""
    esc = html.escape
    fmt = _headers(systems)
    n_each = _speakers(systems) is None
    head = "".join(f"<th>{fmt[k][0]}</th>" for k, _, _ in COLUMNS)
    lines = ["<h2>Numbers</h2>", '<table class="overall">', f"<tr><th>system</th><th>kind</th>{head}</tr>"]
    for s in systems:
        cells = "".join(_cell(s.row, k, f, n_each) for k, _, f in COLUMNS)
        lines.append(f"<tr><td>{esc(s.name)}</td><td>{esc(str(s.row.get('kind') or ''))}</td>{cells}</tr>")
    lines.append("</table>")
    lines += [note for note in [_intervals_note(systems)] if note]
    lines += _comparisons(systems)
    pairs = sorted({p for s in systems for p in s.row.get("per_tag", {})})
    if pairs:
        head = "".join(f"<th>{fmt[k][0]}</th>" for k in PAIR_KEYS)
        lines += [
            "<h3>Per language pair</h3>",
            '<table class="per-pair">',
            f"<tr><th>pair</th><th>system</th>{head}</tr>",
        ]
        for pair in pairs:
            for s in systems:
                group = s.row.get("per_tag", {}).get(pair)
                if group is None:
                    continue
                cells = "".join(_cell(group, k, fmt[k][1], n_each) for k in PAIR_KEYS)
                lines.append(f"<tr><td>{esc(pair)}</td><td>{esc(s.name)}</td>{cells}</tr>")
        lines.append("</table>")
    return lines


def write_samples_page(table_json: str | Path, out_html: str | Path, per_pair: int = 2, title: str | None = None):
    """Write the listening page ``out_html`` (see the module doc); returns ``{pair: [utt, ...]}`` of the sentences
    on it."""
    systems = read_systems(table_json)
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    audio_dir = out_html.with_name(f"{out_html.stem}_audio")
    picked = pick_sentences(systems, per_pair)
    esc = html.escape
    title = title or "Code-switched TTS: listening samples"
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        "<p>Systems: "
        + "; ".join(f"<b>{esc(s.name)}</b> ({esc(str(s.row.get('kind') or ''))})" for s in systems)
        + ". Each sentence is spoken in the voice of its own test "
        "speaker; below each player, what the CS-ASR heard. MER: mixed error rate of the CS-ASR transcripts; "
        "SAER: semantic-aware error rate; spk sim: speaker-embedding cosine to the real audio of the own speaker "
        "and of the best other speaker; own first (of N): the share of outputs whose own speaker ranks first among "
        "the N speakers of the reference data (top-1 of N); margin: own minus best other cosine.</p>",
    ]
    lines.append('<p id="audio-check" data-ok="0" data-bad="0">Audio check: not run (needs JavaScript).</p>')
    lines += _numbers(systems)
    lines.append("<h2>Samples</h2>")
    for pair, utts in picked.items():
        lines.append(f'<section class="pair" id="{esc(quote(pair), quote=True)}"><h3>{esc(pair)}</h3>')
        for utt in utts:
            text = next((s.texts[utt] for s in systems if utt in s.texts), "")
            speaker = next((s.utt2spk[utt] for s in systems if utt in s.utt2spk), "")
            lines += [
                '<div class="sentence">',
                f'<div class="text">{esc(text)}</div>',
                f'<div class="meta">{esc(utt)}' + (f" &middot; speaker {esc(speaker)}" if speaker else "") + "</div>",
                '<table class="players">',
            ]
            for s in systems:
                link = audio_link(s.wavs[utt], s.name, utt, out_html, audio_dir) if utt in s.wavs else None
                player = (
                    f'<audio controls preload="none" src="{esc(link, quote=True)}"></audio>'
                    if link
                    else '<span class="missing">(no audio)</span>'
                )
                hyp = f"CS-ASR: {esc(s.hyps[utt])}" if utt in s.hyps else ""
                lines.append(f'<tr><th>{esc(s.name)}</th><td>{player}</td><td class="hyp">{hyp}</td></tr>')
            lines += ["</table>", "</div>"]
        lines.append("</section>")
    lines += [f"<script>{AUDIO_CHECK}</script>", "</body>", "</html>"]
    atomic_write_text(out_html, "\n".join(lines) + "\n")
    log.info(
        "%s: %d sentences of %d language pairs, %d systems",
        out_html,
        sum(map(len, picked.values())),
        len(picked),
        len(systems),
    )
    return picked
