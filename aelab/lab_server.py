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

A third server setting keeps the terminal free of a false warning. jupyter_server's kernel
websocket handler (``WebSocketMixin``) runs its own keep-alive pings in *milliseconds*: ping every
``ws_ping_interval`` = 30000 ms, close after ``ws_ping_timeout`` = max(3 × interval, 30000) =
90000 ms without an answer; it needs the timeout longer than the interval. Its two properties
have the same names as tornado's own ping settings, so tornado (6.5 and newer) reads them too, in
*seconds*, with the rule "timeout no longer than interval", and logs "The websocket_ping_timeout
(90000) cannot be longer than the websocket_ping_interval (30000)" for every server (jupyter_server
issue 1612). No pair of values satisfies both readers, so :data:`PING_FLAG` sets
``ws_ping_interval`` to 0: neither keep-alive runs and nothing warns. A course server runs on the
student's own machine (or behind an SSH tunnel), where nothing closes an idle websocket; should a
proxy close one anyway, JupyterLab reconnects to the kernel by itself.

Use them with::

    jupyter lab $(python -m aelab.lab_server)

``make lab`` passes them, as do the browser tests and benchmarks; Binder's ``postBuild`` writes
them into ``~/.jupyter/jupyter_server_config.json`` (``python -m aelab.lab_server --json``).

JupyterLab settings for the course (:data:`LAB_SETTINGS`: no "get notified about Jupyter news?"
pop-up over the first lesson, no update check) are defaults in an ``overrides.d`` file of the
environment's application settings (``<prefix>/share/jupyter/lab/settings/overrides.d/aelab.json``,
written by ``python -m aelab.lab_server --install-settings``, which ``make lab`` and ``postBuild``
run): they apply to JupyterLab started from the course's environment only, never to the user's
``~/.jupyter``, and a student can still change them in the Settings editor.
``make lab`` adds the student's working copy as the server's root and lesson 00 of a track as
the first page.

Imported only by the Jupyter server and the tools that start one, never by ``import aelab``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

__all__ = ["NoDelayKernelWebsocketConnection", "SERVER_FLAG", "UNTRACKED_FLAGS", "PING_FLAG",
           "SERVER_FLAGS", "LAB_SETTINGS", "untracked_message_types", "server_config",
           "install_lab_settings", "explore_flags"]


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
# jupyter_server's kernel-websocket keep-alive off (see the module docstring). A dict option: the
# JSON form keeps the 0 an integer (``key=value`` would make it the string "0"); written without
# spaces, so that `make lab` can pass the output of `python -m aelab.lab_server` unquoted.
TORNADO_SETTINGS = {"ws_ping_interval": 0}
PING_FLAG = "--ServerApp.tornado_settings=" + json.dumps(TORNADO_SETTINGS, separators=(",", ":"))
SERVER_FLAGS = (SERVER_FLAG, *UNTRACKED_FLAGS, PING_FLAG)

# JupyterLab defaults for the course: no news pop-up (fetchNews "none" means "ask"), no update check.
LAB_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                 "checkForUpdates": False}}


def server_config() -> dict:
    """The same settings as a Jupyter config dict, for ``jupyter_server_config.json``."""
    return {"ServerApp": {"kernel_websocket_connection_class": SERVER_FLAG.split("=", 1)[1],
                          "tornado_settings": dict(TORNADO_SETTINGS)},
            "MappingKernelManager": {"untracked_message_types": untracked_message_types()}}


def app_settings_dir(prefix: str | Path | None = None) -> Path:
    """JupyterLab's application settings folder of the environment at ``prefix`` (default: this one)."""
    return Path(sys.prefix if prefix is None else prefix) / "share" / "jupyter" / "lab" / "settings"


def install_lab_settings(prefix: str | Path | None = None) -> Path:
    """Write :data:`LAB_SETTINGS` to ``overrides.d/aelab.json`` of the environment; return its path."""
    path = app_settings_dir(prefix) / "overrides.d" / "aelab.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(LAB_SETTINGS, indent=2) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


EXPLORER = "explore.ipynb"


_EXPLORER_EXTENSION = "voila.server_extension"


def _other_server_extensions() -> list[str]:
    """The Jupyter server extensions enabled in this environment other than Voila's (JupyterLab,
    its language servers, terminals, nbgrader, jupytext ...), as the server finds them in the
    Jupyter config path."""
    from jupyter_core.paths import jupyter_config_path
    from jupyter_server.extension.config import ExtensionConfigManager

    enabled = ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions()
    return sorted(name for name, on in enabled.items() if on and name != _EXPLORER_EXTENSION)


def explore_flags() -> list[str]:
    """``jupyter server`` options of ``make explore``: :data:`SERVER_FLAGS`, every server
    extension but Voila's turned off (the explorer needs none of them, and loading them is most
    of the server's start-up), and Voila's page of ``explore.ipynb`` (the latent explorer, in the
    server's root folder) as the first page. Voila runs as an extension of that server, so the
    explorer gets the same kernel-websocket settings as ``make lab``'s notebooks."""
    off = [f"--ServerApp.jpserver_extensions={name}=False" for name in _other_server_extensions()]
    return [*SERVER_FLAGS, *off, f"--ServerApp.default_url=/voila/render/{EXPLORER}"]


def main(argv=None) -> int:
    """`python -m aelab.lab_server`: the server flags, separated by spaces (none contains one).
    `... --json`: a jupyter_server_config.json (what Binder's postBuild writes, for servers started
    without these flags). `... --install-settings [PREFIX]`: write the JupyterLab settings.
    `... --explore`: the flags of `make explore` (:func:`explore_flags`)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--json"]:
        print(json.dumps(server_config(), indent=2))
    elif args == ["--explore"]:
        print(" ".join(explore_flags()))
    elif args[:1] == ["--install-settings"] and len(args) <= 2:
        print(f"JupyterLab settings for the course: {install_lab_settings(*args[1:])}")
    elif not args:
        print(" ".join(SERVER_FLAGS))
    else:
        print("usage: python -m aelab.lab_server [--json | --explore | --install-settings [PREFIX]]",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
