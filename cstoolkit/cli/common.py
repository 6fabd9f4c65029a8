"""Shared CLI plumbing: turn user errors into one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable

from cstoolkit.core.runtime import set_torch_threads
from cstoolkit.errors import CstkError


def run_main(body: Callable[[], int | None], prog: str) -> int:
    """Run a CLI body; a :class:`CstkError` or an OS error on a file becomes ``prog: message`` and exit code 2."""
    try:
        return body() or 0
    except CstkError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # `saer ... | head`: the reader left; stop quietly, as a killed-by-SIGPIPE tool would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:  # a path the user named: missing, a directory, not writable, a file where a folder should be
        where = f"{err.filename}: " if err.filename else ""
        print(f"{prog}: error: {where}{(err.strerror or str(err)).lower()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def setup_logging(verbose: bool = False) -> None:
    """Log ``time level name: message`` lines to stderr; a DDP process other than rank 0 (``RANK`` from torchrun,
    ``SLURM_PROCID`` from srun, ``LOCAL_RANK`` from Lightning's own launcher) starts its lines with ``[rank N]``."""
    env = os.environ
    rank = env.get("RANK", env.get("SLURM_PROCID", env.get("LOCAL_RANK", "0")))
    tag = f"[rank {rank}] " if rank != "0" else ""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format=f"%(asctime)s %(levelname)s {tag}%(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def check_non_negative(option: str, value: float | None) -> None:
    """CstkError (one line) unless ``value`` is None (not given) or a finite number of at least 0."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise CstkError(f"{option} must be a number of at least 0, got {value}")


def add_dir_pairs(parser: argparse.ArgumentParser, data_help: str, out_help: str, required: bool = True) -> None:
    """``--data-dir`` and ``--out-dir``, repeatable in pairs: one command (one model load) serves several data
    directories, e.g. ``--data-dir data/test --out-dir X --data-dir data/test_novel --out-dir Y``."""
    parser.add_argument("--data-dir", action="append", required=required, help=f"{data_help} (repeatable)")
    parser.add_argument("--out-dir", action="append", required=required, help=f"{out_help} (one per --data-dir)")


def dir_pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The ``(data_dir, out_dir)`` pairs of :func:`add_dir_pairs` options; CstkError when the counts differ or an
    output folder is named twice."""
    data, out = args.data_dir or [], args.out_dir or []
    if len(data) != len(out):
        raise CstkError(f"--data-dir and --out-dir go in pairs: {len(data)} --data-dir, {len(out)} --out-dir")
    if len({os.path.realpath(path) for path in out}) != len(out):
        raise CstkError("each --out-dir must be a different folder")
    return list(zip(data, out, strict=True))


def open_decoder(model_dir: str, device: str, cfg, overrides: list[str], kind: str = "asr", out_dirs=()):
    """What ``decode-asr``, ``decode-tokenizer`` and ``robustness`` share before decoding: check the trainer and the
    decoding settings (the model's own, ``overrides`` on top), clear every folder of ``out_dirs``, set the thread
    environment before torch is imported, then load the model (``kind``: a CS-ASR or a speech tokenizer directory,
    decoded through its quantizer). Returns ``(bundle, decode_cfg)``."""
    from cstoolkit.asr.checks import decode_config, prepare_out_dir, read_model_config
    from cstoolkit.train.checks import check_trainer_config

    check_trainer_config(cfg.trainer, training=False)
    if kind == "tokenizer":
        from cstoolkit.tokenizer.checks import read_tokenizer_config as read_config
    else:
        read_config = read_model_config
    decode_cfg = decode_config(read_config(model_dir), cfg, overrides)
    for out_dir in out_dirs:
        prepare_out_dir(out_dir)

    if kind == "tokenizer":
        from cstoolkit.tokenizer.decode import load_as_asr as load
    else:
        from cstoolkit.asr.inference import load_asr as load
    set_torch_threads(int(cfg.trainer.num_threads))
    return load(model_dir, device), decode_cfg


def decode_and_score(args: argparse.Namespace, kind: str, label: str) -> int:
    """``decode-asr`` and ``decode-tokenizer``: decode every ``--data-dir``/``--out-dir`` pair with one loaded model
    (``kind`` as :func:`open_decoder`) and, with ``--score``, score each with SAER (report titled ``label`` + the
    output folder's name)."""
    from pathlib import Path

    from cstoolkit.config import load_config

    pairs = dir_pairs(args)
    cfg = load_config(args.overrides)
    if args.score:
        from cstoolkit.asr.score import check_metric_config

        check_metric_config(cfg.metric)  # a bad scoring setting fails before the decoding, not after
    bundle, decode_cfg = open_decoder(args.model_dir, args.device, cfg, args.overrides, kind, [o for _, o in pairs])
    from cstoolkit.asr.inference import decode_dir

    for data_dir, out_dir in pairs:
        decode_dir(bundle, data_dir, out_dir, args.method or decode_cfg.method, decode_cfg)
        if args.score:
            from cstoolkit.asr.score import score_decoding

            score_decoding(data_dir, out_dir, cfg.metric, f"{label} {Path(out_dir).name}")
    return 0


def read_prompt_audio(path: str):
    """``(samples, sample_rate)`` of a voice prompt file; InputFileError naming it when it cannot be read."""
    from cstoolkit.data.audio import load_audio
    from cstoolkit.errors import CstkError, InputFileError

    try:
        return load_audio(path)
    except CstkError:
        raise
    except Exception as err:
        raise InputFileError(path, f"cannot read the voice prompt: {err}") from None
