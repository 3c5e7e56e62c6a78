"""Repeated transaction ids: which rows are later occurrences of an id seen before.

Both dedupe steps use it: transform within a part of a chunk (order = the row's place in the
chunk) and finalize across a file's outputs (order = the output's place in the file). Counting the ids is the one pass over all rows;
only rows whose id repeats are grouped, so the cost does not depend on how many repeat.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def later_occurrences(rows: pa.Table, *, key: str, order: str) -> pa.Table:
    """The rows of ``rows`` whose ``key`` also occurs in a row with a lower ``order``."""
    ids = rows.column(key)
    counts = pc.value_counts(ids)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return rows.slice(0, 0)
    candidates = rows.filter(pc.is_in(ids, value_set=repeated))
    first = candidates.group_by(key, use_threads=False).aggregate([(order, "min")])
    joined = candidates.join(first, keys=key, use_threads=False)
    later = joined.filter(pc.greater(joined.column(order), joined.column(f"{order}_min")))
    return later.select(rows.column_names)
