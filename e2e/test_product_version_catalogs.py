"""Product version catalogs through vmware.sddc_manager: signed uploads (POST, replace),
patch merges (PATCH), upload tasks and the current catalog; and the `depotd catalog
sign|verify|history` CLI around them.

Catalog and signature files are written into the server's import directory (the SDK
only names server-local paths) and signed with `depotd catalog sign`, with the session's
PKI (conftest `catalog_pki`): an envelope with the CA-issued signing certificate, or a
bare Ed25519 signature checked against the trusted public key.

The server lives for the whole session and keeps one current catalog, so every test
publishes its own catalog first with a fresh, higher sequence number (SEQUENCE) and
only asserts on what it published; a rollback is anything below that.
No test here logs in with a wrong password (see the README on login throttling).
"""

from __future__ import annotations

import base64
import itertools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from vmware.sddc_manager.model_client import (Error, ProductVersionCatalog,
                                              ProductVersionCatalogUploadTask,
                                              ProductVersionCatalogWithSignatureSpec)
from vmware.sddc_manager.v1.product_version_catalogs_client import UploadTasks
from vmware.sddc_manager.v1_client import ProductVersionCatalogs

from harness import (ADMIN_USER, CatalogPki, DepotServer, catalog_document, catalog_patch,
                     make_catalog_pki, wait_for, write_catalog)

# Sequence numbers of the catalogs published here: always increasing, whatever subset of
# the tests runs; numbers below 1000 are free for rollbacks.
SEQUENCE = itertools.count(1000, 10)
# Product versions, unique across the session (a merge keys patches by productVersion).
BUILD = itertools.count(100001)

SIGNATURE_INVALID = "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID"
SIGNER_UNTRUSTED = "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED"
ROLLBACK = "PRODUCT_VERSION_CATALOG_ROLLBACK"
PATH_INVALID = "PRODUCT_VERSION_CATALOG_PATH_INVALID"


def new_version() -> str:
    return f"9.0.0.0.{next(BUILD)}"


def patches(**per_type: int) -> dict:
    """{product type: [n fresh catalog_patch()]}, e.g. patches(VCENTER=2)."""
    return {ptype: [catalog_patch(ptype, new_version()) for _ in range(n)] for ptype, n in per_type.items()}


def tamper(path: Path) -> None:
    """Changes one byte of a catalog file: a hex digit of its first checksum, so the file
    is still a valid catalog and only the signature can tell."""
    data = bytearray(path.read_bytes())
    at = data.index(b'"checksum": "') + len(b'"checksum": "')
    data[at] = ord("1") if data[at] == ord("0") else ord("0")
    path.write_bytes(bytes(data))


# ----------------------------------------------------------------- comparing catalogs


def document_patches(document: dict) -> dict:
    """The patches of a catalog document in a comparable form."""
    return {
        ptype: [(p["productVersion"], p["description"], p["releaseDate"],
                 [(b["id"], b["type"], b["name"],
                   [(x["fileName"], x["size"], x["checksum"]) for x in b["binaries"]])
                  for b in p["artifacts"]["bundles"]])
                for p in entries]
        for ptype, entries in document["patches"].items()
    }


def sdk_patches(catalog: ProductVersionCatalog) -> dict:
    """The patches of the SDK's ProductVersionCatalog in the form of document_patches()."""
    return {
        ptype: [(p.product_version, p.description, p.release_date,
                 [(b.id, b.type, b.name, [(x.file_name, x.size, x.checksum) for x in b.binaries])
                  for b in p.artifacts.bundles])
                for p in entries]
        for ptype, entries in (catalog.patches or {}).items()
    }


def snapshot(catalog: ProductVersionCatalog) -> tuple:
    return (catalog.version, catalog.sequence_number, catalog.creation_time, catalog.published_time,
            sdk_patches(catalog))


# --------------------------------------------------------------------------- driver


