"""One module per figure of the table; each has `run(bench) -> list[Row]` and owns its baseline."""
