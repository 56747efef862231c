"""Lambda handlers that wrap the subscriber's to stage faults in a poller process.

scripts/poller.py loads them with ``--handler fault_handlers:<name>``; the fault
tests then kill the process at the moment the handler signals.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from subscriber.handler import lambda_handler


def hang_after_commit(event: dict[str, Any], context: Any) -> Any:
    """Settle the batch, touch $FAULT_MARKER, then hang before the poller deletes anything.

    Killing the process now leaves a committed batch whose messages SQS delivers again.
    """
    response = lambda_handler(event, context)
    Path(os.environ["FAULT_MARKER"]).touch()
    time.sleep(600)
    return response
