"""Copies Ansible collections out of a downloaded `ansible` wheel into the running
interpreter's site-packages/ansible_collections/ (where the `ansible` package itself
would put them, and where ansible-core looks).

    python e2e/install_collections.py e2e/ansible-collections.txt DOWNLOAD_DIR

The collections are named on the `# collections: ns/name ...` line of the first
argument; DOWNLOAD_DIR holds the one wheel `pip download` fetched from that file.
Run by scripts/e2e.sh with the venv's interpreter.
"""

from __future__ import annotations

import sys
import sysconfig
import zipfile
from pathlib import Path

MARKER = "# collections:"


def wanted(spec: Path) -> list[str]:
    for line in spec.read_text().splitlines():
        if line.startswith(MARKER):
            names = line[len(MARKER):].split()
            if names:
                return names
    raise SystemExit(f"{spec}: no '{MARKER} ns/name ...' line")


def main(spec: Path, download_dir: Path) -> None:
    wheels = sorted(download_dir.glob("ansible-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one ansible wheel in {download_dir}, found {wheels}")
    target = Path(sysconfig.get_paths()["purelib"])
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        for collection in wanted(spec):
            prefix = f"ansible_collections/{collection}/"
            members = [n for n in names if n.startswith(prefix) and not n.endswith("/")]
            if not members:
                raise SystemExit(f"{wheels[0].name} has no collection {collection}")
            # ZipFile.extract drops absolute and '..' components itself.
            for member in members:
                wheel.extract(member, target)
            print(f"e2e: {collection} ({len(members)} files) from {wheels[0].name}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
