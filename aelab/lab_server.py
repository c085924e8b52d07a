"""Jupyter server settings that make the aelab widgets feel instant.

jupyter_server leaves Nagle's algorithm on for the kernel websocket. A slider event makes the
kernel send several small messages back (the value echo, the new image, the idle status); with
Nagle on, the later ones wait for the browser's delayed TCP acknowledgement, which adds tens of
milliseconds to every slider step. This connection class turns TCP_NODELAY on for each kernel
websocket. Use it with::

    jupyter lab --ServerApp.kernel_websocket_connection_class=aelab.lab_server.NoDelayKernelWebsocketConnection

(``make lab`` and the browser test pass this flag; ``benchmarks/browser_latency.py --nagle``
measures the difference.) Imported only by the Jupyter server, never by ``import aelab``.
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["NoDelayKernelWebsocketConnection", "SERVER_FLAG"]


class NoDelayKernelWebsocketConnection(ZMQChannelsWebsocketConnection):
    """The default kernel websocket connection, with TCP_NODELAY set on the websocket."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()


SERVER_FLAG = ("--ServerApp.kernel_websocket_connection_class="
               "aelab.lab_server.NoDelayKernelWebsocketConnection")
