"""docs/architecture.md's table names every module of the package."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "chainrule"
# described as a whole, one row each
SUBPACKAGES = ("nn", "optim", "data", "train", "io", "demos")


def test_the_architecture_table_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    ops_row = re.search(r"^\| `ops/\*\.py` \| (.*)$", doc, re.M).group(1)
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name == "__init__.py" or rel.split("/")[0] in SUBPACKAGES:
            continue
        if rel.startswith("ops/") and (path.stem in ops_row or f"`{rel}`" in doc):
            continue
        if f"`{rel}`" not in doc:
            missing.append(rel)
    missing += [f"{name}/" for name in SUBPACKAGES if f"`{name}/`" not in doc]
    assert not missing, f"docs/architecture.md does not name {missing}"
