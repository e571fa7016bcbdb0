"""Running the analysis notebooks with Papermill, and the few calls they make.

A notebook only loads parameters, calls ``pipeline`` functions and shows
results (STYLE.md). ``run_notebook`` executes one into
``data/processed/<id>/notebooks/`` and turns a failing cell into an error that
names the notebook and the cell; it checks Papermill's recorded exception in
the executed notebook, not only the exit status.

The process that runs a notebook imports only Papermill and the stage
registry (pandas and the analyses load in the kernel, where the work is), and
talks to its kernel over Unix-domain sockets: see ``_kernel_manager_class``.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.paths import NOTEBOOK_DIR, PROJ_ROOT, processed_dir
from pipeline.stages import STAGES, Stage

if TYPE_CHECKING:  # pandas and params load lazily: the notebook runner needs neither
    import pandas as pd

    from pipeline.params import Params


class NotebookFailed(RuntimeError):
    """A notebook cell raised; the message names the notebook and the cell."""


def _write_json(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------ inside a notebook


def start(review_id: str, stage_name: str):
    """Open the validated review (only the tables this stage declares) and its output folder."""
    from pipeline.params import params
    from pipeline.snapshot import open_review

    stage = STAGES[stage_name]
    review = open_review(review_id, tables=list(stage.tables))
    out = processed_dir(review_id)
    if stage.has_figures:
        (out / stage.figure_dir).mkdir(parents=True, exist_ok=True)
    return review, params(), out


def run_stage(review, prm: Params, out: Path, stage_name: str) -> dict:
    """Call each module's ``write_outputs`` for the stage; record what ran or why it was skipped.

    A module that returns no paths skipped itself because a table it needs is
    absent; its declared tables are then written with one column,
    ``skipped_reason``, so that the stage's outputs always exist and the report
    can say what was not analysed and why.
    """
    import pandas as pd

    stage = STAGES[stage_name]
    fig_dir = out / stage.figure_dir
    status = {"stage": stage.name, "review_id": review.review_id, "modules": {}}
    for name in stage.modules:
        module = importlib.import_module(f"pipeline.{name}")
        written = module.write_outputs(review, prm, out, fig_dir=fig_dir)
        missing = [t for t in getattr(module, "NEEDS", stage.tables) if review.table(t) is None]
        status["modules"][name] = {
            "ran": bool(written),
            "skipped_reason": None if written else
            f"the review has no {', '.join(missing) or 'usable data'} table",
            "outputs": sorted(str(Path(p).relative_to(out)) for p in written),
        }
    for csv_name in stage.outputs:
        path = out / csv_name
        if not path.exists():
            reasons = [m["skipped_reason"] for m in status["modules"].values() if m["skipped_reason"]]
            pd.DataFrame({"skipped_reason": [reasons[0] if reasons else "not produced"]}).to_csv(
                path, index=False, lineterminator="\n")
    status["ran"] = any(m["ran"] for m in status["modules"].values())
    _write_json(out / stage.status_file, status)
    return status


def show(out: Path, csv_name: str, n: int = 40) -> pd.DataFrame:
    """A published table, for display in the notebook."""
    import pandas as pd

    return pd.read_csv(out / csv_name).head(n)


# ------------------------------------------------------------------ running notebooks


def _kernel_manager_class():
    """The kernel manager Papermill starts each kernel with: IPC transport where the OS has it.

    By default jupyter_client connects to a kernel over TCP on 127.0.0.1, and
    ipykernel then logs "Kernel is running over TCP without encryption ...
    susceptible to eavesdropping" (issue 15). Its advice is followed here: on
    POSIX systems the kernel's five channels are Unix-domain sockets
    (``transport = "ipc"``), which never touch the network and which only this
    user can open, so the warning is neither true nor printed. Each kernel gets
    its own socket path in Jupyter's runtime folder (jupyter_client's default,
    a relative ``kernel-ipc``, would be shared by kernels running at the same
    time); jupyter_client removes the sockets when the kernel shuts down.
    Windows has no IPC transport: there the kernel stays on the loopback interface.
    """
    from jupyter_client.manager import AsyncKernelManager

    if os.name != "posix":
        return AsyncKernelManager
    import tempfile
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir
    from jupyter_core.utils import ensure_dir_exists
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            folder = jupyter_runtime_dir()
            if len(folder) > 80:  # a Unix socket path has at most 107 bytes
                folder = tempfile.gettempdir()
            ensure_dir_exists(folder, 0o700)
            return os.path.join(folder, f"cp-kernel-{uuid.uuid4().hex[:12]}")

        def format_kernel_cmd(self, extra_arguments=None):
            # At shutdown ipykernel logs "KeyboardInterrupt caught in kernel" at ERROR level, an
            # alarming line that is not an error; cell errors still reach the runner as outputs.
            cmd = super().format_kernel_cmd(extra_arguments)
            return [*cmd, "--IPKernelApp.log_level=CRITICAL"]

    return IpcKernelManager


def _import_papermill():
    """Papermill, imported without its optional HDFS support.

    ``papermill.iorw`` tries ``from pyarrow.fs import HadoopFileSystem`` for
    ``hdfs://`` paths, which we never use; that one import loads pyarrow and
    numpy and costs about half of the runner's start-up, in every notebook
    stage. While Papermill loads, ``pyarrow.fs`` is marked absent (a ``None``
    entry in ``sys.modules`` makes the import fail, and Papermill falls back to
    "install pyarrow for hdfs"); the mark is then removed, so pyarrow itself
    still imports normally afterwards. Nothing changes when pyarrow is already loaded.
    """
    import sys

    if "papermill.iorw" in sys.modules or "pyarrow.fs" in sys.modules:
        import papermill
        return papermill
    sys.modules["pyarrow.fs"] = None
    try:
        import papermill
    finally:
        if sys.modules.get("pyarrow.fs", 0) is None:
            del sys.modules["pyarrow.fs"]
    return papermill


def run_notebook(stage_name: str, review_id: str) -> Path:
    """Execute one stage's notebook with Papermill for a review; raise NotebookFailed on a failing cell."""
    pm = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    stage: Stage = STAGES[stage_name]
    source = NOTEBOOK_DIR / f"{stage.name}.ipynb"
    out_dir = processed_dir(review_id) / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.name
    tmp = out_dir / f".running.{source.name}"
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        pm.execute_notebook(
            str(source), str(tmp), parameters={"review_id": review_id}, kernel_name="python3",
            cwd=str(PROJ_ROOT), progress_bar=False, log_output=False, report_mode=False,
            request_save_on_cell_execute=False,  # one save when done (and on a failure), not one per cell
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as exc:
        shutil.move(tmp, out_dir / f"{source.stem}.failed.ipynb") if tmp.exists() else None
        raise NotebookFailed(
            f"notebook {source.name} failed for review {review_id!r} in cell "
            f"{exc.cell_index} (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}") from None
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    executed = json.loads(tmp.read_text(encoding="utf-8"))
    if executed.get("metadata", {}).get("papermill", {}).get("exception"):
        raise NotebookFailed(f"notebook {source.name} recorded an exception for review {review_id!r}")
    for index, cell in enumerate(executed.get("cells", [])):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise NotebookFailed(f"notebook {source.name} cell {index}: {output.get('ename')}: "
                                     f"{output.get('evalue')}")
    tmp.replace(target)
    return target
