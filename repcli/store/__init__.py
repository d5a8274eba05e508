"""The store: one SQLite file (WAL, busy timeout), the only code that speaks SQL.

`db.py` opens the file and runs migrations; `writes.py` holds upserts, runs and cursors;
`reads.py` the queries the commands list from. All SQL is plain and portable.
"""

from repcli.store.db import Store, open_store
from repcli.store.reads import ItemFilter

__all__ = ["ItemFilter", "Store", "open_store"]
