#!/usr/bin/env python3
"""Sums the results of every TRX file under a folder and prints one line: "N passed, N failed[, N skipped]".

Exit status: 0 when tests ran and none failed; 1 when any failed or none ran; 2 when no TRX file was found.
Skipped (not executed, inconclusive) tests are not passes: they are counted apart.
"""
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
FAILED = ("failed", "error", "timeout", "aborted")
SKIPPED = ("notExecuted", "inconclusive", "pending", "disconnected", "warning", "notRunnable")


def main(folder: str) -> int:
    files = sorted(Path(folder).rglob("*.trx"))
    if not files:
        print(f"no TRX files under {folder}", file=sys.stderr)
        print("0 passed, 0 failed")
        return 2
    passed = failed = skipped = 0
    for trx in files:
        counters = ElementTree.parse(trx).getroot().find("t:ResultSummary/t:Counters", NS)
        if counters is None:
            print(f"{trx}: no ResultSummary/Counters", file=sys.stderr)
            failed += 1
            continue
        count = lambda names: sum(int(counters.get(name, "0")) for name in names)  # noqa: E731
        passed += count(("passed",))
        failed += count(FAILED)
        skipped += count(SKIPPED)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} RESULTS_FOLDER")
    sys.exit(main(sys.argv[1]))
