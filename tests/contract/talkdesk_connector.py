"""Runs the Airbyte Talkdesk Explore connector (PyPI airbyte-source-talkdesk-explore 0.1.0) with its two
hard-coded things made settable, as vendors/talkdesk.md A.14 describes: the API base URL (it has no
setting for it) from TALKDESK_BASE_URL, and its retry backoff factor (5: waits of 5, 10, 20... s) from
TD_RETRY_FACTOR. Run with the connector's own Python: python talkdesk_connector.py check --config ..."""

import os

from source_talkdesk_explore import streams
from source_talkdesk_explore.run import run

BASE = os.environ["TALKDESK_BASE_URL"]
FACTOR = float(os.environ.get("TD_RETRY_FACTOR", "5"))

streams.GenerateReportStream.url_base = property(lambda self: BASE)
streams.ReadReportStream.url_base = property(lambda self: BASE)
streams.ReadReportStream.retry_factor = property(lambda self: FACTOR)

if __name__ == "__main__":
    run()
