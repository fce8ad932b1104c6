"""analyze / slices / simulate as dicts: the CLI's --json output, parsed.

These verbs' reports are assembled by the command line (src/cli/cmd_*.cc);
running the CLI bundled in the package with --json gives exactly its fields,
and stays in step as those verbs grow, without a second copy of each report
in the bindings.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from ._core import TensorpressError

PathLike = Union[str, "os.PathLike[str]"]


class CliError(TensorpressError):
    """The tensorpress CLI failed; ``exit_code`` is its status (1 bad request,
    2 bad input file, 3 internal error) and str() its one-line message."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def cli_path() -> str:
    """The tensorpress executable: $TENSORPRESS_CLI, the one installed in the
    package, or the first on PATH."""
    env = os.environ.get("TENSORPRESS_CLI")
    if env:
        return env
    bundled = os.path.join(os.path.dirname(__file__), "bin", "tensorpress")
    if os.path.isfile(bundled):
        return bundled
    found = shutil.which("tensorpress")
    if found:
        return found
    raise TensorpressError("the tensorpress CLI is not installed with the package (set TENSORPRESS_CLI)")


def run_cli(*args: Any, check: bool = True) -> subprocess.CompletedProcess:
    """Runs ``tensorpress ARGS...`` and returns the completed process (text
    stdout/stderr). With ``check``, a non-zero exit raises :class:`CliError`."""
    argv = [cli_path()] + [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if check and proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        message = lines[-1] if lines else f"exit status {proc.returncode}"
        prefix = "tensorpress: error: "
        if message.startswith(prefix):
            message = message[len(prefix):]
        raise CliError(message, proc.returncode)
    return proc


def _json(*args: Any) -> Dict[str, Any]:
    proc = run_cli(*args, "--json")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise TensorpressError(f"tensorpress {args[0]} --json printed no JSON ({e})") from None


def _options(**kwargs: Any) -> List[str]:
    """keyword=value -> ['--keyword', 'value']; True -> flag; lists repeat."""
    out: List[str] = []
    for key, value in kwargs.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                out += [flag, str(v)]
        else:
            out += [flag, str(value)]
    return out


def analyze(
    path: PathLike, *, tensor: Optional[Sequence[str]] = None, codec: Optional[Sequence[str]] = None,
    quantize: Optional[str] = None, activations: bool = False, **options: Any,
) -> Dict[str, Any]:
    """``tensorpress analyze PATH --json``: per-tensor statistics and coded
    sizes of every codec. Options as the CLI's (tensor/codec globs repeat;
    ranges=, precision=, chunk=, astc=True, astc_blocks=, ...)."""
    return _json("analyze", path, *_options(tensor=tensor, codec=codec, quantize=quantize,
                                            activations=activations, **options))


def slices(model: PathLike, activations: PathLike, **options: Any) -> Dict[str, Any]:
    """``tensorpress slices MODEL --activations ACTS --json``: Panacea/Sibia
    bit-slice sparsity of every layer with activations (weight_bits=,
    dbs_target=, calibration=, verify=True, ...)."""
    return _json("slices", model, "--activations", activations, *_options(**options))


def simulate(model: PathLike, activations: Optional[PathLike] = None, *,
             arch: Optional[Union[str, Iterable[str]]] = None, **options: Any) -> Dict[str, Any]:
    """``tensorpress simulate MODEL --json``: the accelerator cost model per
    layer and architecture (activations= measured inputs, tokens=, arch=
    'sa-ws,panacea' or a list, config=, atalanta=True, ...)."""
    if arch is not None and not isinstance(arch, str):
        arch = ",".join(arch)
    extra = ["--activations", activations] if activations is not None else []
    return _json("simulate", model, *extra, *_options(arch=arch, **options))