@dataclass
class Pvc:
    """Writes, signs and submits catalogs; polls their upload tasks."""

    depotd: DepotServer
    pki: CatalogPki
    import_dir: Path
    catalogs: ProductVersionCatalogs
    upload_tasks: UploadTasks

    def write(self, document: dict, directory: Optional[Path] = None) -> Path:
        name = f"pvc-{document['sequenceNumber']}-{uuid.uuid4().hex[:8]}.json"
        return write_catalog(directory or self.import_dir, name, document)

    def sign(self, catalog: Path, bare: bool = False, pki: Optional[CatalogPki] = None) -> Path:
        """Envelope with the signing certificate, or (bare) a base64 Ed25519 signature."""
        pki = pki or self.pki
        if bare:
            return self.depotd.sign_catalog(catalog, pki.ed25519_key)
        return self.depotd.sign_catalog(catalog, pki.signer_key, cert=pki.signer_cert)

    def submit(self, catalog: Path, signature: Path, merge: bool = False) -> ProductVersionCatalogUploadTask:
        """POST (replace) or PATCH (merge) through the SDK; checks the accepted task."""
        spec = ProductVersionCatalogWithSignatureSpec(product_version_catalog_file_path=str(catalog),
                                                      signature_file_path=str(signature))
        if merge:
            task = self.catalogs.update_product_version_catalog_patches(spec)
        else:
            task = self.catalogs.upload_product_version_catalog_with_signature(spec)
        assert isinstance(task, ProductVersionCatalogUploadTask), task
        uuid.UUID(task.task_id)
        assert task.status == "IN_PROGRESS", task
        assert task.description, task
        assert task.error_response is None, task
        return task

    def finish(self, task: ProductVersionCatalogUploadTask, timeout: float = 30.0) -> ProductVersionCatalogUploadTask:
        """Polls UploadTasks until the task leaves IN_PROGRESS."""
        def probe():
            now = self.upload_tasks.get_product_version_catalog_upload_task(task.task_id)
            return now if now.status != "IN_PROGRESS" else None

        done = wait_for(probe, f"upload task {task.task_id}", timeout=timeout, interval=0.1)
        assert done.task_id == task.task_id
        assert done.status in ("SUCCEEDED", "FAILED"), done
        return done

    def publish(self, document: dict, merge: bool = False, bare: bool = False) -> ProductVersionCatalogUploadTask:
        """Writes, signs, submits and waits; the task must succeed."""
        catalog = self.write(document)
        done = self.finish(self.submit(catalog, self.sign(catalog, bare=bare), merge=merge))
        assert done.status == "SUCCEEDED", done
        assert done.error_response is None, done
        return done

    def content(self) -> ProductVersionCatalog:
        catalog = self.catalogs.get_product_version_catalog_content()
        assert isinstance(catalog, ProductVersionCatalog), catalog
        return catalog


@pytest.fixture
def pvc(depotd, catalog_pki, import_dir, sddc_stub_config) -> Pvc:
    return Pvc(depotd=depotd, pki=catalog_pki, import_dir=import_dir,
               catalogs=ProductVersionCatalogs(sddc_stub_config), upload_tasks=UploadTasks(sddc_stub_config))


def assert_failed(task: ProductVersionCatalogUploadTask, code: str) -> None:
    assert task.status == "FAILED", task
    error = task.error_response
    assert isinstance(error, Error), task
    assert error.error_code == code, task
    assert error.message, task


# ------------------------------------------------------------------------- uploads


def test_upload_envelope_signed_catalog(pvc):
    document = catalog_document(next(SEQUENCE), patches(VCENTER=2, NSX_T_MANAGER=1))
    catalog = pvc.write(document)
    signature = pvc.sign(catalog)
    first_line = signature.read_text().splitlines()[0]
    assert first_line.startswith(f"SHA256({catalog.name})= "), first_line
    assert "-----BEGIN CERTIFICATE-----" in signature.read_text()

    done = pvc.finish(pvc.submit(catalog, signature))
    assert done.status == "SUCCEEDED", done
    assert done.error_response is None

    content = pvc.content()
    assert content.sequence_number == document["sequenceNumber"]
    assert content.version == document["version"]
    assert content.creation_time == document["creationTime"]
    assert content.published_time == document["publishedTime"]
    assert sdk_patches(content) == document_patches(document)


def test_patch_merges_new_patches(pvc):
    base = catalog_document(next(SEQUENCE), patches(VCENTER=1, VROPS=1))
    pvc.publish(base)
    update = catalog_document(next(SEQUENCE), patches(VCENTER=1, SDDC_MANAGER_VCF=2))
    pvc.publish(update, merge=True)

    content = pvc.content()
    assert content.sequence_number == update["sequenceNumber"]
    old, new = document_patches(base), document_patches(update)
    assert sdk_patches(content) == {
        "VCENTER": old["VCENTER"] + new["VCENTER"],  # new versions after the existing ones
        "VROPS": old["VROPS"],
        "SDDC_MANAGER_VCF": new["SDDC_MANAGER_VCF"],
    }


