"""``python -m starcard_projections``: keep the read models up to date until SIGTERM."""

import signal
import threading

from starcard_runtime.logs import configure_logging
from starcard_runtime.settings import RuntimeSettings

from starcard_projections.runner import follow

settings = RuntimeSettings()
configure_logging("projections", settings.log_level)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
follow(settings.database_url, stop)
