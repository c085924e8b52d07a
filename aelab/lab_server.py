"""Jupyter server settings that make the aelab widgets feel instant.

Two settings, both measured with ``benchmarks/browser_latency.py`` (see its ``--nagle`` and
``--track-comm`` options):

1. jupyter_server leaves Nagle's algorithm on for the kernel websocket. A slider event makes the
   kernel send several small messages back (the value echo, the new image, the idle status);
   with Nagle on, the later ones wait for the browser's delayed TCP acknowledgement, which adds
   tens of milliseconds to every slider step. :class:`NoDelayKernelWebsocketConnection` turns
   TCP_NODELAY on for each kernel websocket.

2. The kernel reports itself busy, then idle, around every message it handles, including each
   widget update. JupyterLab answers every such pair by redrawing its kernel status indicators
   and swapping the page's favicon (busy/idle icons the browser loads), about as much browser
   work as the slider event itself, on the same main thread that must draw the new digit. With
   ``comm_msg`` in ``MappingKernelManager.untracked_message_types`` (JupyterLab takes the list
   from the server), the status messages of widget events no longer count as kernel activity:
   the widgets still get them (ipywidgets waits for "idle" before sending the next update), but
   the indicators stay as they are. Cell executions show busy/idle as always. The trade-offs: a
   widget callback that runs for a long time does not show the kernel as busy, and widget
   traffic alone does not count as activity for an idle-kernel culler (none is on by default).

Use them with::

    jupyter lab $(python -m aelab.lab_server)

``make lab`` passes them, as do the browser tests and benchmarks; Binder's ``postBuild`` writes
them into ``~/.jupyter/jupyter_server_config.json`` (``python -m aelab.lab_server --json``).
Imported only by the Jupyter server and the tools that start one, never by ``import aelab``.
"""

from __future__ import annotations

import shlex

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

__all__ = ["NoDelayKernelWebsocketConnection", "SERVER_FLAG", "UNTRACKED_FLAGS", "SERVER_FLAGS",
           "untracked_message_types", "server_config"]


class NoDelayKernelWebsocketConnection(ZMQChannelsWebsocketConnection):
    """The default kernel websocket connection, with TCP_NODELAY set on the websocket."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()


def untracked_message_types() -> list[str]:
    """jupyter_server's default untracked message types plus ``comm_msg`` (widget traffic)."""
    default = list(MappingKernelManager.class_traits()["untracked_message_types"].default())
    return default + [t for t in ("comm_msg",) if t not in default]


SERVER_FLAG = ("--ServerApp.kernel_websocket_connection_class="
               "aelab.lab_server.NoDelayKernelWebsocketConnection")
# A list option on the command line: one flag per item, together replacing the default list.
UNTRACKED_FLAGS = tuple(f"--MappingKernelManager.untracked_message_types={t}"
                        for t in untracked_message_types())
SERVER_FLAGS = (SERVER_FLAG, *UNTRACKED_FLAGS)


def server_config() -> dict:
    """The same settings as a Jupyter config dict, for ``jupyter_server_config.json``."""
    return {"ServerApp": {"kernel_websocket_connection_class": SERVER_FLAG.split("=", 1)[1]},
            "MappingKernelManager": {"untracked_message_types": untracked_message_types()}}


if __name__ == "__main__":
    # `python -m aelab.lab_server`: the flags, quoted for a shell (what `make lab` passes).
    # `python -m aelab.lab_server --json`: a jupyter_server_config.json (what Binder's postBuild
    # writes, for servers started without these flags).
    import json
    import sys

    if sys.argv[1:] == ["--json"]:
        print(json.dumps(server_config(), indent=2))
    else:
        print(" ".join(shlex.quote(flag) for flag in SERVER_FLAGS))
