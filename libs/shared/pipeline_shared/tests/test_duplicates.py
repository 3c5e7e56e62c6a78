import pyarrow as pa

from pipeline_shared.duplicates import later_occurrences


def test_rows_after_the_first_occurrence_of_their_id() -> None:
    rows = pa.table(
        {
            "id": ["a", "b", "a", "c", "a", "b"],
            "order": [5, 1, 2, 3, 9, 1],  # "b" twice with the same order: neither is later
            "where": [0, 1, 2, 3, 4, 5],
        }
    )
    later = later_occurrences(rows, key="id", order="order")
    assert sorted(later.column("where").to_pylist()) == [0, 4]  # a@5 and a@9 come after a@2
    assert later.schema == rows.schema


def test_no_repeats_gives_an_empty_table_of_the_same_columns() -> None:
    rows = pa.table({"id": ["a", "b"], "order": [1, 2]})
    later = later_occurrences(rows, key="id", order="order")
    assert later.num_rows == 0 and later.schema == rows.schema
