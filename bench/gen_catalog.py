#!/usr/bin/env python3
"""Writes a generated product version catalog: gen_catalog.py SEQUENCE PATCHES FIRST_BUILD OUT."""
import hashlib
import json
import sys
import uuid

TYPES = ["VCENTER", "NSX_T_MANAGER", "SDDC_MANAGER_VCF", "VROPS", "VRSLCM"]


def patch(build):
    bundles = []
    for b in range(2):
        bid = str(uuid.UUID(bytes=hashlib.sha256(f"{build}-{b}".encode()).digest()[:16], version=4))
        bundles.append({
            "id": bid, "type": "PATCH" if b == 0 else "INSTALL", "name": bid,
            "binaries": [{"fileName": f"VMware-{build}-{b}.iso", "size": 600_000_000 + build,
                          "checksum": hashlib.sha256(bid.encode()).hexdigest()}],
        })
    return {"releaseDate": "2025-03-21T09:42:55.024Z", "description": "Generated patch " + "x" * 400,
            "productVersion": f"9.0.0.0.{build}", "artifacts": {"bundles": bundles}}


def main():
    seq, count, first, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    patches = {}
    for i in range(count):
        build = first + i
        patches.setdefault(TYPES[build % len(TYPES)], []).append(patch(build))
    catalog = {"version": 1, "sequenceNumber": seq, "creationTime": "2025-03-21T09:42:55.024Z",
               "publishedTime": "2025-03-21T09:42:55.024Z", "patches": patches}
    with open(out, "w") as f:
        json.dump(catalog, f)


main()
