"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) and a free-port helper."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy

from tests.servers import free_port


class Sink:
    """Messages received by the local SMTP server, parsed."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # the name aiosmtpd calls
        with self._lock:
            self.messages.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
            )
        return "250 OK"


def start_sink():
    """(sink, controller, port): an SMTP sink listening on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller, port


def smtp_settings(port: int) -> dict:
    """The notifications section pointing at 127.0.0.1:`port`."""
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "pirights@example.cn",
        "staff_email_domain": "example.cn",
    }