def test_bare_ed25519_signature(pvc):
    pvc.publish(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    document = catalog_document(next(SEQUENCE), patches(VRSLCM=1))
    catalog = pvc.write(document)
    signature = pvc.sign(catalog, bare=True)
    text = signature.read_text().strip()
    assert len(base64.b64decode(text, validate=True)) == 64, text  # one Ed25519 signature

    done = pvc.finish(pvc.submit(catalog, signature))
    assert done.status == "SUCCEEDED", done
    content = pvc.content()
    assert content.sequence_number == document["sequenceNumber"]
    assert sdk_patches(content) == document_patches(document)


def test_content_is_the_uploaded_file_with_or_without_compression(
        pvc, depotd, http, bearer_token):
    """A replaced catalog is served byte for byte as uploaded; gzip-compressed when the
    client accepts it (the SDK's requests session does: the tests above read it so), zstd
    when the client prefers that."""
    document = catalog_document(next(SEQUENCE), patches(VCENTER=1))
    catalog = pvc.write(document)
    done = pvc.finish(pvc.submit(catalog, pvc.sign(catalog)))
    assert done.status == "SUCCEEDED", done
    url = f"{depotd.url}/v1/product-version-catalogs"
    auth = {"Authorization": f"Bearer {bearer_token}"}

    plain = http.get(url, headers={**auth, "Accept-Encoding": "identity"})
    assert plain.status_code == 200, plain.text
    assert plain.headers["Content-Type"].startswith("application/json")
    assert "Content-Encoding" not in plain.headers
    assert plain.content == catalog.read_bytes()

    gzipped = http.get(url, headers={**auth, "Accept-Encoding": "gzip"})
    assert gzipped.status_code == 200, gzipped.text
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in gzipped.headers.get("Vary", "").lower()
    assert gzipped.content == plain.content  # requests decodes it

    # A client that prefers zstd gets a Zstandard frame (this venv has no zstd decoder:
    # the frame's magic number and its own ETag show it).
    zstd = http.get(url, headers={**auth, "Accept-Encoding": "gzip, zstd"}, stream=True)
    assert zstd.status_code == 200
    assert zstd.headers["Content-Encoding"] == "zstd"
    frame = zstd.raw.read(decode_content=False)
    assert frame[:4] == b"\x28\xb5\x2f\xfd"
    assert zstd.headers["ETag"] not in (gzipped.headers["ETag"], plain.headers["ETag"])


# ------------------------------------------------------------------------ failures


@pytest.mark.parametrize("form", ["envelope", "bare"])
def test_tampered_catalog_fails(pvc, form):
    pvc.publish(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    before = snapshot(pvc.content())
    history = pvc.depotd.catalog_history()

    catalog = pvc.write(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    signature = pvc.sign(catalog, bare=form == "bare")
    tamper(catalog)
    done = pvc.finish(pvc.submit(catalog, signature))

    assert_failed(done, SIGNATURE_INVALID)
    assert snapshot(pvc.content()) == before
    assert pvc.depotd.catalog_history() == history


def test_untrusted_signer_fails(pvc, tmp_path):
    """An envelope whose chain ends at a CA the server does not trust."""
    pvc.publish(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    before = snapshot(pvc.content())
    stranger = make_catalog_pki(tmp_path / "stranger")

    catalog = pvc.write(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    done = pvc.finish(pvc.submit(catalog, pvc.sign(catalog, pki=stranger)))

    assert_failed(done, SIGNER_UNTRUSTED)
    assert snapshot(pvc.content()) == before


@pytest.mark.parametrize("merge", [False, True], ids=["POST", "PATCH"])
def test_rollback_fails(pvc, merge):
    accepted = catalog_document(next(SEQUENCE), patches(VCENTER=1))
    pvc.publish(accepted)
    before = snapshot(pvc.content())

    older = catalog_document(accepted["sequenceNumber"] - 5, patches(VCENTER=1))
    catalog = pvc.write(older)
    done = pvc.finish(pvc.submit(catalog, pvc.sign(catalog), merge=merge))

    assert_failed(done, ROLLBACK)
    assert snapshot(pvc.content()) == before


def outside_import_dir(pvc: Pvc, tmp_path: Path, how: str) -> tuple[Path | str, Path | str]:
    """A signed catalog outside the import directory, named as `how` says."""
    catalog = pvc.write(catalog_document(next(SEQUENCE), patches(VCENTER=1)), directory=tmp_path)
    signature = pvc.sign(catalog)
    if how == "absolute":
        return catalog, signature
    if how == "dot-dot":
        # Relative to the import directory, climbing out of it.
        up = Path(*[".."] * len(pvc.import_dir.resolve().parts[1:]))
        return str(up / catalog.resolve().relative_to("/")), str(up / signature.resolve().relative_to("/"))
    if how == "symlink":
        # Links inside the import directory to the files outside: resolved, then refused.
        links = []
        for target in (catalog, signature):
            link = pvc.import_dir / f"link-{uuid.uuid4().hex[:8]}-{target.name}"
            link.symlink_to(target)
            links.append(link)
        return links[0], links[1]
    raise ValueError(how)


@pytest.mark.parametrize("merge", [False, True], ids=["POST", "PATCH"])
@pytest.mark.parametrize("how", ["absolute", "dot-dot", "symlink"])
def test_path_outside_import_dir_is_bad_request(pvc, tmp_path, how, merge):
    pvc.publish(catalog_document(next(SEQUENCE), patches(VCENTER=1)))
    before = snapshot(pvc.content())
    catalog, signature = outside_import_dir(pvc, tmp_path, how)
    spec = ProductVersionCatalogWithSignatureSpec(product_version_catalog_file_path=str(catalog),
                                                  signature_file_path=str(signature))
    call = (pvc.catalogs.update_product_version_catalog_patches if merge
            else pvc.catalogs.upload_product_version_catalog_with_signature)

    # The operations declare Error for 400 and 500: the SDK raises it with the body.
    with pytest.raises(Error) as raised:
        call(spec)
    error = raised.value
    assert error.error_code == PATH_INVALID, repr(error)
    assert error.error_type == "VALIDATION", repr(error)
    # Absolute and dot-dot paths are judged by their text; a link that leads out is
    # answered like a missing file, so nothing tells what exists outside.
    why = "no such file in the import directory" if how == "symlink" else "outside the import directory"
    assert why in error.message, repr(error)
    assert snapshot(pvc.content()) == before


def test_missing_file_is_bad_request(pvc):
    spec = ProductVersionCatalogWithSignatureSpec(
        product_version_catalog_file_path=str(pvc.import_dir / "no-such-catalog.json"),
        signature_file_path=str(pvc.import_dir / "no-such-catalog.json.sig"))
    with pytest.raises(Error) as raised:
        pvc.catalogs.upload_product_version_catalog_with_signature(spec)
    assert raised.value.error_code == PATH_INVALID, repr(raised.value)
    assert "no such file in the import directory" in raised.value.message, repr(raised.value)


def test_unknown_upload_task_is_not_found(pvc):
    # get_product_version_catalog_upload_task declares Error for 404.
    with pytest.raises(Error) as raised:
        pvc.upload_tasks.get_product_version_catalog_upload_task(str(uuid.uuid4()))
    assert raised.value.error_code == "PRODUCT_VERSION_CATALOG_UPLOAD_TASK_NOT_FOUND", repr(raised.value)


# ----------------------------------------------------------------------------- CLI


def test_history_lists_accepted_versions_in_order(pvc):
    before = pvc.depotd.catalog_history()
    first = catalog_document(next(SEQUENCE), patches(VCENTER=1))
    replaced = pvc.publish(first)
    second = catalog_document(next(SEQUENCE), patches(NSX_T_MANAGER=1))
    merged = pvc.publish(second, merge=True)
    # A refused upload leaves no trace in the history.
    older = pvc.write(catalog_document(first["sequenceNumber"] - 1, patches(VCENTER=1)))
    assert_failed(pvc.finish(pvc.submit(older, pvc.sign(older))), ROLLBACK)

    history = pvc.depotd.catalog_history()
    assert history[:len(before)] == before
    added = history[len(before):]
    assert [(row["sequence"], row["change"], row["task"], row["accepted_by"]) for row in added] == [
        (str(first["sequenceNumber"]), "REPLACE", replaced.task_id, ADMIN_USER),
        (str(second["sequenceNumber"]), "MERGE", merged.task_id, ADMIN_USER),
    ]
    # The whole history: versions numbered in order, sequence numbers never going back.
    versions = [int(row["version"]) for row in history]
    assert versions == sorted(versions) and len(set(versions)) == len(versions), history
    sequences = [int(row["sequence"]) for row in history]
    assert sequences == sorted(sequences), history
    assert all(len(row["content_sha256"]) == 64 for row in history), history


@pytest.mark.parametrize("form", ["envelope", "bare"])
def test_cli_verify(pvc, catalog_pki, tmp_path, form):
    catalog = pvc.write(catalog_document(next(SEQUENCE), patches(VCENTER=2)), directory=tmp_path)
    signature = pvc.sign(catalog, bare=form == "bare")

    good = pvc.depotd.verify_catalog(catalog, signature, catalog_pki.trust)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("OK"), good.stdout

    tamper(catalog)
    bad = pvc.depotd.verify_catalog(catalog, signature, catalog_pki.trust)
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert not bad.stdout.startswith("OK"), bad.stdout
    assert "depotd: error:" in bad.stderr, bad.stderr
