"""Content libraries and items through the official SDK (vAPI JSON-RPC): a published
local library, items created, listed, read, updated, copied and deleted, the library
updated and deleted, and the errors a client sees."""

import uuid

import pytest

from com.vmware.content.library_client import (Item, ItemModel, PublishInfo, StorageBacking)
from com.vmware.content_client import Library, LibraryModel, LocalLibrary
from com.vmware.vapi.std.errors_client import (AlreadyExists, ConcurrentChange, InvalidArgument,
                                               NotFound, Unauthorized)


@pytest.fixture
def local(vsphere_stub_config) -> LocalLibrary:
    return LocalLibrary(vsphere_stub_config)


@pytest.fixture
def items(vsphere_stub_config) -> Item:
    return Item(vsphere_stub_config)


def published_spec(name: str) -> LibraryModel:
    return LibraryModel(
        name=name, description="published depot content", type=LibraryModel.LibraryType.LOCAL,
        storage_backings=[StorageBacking(type=StorageBacking.Type.DATASTORE,
                                         datastore_id="datastore-depot")],
        publish_info=PublishInfo(published=True,
                                 authentication_method=PublishInfo.AuthenticationMethod.BASIC,
                                 user_name="vcsp", password="S3cret!"))


def test_a_published_local_library_with_items(local, items, vsphere_stub_config, depotd):
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    token = str(uuid.uuid4())
    lib_id = local.create(create_spec=published_spec(name), client_token=token)
    assert local.create(create_spec=published_spec(name), client_token=token) == lib_id
    lib = local.get(lib_id)
    assert lib.name == name and lib.type == LibraryModel.LibraryType.LOCAL
    assert lib.publish_info.published and lib.publish_info.user_name == "vcsp"
    assert lib.publish_info.publish_url.endswith(f"/cls/vcsp/lib/{lib_id}/lib.json")
    assert lib.publish_info.password is None
    assert lib_id in local.list()

    iso = items.create(create_spec=ItemModel(library_id=lib_id, name="esx.iso", type="iso"),
                       client_token=str(uuid.uuid4()))
    ovf = items.create(create_spec=ItemModel(library_id=lib_id, name="vm", type="ovf"))
    assert set(items.list(lib_id)) == {iso, ovf}
    got = items.get(iso)
    assert (got.name, got.type, got.size, got.cached) == ("esx.iso", "iso", 0, True)
    assert (got.version, got.content_version, got.metadata_version) == ("1", "1", "1")
    with pytest.raises(AlreadyExists):
        items.create(create_spec=ItemModel(library_id=lib_id, name="esx.iso"))

    items.update(iso, ItemModel(description="ESXi installer"))
    got = items.get(iso)
    assert got.description == "ESXi installer" and got.metadata_version == "2"
    with pytest.raises(ConcurrentChange):
        items.update(iso, ItemModel(description="stale", version="1"))

    copy = items.copy(source_library_item_id=iso,
                      destination_create_spec=ItemModel(name="esx-copy.iso"))
    assert items.get(copy).library_id == lib_id
    assert items.find(Item.FindSpec(library_id=lib_id, type="iso")) == sorted([iso, copy],
        key=lambda i: items.get(i).name)
    items.delete(copy)
    with pytest.raises(NotFound):
        items.get(copy)

    local.update(lib_id, LibraryModel(description="changed"))
    lib = local.get(lib_id)
    assert lib.description == "changed" and int(lib.version) > 1
    with pytest.raises(ConcurrentChange):
        local.update(lib_id, LibraryModel(description="stale", version="1"))
    local.publish(lib_id)
    assert lib_id in Library(vsphere_stub_config).list()

    local.delete(lib_id)
    with pytest.raises(NotFound):
        local.get(lib_id)
    with pytest.raises(NotFound):
        items.get(iso)


def test_bad_libraries_are_refused(local):
    with pytest.raises(InvalidArgument):
        local.create(create_spec=LibraryModel(name="", type=LibraryModel.LibraryType.LOCAL))
    spec = published_spec(f"e2e-{uuid.uuid4().hex[:8]}")
    spec.storage_backings = [StorageBacking(type=StorageBacking.Type.OTHER,
                                            storage_uri="nfs://filer/libs")]
    with pytest.raises(InvalidArgument):
        local.create(create_spec=spec)
    spec = published_spec(f"e2e-{uuid.uuid4().hex[:8]}")
    spec.publish_info.user_name = "admin"
    with pytest.raises(InvalidArgument):
        local.create(create_spec=spec)


def test_a_read_only_user_reads_but_does_not_create(vsphere_login, add_user, local):
    lib_id = local.create(create_spec=LibraryModel(name=f"e2e-{uuid.uuid4().hex[:8]}"))
    user, password = add_user("ReadOnly")
    reader = vsphere_login(user, password)
    reader_local = LocalLibrary(reader._stub_config)
    assert lib_id in reader_local.list()
    with pytest.raises(Unauthorized):
        reader_local.create(create_spec=LibraryModel(name=f"e2e-{uuid.uuid4().hex[:8]}"))
    local.delete(lib_id)
