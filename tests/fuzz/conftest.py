"""The fuzz tests' tally: how many cases each reader met and how they ended, printed at the end
of the run ("thousands of cases per reader" is a count anyone can read in the output)."""

from fuzzing import TALLY


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("file reader fuzz cases")
    for reader, counts in sorted(TALLY.items()):
        total = counts.pop("cases", 0)
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"{reader}: {total} cases ({detail})")
        counts["cases"] = total
