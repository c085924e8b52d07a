"""aelab.lab_server: the Jupyter server settings for fast widgets parse as jupyter_server reads them."""

from __future__ import annotations

import shlex
from pathlib import Path
import subprocess
import sys

from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
import numpy as np
from traitlets.config.loader import KVArgParseConfigLoader

from aelab import lab_server


def _config_from(flags):
    return KVArgParseConfigLoader(list(flags), classes=[ServerApp, MappingKernelManager]).load_config()


def test_flags_set_nodelay_connection_and_untrack_widget_messages():
    config = _config_from(lab_server.SERVER_FLAGS)
    assert (config.ServerApp.kernel_websocket_connection_class
            == "aelab.lab_server.NoDelayKernelWebsocketConnection")
    untracked = list(config.MappingKernelManager.untracked_message_types)
    default = list(MappingKernelManager().untracked_message_types)
    assert "comm_msg" in untracked and "comm_msg" not in default
    assert untracked[:len(default)] == default, "the server's own untracked types are kept"
    # cell executions still show the kernel busy
    assert "execute_request" not in untracked and "execute_reply" not in untracked


def test_the_connection_class_is_importable_by_name():
    module, _, name = lab_server.SERVER_FLAG.split("=", 1)[1].rpartition(".")
    cls = getattr(__import__(module, fromlist=[name]), name)
    assert cls is lab_server.NoDelayKernelWebsocketConnection


def test_module_prints_the_flags_as_make_lab_passes_them():
    """`make lab` passes `$(python -m aelab.lab_server)` unquoted: the shell splits it at spaces."""
    out = subprocess.run(["bash", "-c", f'printf "%s\\n" $({shlex.quote(sys.executable)} -m aelab.lab_server)'],
                         capture_output=True, text=True, check=True).stdout
    assert tuple(out.splitlines()) == lab_server.SERVER_FLAGS


def test_json_config_holds_the_same_settings(tmp_path):
    import json

    from traitlets.config.loader import JSONFileConfigLoader

    out = subprocess.run([sys.executable, "-m", "aelab.lab_server", "--json"], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out) == lab_server.server_config()
    (tmp_path / "jupyter_server_config.json").write_text(out)
    from_file = JSONFileConfigLoader("jupyter_server_config.json", path=str(tmp_path)).load_config()
    from_flags = _config_from(lab_server.SERVER_FLAGS)
    for section, name in (("ServerApp", "kernel_websocket_connection_class"),
                          ("MappingKernelManager", "untracked_message_types")):
        assert list(np.atleast_1d(from_file[section][name])) == list(np.atleast_1d(from_flags[section][name]))


def test_binder_postbuild_writes_the_json_config():
    postbuild = (Path(__file__).resolve().parent.parent / "postBuild").read_text()
    assert "python -m aelab.lab_server --json > \"$HOME/.jupyter/jupyter_server_config.json\"" in postbuild


def test_binder_postbuild_applies_the_course_settings_and_working_copy_as_make_lab():
    postbuild = (Path(__file__).resolve().parent.parent / "postBuild").read_text()
    assert "python -m aelab.lab_server --install-settings" in postbuild
    assert "python -m aelab.workspace" in postbuild
