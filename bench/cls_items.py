#!/usr/bin/env python3
"""Creates library items fast: cls_items.py BASE SESSION LIBRARY_ID COUNT.

Four keep-alive connections (HTTPS with the bench's self-signed certificate, or plain
HTTP) each POST a share of /api/content/library/item; prints nothing on success.
"""
import http.client
import json
import ssl
import sys
import threading
import urllib.parse

BASE, SESSION, LIBRARY, COUNT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
WORKERS = 4


def connect():
    url = urllib.parse.urlsplit(BASE)
    if url.scheme == "https":
        return http.client.HTTPSConnection(url.netloc, context=ssl._create_unverified_context())
    return http.client.HTTPConnection(url.netloc)


def create(first, failures):
    conn = connect()
    headers = {"vmware-api-session-id": SESSION, "Content-Type": "application/json"}
    for n in range(first, COUNT, WORKERS):
        body = json.dumps({"library_id": LIBRARY, "name": f"item-{n:05d}", "type": "iso",
                           "description": f"bench item {n}"})
        conn.request("POST", "/api/content/library/item", body, headers)
        response = conn.getresponse()
        text = response.read()
        if response.status != 201:
            failures.append(f"item {n}: {response.status} {text[:200]!r}")
            return


failures = []
threads = [threading.Thread(target=create, args=(w, failures)) for w in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit("cls_items: " + "; ".join(failures))
