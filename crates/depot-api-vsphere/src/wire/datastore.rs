//! `com.vmware.vcenter.datastore`: a datastore's summary and information, and the
//! list filter, as in the SDK's `com.vmware.vcenter_client.Datastore`.

crate::vapi_enum! {
    #[vapi("com.vmware.vcenter.datastore.type")]
    /// A datastore's type.
    ///
    /// The upstream values are the seven below `Other`. None of them describes the
    /// depot's blob store, a directory on the server's own file system (nor does any
    /// client mount it: files come and go over HTTP). Rather than claim VMFS or NFS,
    /// depotd answers `OTHER`, the word vSphere itself uses for such a volume
    /// (`vim.host.FileSystemVolume.FileSystemType.OTHER`). The enumeration is open:
    /// its bindings say newer servers may send values a client does not know, and the
    /// Python SDK keeps such a value (`Datastore.Type('OTHER')`, `is_unknown()` true)
    /// instead of failing; the end-to-end test checks that. `OTHER` is accepted in a
    /// list filter too.
    pub enum DatastoreType {
        /// VMware File System.
        Vmfs = "VMFS",
        /// NFS v3.
        Nfs = "NFS",
        /// NFS v4.1.
        Nfs41 = "NFS41",
        /// Common Internet File System.
        Cifs = "CIFS",
        /// Virtual SAN.
        Vsan = "VSAN",
        /// Flash Read Cache.
        Vffs = "VFFS",
        /// vSphere Virtual Volume.
        Vvol = "VVOL",
        /// Any other storage: the depot's blob store.
        Other = "OTHER",
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.vcenter.datastore.summary")]
    /// What a list returns of each datastore.
    pub struct Summary {
        /// Its id.
        pub datastore: String,
        /// Its name.
        pub name: String,
        /// Its type.
        pub r#type: DatastoreType,
        /// Free bytes, if known.
        pub free_space: Option<u64>,
        /// Total bytes, if known.
        pub capacity: Option<u64>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.vcenter.datastore.info")]
    /// What a get returns.
    pub struct Info {
        /// Its name.
        pub name: String,
        /// Its type.
        pub r#type: DatastoreType,
        /// Whether it can be used now.
        pub accessible: bool,
        /// Free bytes, if known.
        pub free_space: Option<u64>,
        /// Whether more than one host reaches it.
        pub multiple_host_access: bool,
        /// Whether files are allocated lazily.
        pub thin_provisioning_supported: bool,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.vcenter.datastore.filter_spec")]
    /// Which datastores a list returns; an unset or empty field matches every one.
    #[derive(Default)]
    pub struct FilterSpec {
        /// Only these ids.
        pub datastores: Option<Vec<String>>,
        /// Only these names.
        pub names: Option<Vec<String>>,
        /// Only these types.
        pub types: Option<Vec<DatastoreType>>,
        /// Only datastores in these folders.
        pub folders: Option<Vec<String>>,
        /// Only datastores in these datacenters.
        pub datacenters: Option<Vec<String>>,
    }
}
