"""The notebook runner's start-up: IPC kernels (no TCP warning, issue 15) and a light Papermill import."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline import notebooks


@pytest.mark.skipif(os.name != "posix", reason="IPC transport exists on POSIX only")
def test_kernels_use_ipc_each_on_its_own_socket_path():
    cls = notebooks._kernel_manager_class()
    first, second = cls(kernel_name="python3"), cls(kernel_name="python3")
    assert first.transport == second.transport == "ipc"
    assert os.path.isabs(first.ip) and os.path.isabs(second.ip)
    assert first.ip != second.ip  # two kernels at once must not share sockets


def test_runner_imports_neither_pandas_nor_pyarrow_and_pyarrow_still_imports_after():
    code = ("import sys; from pipeline.notebooks import _import_papermill; pm = _import_papermill(); "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'pyarrow.fs') if m in sys.modules)); "
            "import pyarrow.fs; print(pm.execute_notebook.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "execute_notebook"]


def test_the_notebook_command_does_not_import_pandas():
    code = ("import sys, runpy; sys.argv = ['pipeline', '--help']\n"
            "try:\n    runpy.run_module('pipeline', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
